// The page's words in Chinese and English (strings-zh.js, strings-en.js). The choice is
// remembered (localStorage); the first visit follows the browser's language.
// tests/webclient checks both tables hold the same keys.

import { EN } from "./strings-en.js";
import { ZH } from "./strings-zh.js";

export const STRINGS = { zh: ZH, en: EN };

const saved = () => localStorage.getItem("fc.lang");

export function lang() {
  const choice = saved();
  if (choice === "zh" || choice === "en") return choice;
  return (navigator.language || "zh").toLowerCase().startsWith("zh") ? "zh" : "en";
}

export function setLang(value) {
  localStorage.setItem("fc.lang", value);
}

// The text for `key` with {name} placeholders filled; the key itself if none is known.
export function t(key, vars = {}) {
  const text = STRINGS[lang()][key] ?? STRINGS.en[key];
  if (text === undefined) return key;
  return text.replace(/\{(\w+)\}/g, (_, name) => (name in vars ? String(vars[name]) : `{${name}}`));
}

// A quote line's rule in words: "transfer.metro-bus" is a transfer discount, and so on.
export function ruleLabel(ruleId) {
  const table = STRINGS[lang()];
  return table[`rule.${ruleId}`] ?? table[`rule.${ruleId.split(".")[0]}`] ?? ruleId;
}
