// Balance and debt, the entrusted-deduction agreement, paying what is owed, and the
// payments and refunds made (payments/ API: /v1/me/account, /v1/me/payment-agreement,
// /v1/me/payments, /v1/me/payments/pay-now).

import { del, get, post } from "../api.js";
import { h, when, yuan } from "../dom.js";
import { t } from "../i18n.js";

function moneyRow(label, fen, cls = "") {
  return h("div", { class: `row ${cls}` }, h("span", {}, label), h("strong", {}, yuan(fen)));
}

// A payment (kind trip | pay_now) or a refund (which names its credit note).
function paymentItem(p) {
  const what = p.credit_note ? t("payment.refundOf", { number: p.credit_note }) : t(`payment.kind.${p.kind}`);
  return h(
    "li",
    { class: "row" },
    h(
      "span",
      {},
      `${what} · ${t(`payment.status.${p.status}`)}`,
      h("small", {}, when(p.updated_at ?? p.created_at), p.reason ? ` · ${p.reason}` : ""),
    ),
    h("strong", {}, yuan(p.amount_fen ?? 0)),
  );
}

async function act(ctx, work, done) {
  try {
    await work();
    ctx.say(done);
  } catch (error) {
    ctx.say(t("error.generic", { detail: error.message }), "error");
  }
  ctx.rerender();
}

export async function render(main, ctx) {
  main.append(h("h2", { class: "screen-title" }, t("account.title")));
  if (!ctx.features.payments) {
    const me = await get("/v1/me");
    main.append(
      h("section", { class: "card" }, moneyRow(t("account.balance"), me.balance_fen)),
      h("p", { class: "hint" }, t("account.unavailable")),
    );
    return null;
  }
  const account = await get("/v1/me/account");
  const agreement = account.agreement ?? { status: "none" };
  const summary = h(
    "section",
    { class: "card", "aria-labelledby": "balance-title" },
    h("h3", { id: "balance-title" }, t("account.money")),
    moneyRow(t("account.balance"), account.balance_fen),
    moneyRow(t("account.owed"), account.owed_fen, account.owed_fen > 0 ? "owed" : ""),
    account.blocked ? h("p", { class: "badge error", role: "alert" }, t("account.blocked")) : null,
  );
  if (account.owed_fen > 0) {
    summary.append(
      h(
        "button",
        {
          class: "primary",
          onclick: () =>
            act(ctx, () => post("/v1/me/payments/pay-now", { amount_fen: account.owed_fen }), t("account.paid")),
        },
        t("account.payNow", { owed: yuan(account.owed_fen) }),
      ),
    );
  }
  const active = agreement.status === "active";
  const deduction = h(
    "section",
    { class: "card", "aria-labelledby": "agreement-title" },
    h("h3", { id: "agreement-title" }, t("account.agreement")),
    h(
      "p",
      {},
      t(`agreement.${agreement.status}`),
      agreement.since ? ` (${when(agreement.since)})` : "",
    ),
    h("p", { class: "hint" }, t("account.agreementHelp")),
    active
      ? h("button", { onclick: () => act(ctx, () => del("/v1/me/payment-agreement"), t("account.revoked")) }, t("account.revoke"))
      : h(
          "button",
          { class: "primary", onclick: () => act(ctx, () => post("/v1/me/payment-agreement"), t("account.authorised")) },
          t("account.authorise"),
        ),
  );
  main.append(summary, deduction);
  const history = await get("/v1/me/payments");
  main.append(
    h(
      "section",
      { class: "card", "aria-labelledby": "payments-title" },
      h("h3", { id: "payments-title" }, t("account.payments")),
      h("ul", { class: "plain" }, (history.payments ?? []).map(paymentItem)),
      (history.payments ?? []).length ? null : h("p", { class: "hint" }, t("account.noPayments")),
      h("h3", {}, t("account.refunds")),
      h("ul", { class: "plain" }, (history.refunds ?? []).map(paymentItem)),
      (history.refunds ?? []).length ? null : h("p", { class: "hint" }, t("account.noRefunds")),
    ),
  );
  return null;
}
