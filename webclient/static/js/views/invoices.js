// Invoice titles (a company's tax ID checked as it is typed, GB 32100), each invoice with
// its reimbursement status and history, PDF and XML downloads, re-title and refund
// credit note requests, and a link to verify its receipt.

import { del, download, get, post, put } from "../api.js";
import { field, h, when, yuan } from "../dom.js";
import { t } from "../i18n.js";
import { checkUscc } from "../uscc.js";

async function act(ctx, work, done) {
  try {
    await work();
    ctx.say(done);
    ctx.rerender();
  } catch (error) {
    ctx.say(t("error.generic", { detail: error.message }), "error");
  }
}

function titleForm(ctx) {
  const kind = h(
    "select",
    { name: "kind" },
    h("option", { value: "company" }, t("titles.company")),
    h("option", { value: "individual" }, t("titles.individual")),
  );
  const name = h("input", { type: "text", name: "name", required: true, maxlength: "100", autocomplete: "organization" });
  const taxId = h("input", {
    type: "text",
    name: "tax_id",
    maxlength: "18",
    autocapitalize: "characters",
    spellcheck: "false",
    autocomplete: "off",
  });
  const verdict = h("p", { class: "hint", "aria-live": "polite" });
  const submit = h("button", { type: "submit", class: "primary" }, t("titles.add"));
  const makeDefault = h("input", { type: "checkbox", name: "is_default" });
  const taxField = field(t("titles.taxId"), taxId, verdict);
  const update = () => {
    const company = kind.value === "company";
    taxField.hidden = !company;
    if (!company) {
      submit.disabled = false;
      return;
    }
    taxId.value = taxId.value.toUpperCase();
    const check = checkUscc(taxId.value);
    verdict.textContent = t(check.reason, check);
    verdict.className = `hint ${check.ok ? "ok" : taxId.value.length >= 18 || check.reason === "uscc.badChar" ? "error" : ""}`;
    taxId.setAttribute("aria-invalid", String(!check.ok && taxId.value.length > 0));
    submit.disabled = !check.ok;
  };
  kind.addEventListener("change", update);
  taxId.addEventListener("input", update);
  update();
  return h(
    "form",
    {
      class: "card",
      "aria-labelledby": "add-title",
      onsubmit: (event) => {
        event.preventDefault();
        const company = kind.value === "company";
        act(
          ctx,
          () =>
            post("/v1/me/titles", {
              kind: kind.value,
              name: name.value.trim(),
              tax_id: company ? taxId.value : null,
              is_default: makeDefault.checked,
            }),
          t("titles.added"),
        );
      },
    },
    h("h3", { id: "add-title" }, t("titles.addTitle")),
    field(t("titles.kind"), kind),
    field(t("titles.name"), name),
    taxField,
    h("div", { class: "check" }, makeDefault, h("label", { for: (makeDefault.id = "title-default") }, t("titles.makeDefault"))),
    submit,
  );
}

function titleList(titles, ctx) {
  const choose = (id) => act(ctx, () => put("/v1/me/titles/default", { title_id: id }), t("titles.chosen"));
  const current = titles.find((x) => x.is_default);
  const option = (id, label, checked) => {
    const radio = h("input", { type: "radio", name: "default-title", value: String(id), checked, id: `title-${id}` });
    radio.addEventListener("change", () => choose(id));
    return radio;
  };
  return h(
    "fieldset",
    { class: "card" },
    h("legend", {}, t("titles.title")),
    h("div", { class: "check" }, option(null, "", !current), h("label", { for: "title-null" }, t("titles.asIndividual"))),
    titles.map((title) =>
      h(
        "div",
        { class: "check" },
        option(title.id, title.name, title.is_default),
        h("label", { for: `title-${title.id}` }, title.name, title.tax_id ? h("small", {}, title.tax_id) : null),
        h(
          "button",
          {
            class: "small",
            type: "button",
            "aria-label": t("titles.removeLabel", { name: title.name }),
            onclick: () => act(ctx, () => del(`/v1/me/titles/${title.id}`), t("titles.removed")),
          },
          t("titles.remove"),
        ),
      ),
    ),
  );
}

