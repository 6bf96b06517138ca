// Compare two replay runs: pilotkit's own comparison text when available, and every value that differs.
import { api } from "../api.js";
import { crumbs, h, render, short, table } from "../ui.js";

function show1(v) {
  const text = v === undefined || v === null ? "—" : typeof v === "object" ? JSON.stringify(v) : String(v);
  return text.length > 42 ? h("span", { title: text }, short(text, 12)) : text;
}

export async function show() {
  const q = new URLSearchParams(location.search);
  const a = q.get("a") || "";
  const b = q.get("b") || "";
  const cmp = await api(`/v1/reports/compare?a=${encodeURIComponent(a)}&b=${encodeURIComponent(b)}`);
  render(`Compare ${a} and ${b}`, crumbs({ label: "Pilot reports", href: "/reports" }, { label: "Compare" }),
    h("h1", {}, "Compare two runs"),
    h("p", {}, "First: ", h("a", { href: `/reports/${a}` }, a), " · second: ", h("a", { href: `/reports/${b}` }, b)),
    cmp.text ? [h("h2", {}, "What changed"), h("pre", { class: "diff" }, cmp.text)] : null,
    h("h2", {}, `Values that differ (${cmp.differences.length}${cmp.truncated ? "+" : ""})`),
    table("Values that differ", [
      { label: "Value", cell: (d) => h("code", { class: "path" }, d.path) },
      { label: a, cell: (d) => show1(d.a) },
      { label: b, cell: (d) => show1(d.b) },
    ], cmp.differences, { empty: "The two runs gave the same results." }));
}
