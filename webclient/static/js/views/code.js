// The ride code: enrol the phone once (a WebCrypto Ed25519 key that never leaves the
// browser), then show a QR that is signed afresh every REFRESH_S seconds. It needs no
// network once the certificate is held; a rider blocked for debt sees why instead.

import { ApiError, get, post } from "../api.js";
import { h, when, yuan } from "../dom.js";
import { t } from "../i18n.js";
import { newPhoneKey, REFRESH_S, rideCode } from "../ridecode.js";
import { load, riderId, save } from "../store.js";
import qrcode from "../../vendor/qrcode-generator-2.0.4/qrcode.mjs";

const RENEW_BEFORE_MS = 24 * 3600 * 1000;

export async function currentAccount(features) {
  if (!features.payments) return { account: null, cached: false };
  if (!navigator.onLine) {
    const kept = await load("account");
    return { account: kept?.riderId === riderId() ? kept.account : null, cached: true };
  }
  try {
    const account = await get("/v1/me/account");
    await save("account", { riderId: riderId(), account, at: Date.now() });
    return { account, cached: false };
  } catch (error) {
    const kept = await load("account");
    if (error instanceof ApiError && error.status !== 0 && error.status !== 404) throw error;
    return { account: kept?.riderId === riderId() ? kept.account : null, cached: true };
  }
}

async function enrol(ctx) {
  const { pair, publicKey } = await newPhoneKey();
  let answer;
  try {
    answer = await post("/v1/me/phones", { public_key: publicKey, label: t("code.label") });
  } catch (error) {
    const missing = error instanceof ApiError && error.status === 404;
    ctx.say(missing ? t("code.unavailable") : t("error.generic", { detail: error.message }), "error");
    return;
  }
  await save("phone", {
    riderId: riderId(),
    phoneId: answer.phone_id,
    certificate: answer.certificate,
    validUntil: answer.valid_until,
    pair, // CryptoKey objects: IndexedDB keeps them, non-extractable as they are
  });
  ctx.say(t("code.enrolled"));
  ctx.rerender();
}

async function renewIfDue(phone) {
  if (!navigator.onLine || Date.parse(phone.validUntil) - Date.now() > RENEW_BEFORE_MS) return;
  try {
    const answer = await post(`/v1/me/phones/${encodeURIComponent(phone.phoneId)}/certificate`);
    Object.assign(phone, { certificate: answer.certificate, validUntil: answer.valid_until });
    await save("phone", phone);
  } catch {
    /* keep showing the certificate held; the gate decides whether it still holds */
  }
}

export function drawQr(canvas, text) {
  const qr = qrcode(0, "M");
  qr.addData(text, "Byte");
  qr.make();
  const count = qr.getModuleCount();
  const quiet = 4;
  const scale = Math.max(2, Math.floor(288 / (count + 2 * quiet)));
  canvas.width = canvas.height = (count + 2 * quiet) * scale;
  const g = canvas.getContext("2d");
  g.fillStyle = "#fff";
  g.fillRect(0, 0, canvas.width, canvas.height);
  g.fillStyle = "#000";
  for (let r = 0; r < count; r++) {
    for (let c = 0; c < count; c++) {
      if (qr.isDark(r, c)) g.fillRect((c + quiet) * scale, (r + quiet) * scale, scale, scale);
    }
  }
}

function blockedCard(account, ctx) {
  return h(
    "section",
    { class: "card blocked", role: "alert", "aria-labelledby": "blocked-title" },
    h("h2", { id: "blocked-title" }, t("code.blockedTitle")),
    h("p", {}, t("code.blockedText", { owed: yuan(account.owed_fen) })),
    account.blocked_reason ? h("p", { class: "hint" }, t(`code.blockedReason.${account.blocked_reason}`)) : null,
    h("button", { class: "primary", onclick: () => ctx.go("account") }, t("code.payNow")),
  );
}

export async function render(main, ctx) {
  main.append(h("h2", { class: "screen-title" }, t("code.title")));
  const { account, cached } = await currentAccount(ctx.features);
  if (account?.blocked) {
    main.append(blockedCard(account, ctx));
    if (cached) main.append(h("p", { class: "hint" }, t("code.blockedCached")));
    return null;
  }
  if (!ctx.features.ride_codes) {
    main.append(h("p", { class: "card" }, t("code.unavailable")));
    return null;
  }
  let phone = await load("phone");
  if (phone && phone.riderId !== riderId()) phone = null;
  if (!phone) {
    main.append(
      h(
        "section",
        { class: "card" },
        h("p", {}, t("code.enrolHelp")),
        h("button", { class: "primary", onclick: () => enrol(ctx) }, t("code.enrol")),
      ),
    );
    return null;
  }
  await renewIfDue(phone);
  const canvas = h("canvas", { class: "qr", role: "img", "aria-label": t("code.qrLabel") });
  const caption = h("p", { class: "qr-caption", "aria-live": "off" });
  const meter = h("progress", { max: String(REFRESH_S), value: String(REFRESH_S), "aria-label": t("code.refreshLabel") });
  main.append(
    h("section", { class: "card code-card" }, canvas, meter, caption),
    h("p", { class: "hint" }, t("code.help", { seconds: REFRESH_S })),
  );
  let left = 0;
  const tick = async () => {
    if (left <= 0) {
      const now = Math.floor(Date.now() / 1000);
      const code = await rideCode(phone.certificate, phone.pair.privateKey, now);
      drawQr(canvas, code);
      canvas.dataset.signedAt = String(now);
      caption.textContent = t("code.signedAt", { time: when(now * 1000, { seconds: true }) });
      left = REFRESH_S;
    }
    meter.value = left;
    left -= 1;
  };
  await tick();
  const timer = setInterval(tick, 1000);
  return () => clearInterval(timer);
}
