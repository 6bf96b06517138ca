// Eco-credit registry: projects, batches, issued / circulating / retired per vintage (chart and table), and
// retirements, each with a public page anyone can open and share.
import { api } from "../../api.js";
import { barChart } from "../../chart.js";
import { badge, card, count, crumbs, h, render, short, table, when } from "../../ui.js";

export async function show({ params }) {
  const [address] = params;
  const base = `/v1/credit-registries/${address}`;
  const [contracts, summary, projects, batches, retirements] = await Promise.all([
    api("/v1/contracts?kind=credits").catch(() => []),
    api(`${base}/summary`),
    api(`${base}/projects?limit=100`),
    api(`${base}/batches?limit=100`),
    api(`${base}/retirements?limit=100&order=desc`).catch(() => api(`${base}/retirements?limit=100`)),
  ]);
  const row = contracts.find((c) => c.address.toLowerCase() === address.toLowerCase());
  const label = row ? row.label : `Registry ${short(address)}`;
  const t = summary.totals || {};
  const vintages = summary.vintages || [];
  const projectName = new Map(projects.items.map((p) => [p.project_id, `${p.registry_code} ${p.external_id}`]));

  const chart = vintages.length
    ? barChart("Credits per vintage year: issued, circulating and retired", vintages.map((v) => String(v.vintage)), [
      { name: "Issued", values: vintages.map((v) => v.issued) },
      { name: "Circulating", values: vintages.map((v) => v.circulating) },
      { name: "Retired", values: vintages.map((v) => v.retired) },
    ], { describe: `Grouped bar chart of issued, circulating and retired credits for ${vintages.length} vintage years; the table below lists them.`, legend: true })
    : null;

  render(label, crumbs({ label: "Eco-credits", href: "/credits" }, { label }),
    h("h1", {}, label),
    h("p", { class: "muted mono" }, address),
    h("div", { class: "cards" }, card("Issued", count(t.issued)), card("Circulating", count(t.circulating)),
      card("Retired", count(t.retired)), card("Frozen", count(t.frozen)), card("Batches", count(summary.batch_count)),
      card("Retirements", count(summary.retirement_count))),
    h("h2", {}, "Per vintage"), chart,
    table("Credits per vintage", [
      { label: "Vintage", cell: (v) => String(v.vintage) },
      { label: "Batches", num: true, cell: (v) => count(v.batches) },
      { label: "Issued", num: true, cell: (v) => count(v.issued) },
      { label: "Circulating", num: true, cell: (v) => count(v.circulating) },
      { label: "Retired", num: true, cell: (v) => count(v.retired) },
      { label: "Frozen", num: true, cell: (v) => count(v.frozen) },
    ], vintages, { empty: "No credits issued yet." }),
    h("h2", {}, "Projects"),
    table("Projects", [
      { label: "Project", num: true, cell: (p) => `#${p.project_id}` },
      { label: "Registry", cell: (p) => p.registry_code },
      { label: "External id", cell: (p) => p.external_id },
      { label: "Methodology", cell: (p) => p.methodology },
      { label: "Country", cell: (p) => p.country },
    ], projects.items, { empty: "No project registered yet." }),
    h("h2", {}, "Batches"),
    table("Batches", [
      { label: "Batch", num: true, cell: (b) => `#${b.batch_id}` },
      { label: "Project", cell: (b) => projectName.get(b.project_id) || `#${b.project_id}` },
      { label: "Vintage", cell: (b) => `${String(b.vintage_start).slice(0, 10)} – ${String(b.vintage_end).slice(0, 10)}` },
      { label: "Serials", cell: (b) => `${b.serial_start}–${b.serial_end}` },
      { label: "Issued", num: true, cell: (b) => count(b.issued) },
      { label: "Retired", num: true, cell: (b) => count(b.retired) },
      { label: "State", cell: (b) => badge(b.frozen ? "frozen" : "active") },
    ], batches.items, { empty: "No batch issued yet." }),
    h("h2", {}, "Retirements"),
    h("p", { class: "muted" }, "Each retirement has a public page anyone can open: share its link as the retirement certificate."),
    table("Retirements", [
      { label: "Retirement", cell: (r) => h("a", { href: `/credits/${address}/retirements/${r.retirement_id}` }, `#${r.retirement_id}`) },
      { label: "Batch", num: true, cell: (r) => `#${r.batch_id}` },
      { label: "Credits", num: true, cell: (r) => count(r.amount) },
      { label: "For", cell: (r) => r.beneficiary_name || (r.beneficiary_erased ? "(name erased)" : "—") },
      { label: "Reason", cell: (r) => r.reason || "—" },
      { label: "Retired", cell: (r) => when(r.retired_at) },
    ], retirements.items, { empty: "No credit retired yet." }));
}
