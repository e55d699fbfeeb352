// A small element builder: no innerHTML anywhere, so no text from the server is markup.

export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [name, value] of Object.entries(attrs)) {
    if (value === false || value === null || value === undefined) continue;
    if (name.startsWith("on")) el.addEventListener(name.slice(2), value);
    else if (name === "class") el.className = value;
    else el.setAttribute(name, value === true ? "" : String(value));
  }
  for (const child of children.flat()) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : String(child));
  }
  return el;
}

let counter = 0;
export const uid = (prefix) => `${prefix}-${++counter}`;

// A labelled form field: the label is tied to the control, hints are announced with it.
export function field(labelText, control, hint) {
  control.id ||= uid("f");
  const parts = [h("label", { for: control.id }, labelText), control];
  if (hint) {
    hint.id ||= uid("hint");
    control.setAttribute("aria-describedby", hint.id);
    parts.push(hint);
  }
  return h("div", { class: "field" }, ...parts);
}

export function yuan(fen) {
  const sign = fen < 0 ? "-" : "";
  const abs = Math.abs(fen);
  return `${sign}¥${Math.floor(abs / 100)}.${String(abs % 100).padStart(2, "0")}`;
}

// A moment as a Shenzhen rider reads it: China Standard Time, in the page's language.
export function when(moment, { seconds = false } = {}) {
  if (moment === null || moment === undefined || moment === "") return "";
  const zh = document.documentElement.lang.startsWith("zh");
  return new Date(moment).toLocaleString(zh ? "zh-CN" : "en-GB", {
    timeZone: "Asia/Shanghai",
    dateStyle: "medium",
    timeStyle: seconds ? "medium" : "short",
  });
}
