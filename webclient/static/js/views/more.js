// Language, the phones enrolled for ride codes, receipt verification and signing out.

import { ApiError, del, get } from "../api.js";
import { h } from "../dom.js";
import { lang, setLang, t } from "../i18n.js";
import { clearAll, load, riderId, setToken } from "../store.js";

async function phoneList(ctx) {
  const section = h("section", { class: "card", "aria-labelledby": "phones-title" }, h("h3", { id: "phones-title" }, t("more.phones")));
  if (!ctx.features.ride_codes) {
    section.append(h("p", { class: "hint" }, t("code.unavailable")));
    return section;
  }
  let phones;
  try {
    phones = await get("/v1/me/phones");
  } catch (error) {
    if (error instanceof ApiError && (error.status === 404 || error.status === 0)) {
      section.append(h("p", { class: "hint" }, error.status ? t("code.unavailable") : t("app.offline")));
      return section;
    }
    throw error;
  }
  const mine = await load("phone");
  const items = Array.isArray(phones) ? phones : (phones.phones ?? []);
  section.append(
    h(
      "ul",
      { class: "plain" },
      items.map((p) =>
        h(
          "li",
          { class: "row" },
          h("span", {}, p.label ?? p.phone_id, mine?.riderId === riderId() && mine.phoneId === p.phone_id ? h("small", {}, t("more.thisPhone")) : null),
          h(
            "button",
            {
              class: "small",
              "aria-label": t("more.revokeLabel", { label: p.label ?? p.phone_id }),
              onclick: async () => {
                await del(`/v1/me/phones/${encodeURIComponent(p.phone_id)}`);
                ctx.say(t("more.revoked"));
                ctx.rerender();
              },
            },
            t("more.revoke"),
          ),
        ),
      ),
    ),
  );
  if (!items.length) section.append(h("p", { class: "hint" }, t("more.noPhones")));
  return section;
}

export async function render(main, ctx) {
  const choice = (value, label) => {
    const radio = h("input", { type: "radio", name: "lang", value, id: `lang-${value}`, checked: lang() === value });
    radio.addEventListener("change", () => {
      setLang(value);
      ctx.rerender();
    });
    return h("div", { class: "check" }, radio, h("label", { for: `lang-${value}`, lang: value === "zh" ? "zh-CN" : "en" }, label));
  };
  main.append(
    h("h2", { class: "screen-title" }, t("more.title")),
    h("fieldset", { class: "card" }, h("legend", {}, t("more.language")), choice("zh", "中文"), choice("en", "English")),
    h(
      "section",
      { class: "card" },
      h("h3", {}, t("verify.title")),
      h("p", { class: "hint" }, t("verify.help")),
      h("a", { href: "#/verify", class: "button" }, t("more.verify")),
    ),
    await phoneList(ctx),
    h(
      "section",
      { class: "card" },
      h("p", {}, t("more.rider", { id: riderId() })),
      h(
        "button",
        {
          class: "danger",
          onclick: async () => {
            setToken(null);
            await clearAll();
            if ("caches" in window) await caches.delete("fc-api");
            ctx.say(t("more.signedOut"));
            ctx.go("signin");
          },
        },
        t("more.signOut"),
      ),
    ),
  );
  return null;
}
