// Small DOM helpers: element builder (text only, never innerHTML of data), formatting, common blocks.

/** h("p", {class: "x", onclick: f}, "text", child, [more]) → element. Strings become text nodes. */
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k === "class") el.className = v;
    else if (v === true) el.setAttribute(k, "");
    else el.setAttribute(k, String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

export function main() {
  return document.getElementById("main");
}

/** Replace `el`'s children (nested arrays flattened; null, undefined and false left out). */
export function fill(el, ...children) {
  el.replaceChildren(...children.flat(Infinity).filter((c) => c !== null && c !== undefined && c !== false));
  return el;
}

/** Replace the page's content; sets the document title and moves focus for screen readers on navigation. */
export function render(title, ...children) {
  document.title = title ? `${title} · pilotkit` : "pilotkit";
  const m = main();
  return fill(m, children);
}

export function errorBox(e) {
  const status = e && e.status ? ` (${e.status}${e.problem && e.problem.title ? " " + e.problem.title : ""})` : "";
  return h("p", { class: "error", role: "alert" }, (e && e.message) || String(e), status);
}

export function short(hex, keep = 6) {
  const s = String(hex || "");
  return s.length > 2 * keep + 4 ? `${s.slice(0, keep + 2)}…${s.slice(-keep)}` : s;
}

/** A raw token amount (integer, string or number) as a decimal string with `decimals` places trimmed. */
export function amount(raw, decimals = 0, symbol = "") {
  if (raw === null || raw === undefined || raw === "") return "—";
  let n;
  try {
    n = BigInt(typeof raw === "number" ? Math.round(raw) : String(raw));
  } catch {
    return String(raw);
  }
  const neg = n < 0n;
  if (neg) n = -n;
  const base = 10n ** BigInt(decimals);
  const whole = (n / base).toLocaleString("en-US");
  const frac = decimals ? (n % base).toString().padStart(decimals, "0").replace(/0+$/, "") : "";
  return `${neg ? "-" : ""}${whole}${frac ? "." + frac : ""}${symbol ? " " + symbol : ""}`;
}

export function toNumber(raw, decimals = 0) {
  if (raw === null || raw === undefined) return 0;
  return Number(raw) / 10 ** decimals;
}

export function count(n) {
  return n === null || n === undefined ? "—" : Number(n).toLocaleString("en-US");
}

/** A date from unix seconds or an ISO string, in the reader's locale with the time zone offset. */
export function when(value) {
  if (value === null || value === undefined || value === "" || value === 0) return "—";
  const d = typeof value === "number" ? new Date(value * 1000) : new Date(value);
  if (Number.isNaN(d.getTime())) return String(value);
  return d.toLocaleString(undefined, { year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit" });
}

export function card(label, value) {
  return h("div", { class: "card" }, h("span", { class: "label" }, label), h("span", { class: "value" }, value));
}

/** A table in a horizontally scrollable wrapper (the page itself never scrolls sideways). */
export function table(caption, columns, rows, opts = {}) {
  const head = h("tr", {}, columns.map((c) => h("th", { scope: "col", class: c.num ? "num" : null }, c.label)));
  const body = rows.length
    ? rows.map((r) => h("tr", {}, columns.map((c) => h("td", { class: c.num ? "num" : null }, c.cell(r)))))
    : [h("tr", {}, h("td", { colspan: columns.length, class: "muted" }, opts.empty || "Nothing yet."))];
  return h("div", { class: "table-wrap", tabindex: "0", role: "region", "aria-label": caption },
    h("table", {}, h("caption", { class: "sr-only" }, caption), h("thead", {}, head), h("tbody", {}, body)));
}

const TONES = {
  valid: "ok", active: "ok", approved: "ok", open: "ok", confirmed: "ok", paid: "ok", pass: "ok", claimed: "ok",
  revoked: "bad", failed: "bad", removed: "bad", cancelled: "bad", fail: "bad", frozen: "bad", expired: "warn",
  suspended: "warn", proposed: "warn", pending: "warn", queued: "warn", sent: "warn", submitted: "warn",
  superseded: "info", closed: "info", swept: "info", retired: "info", recovering: "warn",
};

export function tone(status) {
  return TONES[String(status || "").toLowerCase()] || "none";
}

export function badge(status) {
  return h("span", { class: `badge tone-${tone(status)}` }, String(status ?? "unknown"));
}

export function crumbs(...parts) {
  const items = [];
  parts.forEach((p, i) => {
    if (i) items.push(" › ");
    items.push(p.href ? h("a", { href: p.href }, p.label) : p.label);
  });
  return h("p", { class: "crumbs" }, items);
}

export function copyButton(label, text) {
  const b = h("button", { type: "button", class: "secondary" }, label);
  b.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(text());
      b.textContent = "Copied";
    } catch {
      b.textContent = "Copy failed: select the address bar";
    }
    setTimeout(() => (b.textContent = label), 2000);
  });
  return b;
}

export function lowerAddress(a) {
  return String(a || "").toLowerCase();
}
