// One replay report: its summary, and the self-contained HTML report in a sandboxed frame.
import { api } from "../api.js";
import { badge, crumbs, h, render } from "../ui.js";

export async function show({ params }) {
  const [name] = params;
  const doc = await api(`/v1/reports/${encodeURIComponent(name)}`);
  const summary = doc.summary || {};
  let frame = h("p", { class: "muted" }, "This report has no HTML version (replayed with --no-html).");
  try {
    const link = await api(`/v1/reports/${encodeURIComponent(name)}/view-link`, { method: "POST" });
    frame = [h("iframe", { class: "report", src: link.url, title: `Replay report ${name}`, sandbox: "allow-scripts" }),
      h("p", {}, h("a", { href: link.url, target: "_blank", rel: "noopener" }, "Open the report in its own tab"), " (the link works for five minutes).")];
  } catch {
    /* keep the note */
  }
  render(name, crumbs({ label: "Pilot reports", href: "/reports" }, { label: name }),
    h("h1", {}, (doc.scenario && doc.scenario.title) || name),
    h("p", {}, summary.verdict ? badge(summary.verdict) : null, " ", summary.headline || ""),
    frame);
}
