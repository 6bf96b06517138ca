// Pilot replay reports (pilotkit replay): list them, open one, pick two to compare.
import { api } from "../api.js";
import { badge, h, render, table, when } from "../ui.js";

export async function show() {
  const reports = await api("/v1/reports");
  const options = () => reports.map((r) => h("option", { value: r.name }, `${r.name} (${when(r.modified)})`));
  const a = h("select", { id: "compare-a", name: "a" }, options());
  const b = h("select", { id: "compare-b", name: "b" }, options());
  if (reports.length > 1) b.selectedIndex = 1;
  const compare = reports.length > 1
    ? h("form", { class: "stack", action: "/reports/compare", method: "get", id: "compare-form" },
      h("div", {}, h("label", { for: "compare-a" }, "First run"), a),
      h("div", {}, h("label", { for: "compare-b" }, "Second run"), b),
      h("div", {}, h("button", { type: "submit" }, "Compare")))
    : h("p", { class: "muted" }, "Two reports are needed to compare runs.");
  render("Pilot reports", h("h1", {}, "Pilot reports"),
    h("p", {}, "Replays of pilot scenarios (", h("code", {}, "pilotkit replay pilots/<name>.yaml"), "), newest first."),
    table("Pilot reports", [
      { label: "Report", cell: (r) => h("a", { href: `/reports/${r.name}` }, r.name) },
      { label: "Verdict", cell: (r) => (r.verdict ? badge(r.verdict) : "—") },
      { label: "Headline", cell: (r) => r.headline || "—" },
      { label: "Written", cell: (r) => when(r.modified) },
    ], reports, { empty: "No report in the reports folder yet: run pilotkit replay." }),
    h("h2", {}, "Compare two runs"), compare);
}
