// The page's frame: language, navigation between screens (hash routes), the status line
// and the service worker. Each screen is a module under views/ exporting `render(main, ctx)`,
// which may return a function that stops its timers when the rider leaves the screen.

import { h } from "./dom.js";
import { lang, setLang, t } from "./i18n.js";
import { token } from "./store.js";

const SCREENS = {
  signin: () => import("./views/signin.js"),
  code: () => import("./views/code.js"),
  trips: () => import("./views/trips.js"),
  account: () => import("./views/account.js"),
  invoices: () => import("./views/invoices.js"),
  verify: () => import("./views/verify.js"),
  more: () => import("./views/more.js"),
};
const TABS = ["code", "trips", "account", "invoices", "more"];

let stopScreen = null;
let saidAt = 0;
let names = { stations: {}, lines: {}, operators: {}, routes: {} };
let features = { ride_codes: false, payments: false };

function say(text, kind = "info") {
  const status = document.getElementById("status");
  status.className = `status ${kind}`;
  status.textContent = text;
  saidAt = Date.now();
}

function nameOf(kind, id) {
  const entry = names[kind]?.[id];
  if (!entry) return id ?? "";
  return lang() === "zh" ? `${entry.zh} ${entry.en}` : `${entry.en} ${entry.zh}`;
}

function go(screen, param) {
  const target = `#/${screen}${param ? `/${encodeURIComponent(param)}` : ""}`;
  if (location.hash === target) show();
  else location.hash = target;
}

function route() {
  const [, screen = "", param] = location.hash.split("/");
  if (!token()) return { screen: "signin" };
  const known = SCREENS[screen] && screen !== "signin";
  return { screen: known ? screen : "code", param: param && decodeURIComponent(param) };
}

function renderFrame(current) {
  document.documentElement.lang = lang() === "zh" ? "zh-CN" : "en";
  document.title = `${t(`tab.${current}`)} · ${t("app.name")}`;
  document.getElementById("app-name").textContent = t("app.name");
  const switcher = document.getElementById("lang");
  switcher.textContent = t("lang.switch");
  switcher.setAttribute("aria-label", t("lang.switchLabel"));
  document.querySelector(".skip").textContent = t("app.skip");
  const nav = document.getElementById("tabs");
  nav.setAttribute("aria-label", t("app.nav"));
  nav.replaceChildren(
    ...(token()
      ? TABS.map((tab) =>
          h(
            "a",
            {
              href: `#/${tab}`,
              class: "tab",
              "aria-current": tab === current || (current === "verify" && tab === "more") ? "page" : false,
            },
            t(`tab.${tab}`),
          ),
        )
      : []),
  );
}

async function show() {
  if (stopScreen) stopScreen();
  stopScreen = null;
  const { screen, param } = route();
  if (Date.now() - saidAt > 1500) say(""); // a message outlives only the step that caused it
  renderFrame(screen);
  const main = document.getElementById("main");
  main.replaceChildren();
  main.dataset.screen = screen;
  const view = await SCREENS[screen]();
  if (route().screen !== screen) return; // the rider moved on while it loaded
  const ctx = { say, go, nameOf, param, features, rerender: show };
  try {
    stopScreen = (await view.render(main, ctx)) || null;
  } catch (error) {
    say(t("error.generic", { detail: error.message }), "error");
  }
}

async function loadJson(path, fallback) {
  try {
    const response = await fetch(path);
    if (response.ok) return await response.json();
  } catch {
    /* offline and not cached: ids are shown instead of names, optional screens say so */
  }
  return fallback;
}

document.getElementById("lang").addEventListener("click", () => {
  setLang(lang() === "zh" ? "en" : "zh");
  say("");
  show();
});
window.addEventListener("hashchange", show);
window.addEventListener("offline", () => say(t("app.offline"), "warn"));
window.addEventListener("online", () => say(t("app.online")));
if ("serviceWorker" in navigator) {
  navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(() => {
    /* no worker (e.g. a private window): the page still works online */
  });
}
[names, features] = await Promise.all([
  loadJson("/app/names.json", names),
  loadJson("/app/features.json", features),
]);
await show();
if (!navigator.onLine) say(t("app.offline"), "warn");
