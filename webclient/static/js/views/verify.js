// Verify a receipt here, in the browser: the record's leaf hash, its RFC 6962 inclusion
// proof up to the signed checkpoint, the log's Ed25519 signature and the tax bureau's
// cosignature, with public keys only. The result is said in plain words, step by step.

import { get } from "../api.js";
import { field, h, when, yuan } from "../dom.js";
import { t } from "../i18n.js";
import { verifyReceipt } from "../receipt.js";

async function trustedKeys() {
  const response = await fetch("/app/keys.json");
  if (!response.ok) throw new Error(`keys: HTTP ${response.status}`);
  const keys = await response.json();
  return { logKeys: keys.log, witnessKeys: keys.witnesses };
}

function recordSummary(record) {
  if (record.type === "trip") return t("verify.tripRecord", { fare: yuan(record.fare_fen ?? record.quote?.amount_fen ?? 0) });
  if (record.type === "invoice") return t("verify.invoiceRecord", { number: record.number ?? "", total: yuan(record.total_fen ?? 0) });
  return t("verify.otherRecord", { type: record.type ?? "?" });
}

function stepText(step) {
  const vars = { ...step.vars };
  if (typeof vars.time === "number") vars.time = when(vars.time * 1000, { seconds: true });
  return t(step.key, vars);
}

async function check(text, out) {
  out.replaceChildren(h("p", {}, t("verify.checking")));
  let result;
  try {
    result = await verifyReceipt(text, await trustedKeys());
  } catch (error) {
    result = { ok: false, record: null, steps: [{ ok: false, key: "verify.malformed", vars: { detail: error.message } }] };
  }
  out.replaceChildren(
    h(
      "p",
      { class: `verdict ${result.ok ? "ok" : "error"}`, role: "status" },
      result.ok ? t("verify.good") : t("verify.bad"),
    ),
    // replaceChildren would print a null as "null": an empty paragraph instead.
    h("p", {}, result.record ? recordSummary(result.record) : ""),
    h(
      "ol",
      { class: "steps" },
      result.steps.map((step) => h("li", { class: step.ok ? "ok" : "error" }, h("span", { class: "sr" }, step.ok ? "✓ " : "✗ "), stepText(step))),
    ),
  );
  out.dataset.verdict = result.ok ? "valid" : "invalid";
}

export async function render(main, ctx) {
  const out = h("section", { class: "card result", "aria-live": "polite" });
  const text = h("textarea", { rows: "6", name: "receipt", spellcheck: "false" });
  const file = h("input", { type: "file", accept: ".tlog-proof,text/plain", name: "receipt-file" });
  file.addEventListener("change", async () => {
    if (file.files[0]) {
      text.value = await file.files[0].text();
      await check(text.value, out);
    }
  });
  main.append(
    h("h2", { class: "screen-title" }, t("verify.title")),
    h("p", { class: "hint" }, t("verify.help")),
    out,
    h(
      "form",
      {
        class: "card",
        onsubmit: async (event) => {
          event.preventDefault();
          await check(text.value, out);
        },
      },
      field(t("verify.file"), file),
      field(t("verify.paste"), text),
      h("button", { type: "submit", class: "primary" }, t("verify.submit")),
    ),
  );
  const [kind, id] = (ctx.param ?? "").split(/:(.*)/s);
  if (kind === "trip" || kind === "invoice") {
    const path = kind === "trip" ? `/v1/me/trips/${encodeURIComponent(id)}/receipt` : `/v1/me/invoices/${id}/receipt`;
    text.value = await get(path);
    await check(text.value, out);
  } else {
    out.append(h("p", {}, t("verify.choose")));
  }
  return null;
}