function statusText(invoice) {
  if (invoice.kind === "credit_note") return t("invoice.creditNote", { original: invoice.original_number });
  const claimant = invoice.locked_by === invoice.buyer_tax_id ? invoice.buyer_name : invoice.locked_by;
  return t(`invoice.status.${invoice.status}`, { company: claimant ?? "" });
}

function invoiceItem(invoice, titles, ctx) {
  const n = invoice.number;
  const history = h("ol", { class: "plain history" });
  const details = h(
    "details",
    { class: "card invoice", "data-number": n },
    h(
      "summary",
      {},
      h("span", {}, ctx.nameOf("operators", invoice.seller_id), h("small", {}, n)),
      h("strong", {}, yuan(invoice.total_fen)),
    ),
    h("p", { class: `badge ${invoice.status}` }, statusText(invoice)),
    h(
      "dl",
      {},
      h("dt", {}, t("invoice.buyer")),
      h("dd", {}, invoice.buyer_name, invoice.buyer_tax_id ? ` (${invoice.buyer_tax_id})` : ""),
      h("dt", {}, t("invoice.date")),
      h("dd", {}, invoice.issue_date),
      h("dt", {}, t("invoice.tax")),
      h("dd", {}, `${yuan(invoice.base_fen)} + ${yuan(invoice.tax_fen)} (${invoice.rate_bp / 100}%)`),
      h("dt", {}, t("invoice.check")),
      h("dd", {}, invoice.check_code),
    ),
    h(
      "div",
      { class: "actions" },
      h("button", { onclick: () => download(`/v1/me/invoices/${n}.pdf`, `${n}.pdf`) }, t("invoice.pdf")),
      h("button", { onclick: () => download(`/v1/me/invoices/${n}.xml`, `${n}.xml`) }, t("invoice.xml")),
      h("button", { onclick: () => ctx.go("verify", `invoice:${n}`) }, t("invoice.verify")),
    ),
    history,
  );
  if (invoice.kind === "invoice" && invoice.status === "issued") {
    const target = h("select", { name: "retitle" }, titles.map((x) => h("option", { value: String(x.id) }, x.name)));
    if (titles.length) {
      details.append(
        h(
          "div",
          { class: "actions" },
          field(t("invoice.retitleTo"), target),
          h(
            "button",
            { onclick: () => act(ctx, () => post(`/v1/me/invoices/${n}/retitle`, { title_id: Number(target.value) }), t("invoice.retitled")) },
            t("invoice.retitle"),
          ),
        ),
      );
    }
    const confirm = h(
      "button",
      { class: "danger", hidden: true, onclick: () => act(ctx, () => post(`/v1/me/invoices/${n}/credit`, { reason: "refund" }), t("invoice.credited")) },
      t("invoice.refundConfirm"),
    );
    details.append(
      h(
        "div",
        { class: "actions" },
        h("button", { onclick: (e) => ((e.target.hidden = true), (confirm.hidden = false), confirm.focus()) }, t("invoice.refund")),
        confirm,
      ),
    );
  }
  details.addEventListener("toggle", async () => {
    if (!details.open || history.childElementCount) return;
    const events = await get(`/v1/me/invoices/${n}/events`);
    history.append(
      ...events.map((e) => h("li", {}, `${when(e.at)} · ${t(`event.${e.action}`)} → ${t(`state.${e.status}`)}`)),
    );
  });
  return h("li", {}, details);
}

export async function render(main, ctx) {
  const [titles, invoices] = await Promise.all([get("/v1/me/titles"), get("/v1/me/invoices?limit=100")]);
  main.append(
    h("h2", { class: "screen-title" }, t("invoices.title")),
    titleList(titles, ctx),
    titleForm(ctx),
    h("h3", {}, t("invoices.list")),
    h(
      "ul",
      { class: "list" },
      invoices.length ? invoices.map((i) => invoiceItem(i, titles, ctx)) : h("li", { class: "empty" }, t("invoices.none")),
    ),
  );
  return null;
}
