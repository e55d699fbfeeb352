// Sign in with a rider token (the demo world's are in var/demo-credentials.json), or
// register with a phone number and a one-time code (the demo writes it to the server log).

import { ApiError, get, post } from "../api.js";
import { field, h } from "../dom.js";
import { t } from "../i18n.js";
import { clearAll, setToken } from "../store.js";

async function signInWith(token, ctx) {
  setToken(token);
  try {
    await get("/v1/me");
  } catch (error) {
    setToken(null);
    throw error;
  }
  await clearAll(); // another rider's phone key and trips must not carry over
  ctx.say(t("signin.done"));
  ctx.go("code");
}

function problemText(error) {
  if (error instanceof ApiError && error.status === 0) return t("app.offline");
  return error.message;
}

export function render(main, ctx) {
  const tokenInput = h("input", {
    type: "password",
    autocomplete: "off",
    spellcheck: "false",
    required: true,
    name: "token",
  });
  const tokenForm = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          await signInWith(tokenInput.value.trim(), ctx);
        } catch (error) {
          ctx.say(t("signin.failed", { detail: problemText(error) }), "error");
        }
      },
    },
    h("h2", {}, t("signin.tokenTitle")),
    h("p", {}, t("signin.tokenHelp")),
    field(t("signin.token"), tokenInput),
    h("button", { type: "submit", class: "primary" }, t("signin.submit")),
  );

  const phone = h("input", { type: "tel", autocomplete: "tel", inputmode: "tel", name: "phone" });
  const code = h("input", {
    type: "text",
    inputmode: "numeric",
    autocomplete: "one-time-code",
    pattern: "[0-9]{6}",
    maxlength: "6",
    name: "code",
  });
  const codeHint = h("p", { class: "hint" }, t("signup.codeHint"));
  const phoneForm = h(
    "form",
    {
      class: "card",
      onsubmit: async (event) => {
        event.preventDefault();
        try {
          const answer = await post("/v1/signup", { phone: phone.value, code: code.value });
          await signInWith(answer.token, ctx);
        } catch (error) {
          ctx.say(t("signup.failed", { detail: problemText(error) }), "error");
        }
      },
    },
    h("h2", {}, t("signup.title")),
    field(t("signup.phone"), phone),
    h(
      "button",
      {
        type: "button",
        onclick: async () => {
          try {
            await post("/v1/signup/code", { phone: phone.value });
            ctx.say(t("signup.sent"));
            code.focus();
          } catch (error) {
            ctx.say(t("signup.failed", { detail: problemText(error) }), "error");
          }
        },
      },
      t("signup.send"),
    ),
    field(t("signup.code"), code, codeHint),
    h("button", { type: "submit", class: "primary" }, t("signup.submit")),
  );
  main.append(h("h2", { class: "screen-title" }, t("signin.title")), tokenForm, phoneForm);
}
