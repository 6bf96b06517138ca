// Sign in with an API key: checked with GET /v1/me, kept in this tab's sessionStorage only.
import { ApiError, api, setToken } from "../api.js";
import { errorBox, h, render } from "../ui.js";

function safeNext() {
  const next = new URLSearchParams(location.search).get("next") || "/";
  return next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/signin") ? next : "/";
}

export async function show() {
  const input = h("input", { id: "api-key", name: "api-key", type: "password", autocomplete: "off", required: true,
    spellcheck: "false", "aria-describedby": "api-key-hint" });
  const status = h("div", { "aria-live": "polite" });
  const form = h("form", { class: "stack", novalidate: true },
    h("div", {}, h("label", { for: "api-key" }, "API key"),
      h("span", { class: "hint", id: "api-key-hint" }, "Given to you by your administrator (pilotkit api-key create). It stays in this browser tab and is forgotten when you close it."),
      input),
    h("div", {}, h("button", { type: "submit" }, "Sign in")),
    status);
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const value = input.value.trim();
    if (!value) {
      status.replaceChildren(h("p", { class: "error", role: "alert" }, "Enter your API key."));
      input.focus();
      return;
    }
    status.replaceChildren(h("p", { class: "muted" }, "Checking…"));
    setToken(value);
    try {
      await api("/v1/me");
      location.assign(safeNext());
    } catch (e) {
      setToken(null);
      const msg = e instanceof ApiError && e.status === 401 ? new Error("This API key is not valid (unknown, revoked or mistyped).") : e;
      status.replaceChildren(errorBox(msg));
      input.focus();
    }
  });
  render("Sign in", h("h1", {}, "Sign in"), form);
  input.focus();
}
