// Programme overview: money (budget funded, paid, unclaimed, swept), beneficiaries by status, rounds with their
// state, a chart of money disbursed over time, and a CSV export of all of it.
import { api, maybe } from "../../api.js";
import { barChart } from "../../chart.js";
import { download, plain, tableCsv, toZip } from "../../csv.js";
import { amount, badge, card, count, crumbs, errorBox, h, render, table, toNumber, when } from "../../ui.js";

const STATUS_ORDER = ["active", "suspended", "removed", "pending", "failed"];

export async function show({ params, can }) {
  const [address] = params;
  const base = `/v1/programmes/${address}`;
  const [overview, rounds, series] = await Promise.all([
    api(base),
    maybe(`${base}/rounds?limit=100`).catch((e) => ({ error: e })),
    maybe(`${base}/disbursements?bucket=day`).catch((e) => ({ error: e })),
  ]);
  const token = overview.token || {};
  const dec = token.decimals ?? 0;
  const sym = token.symbol || "";
  const money = (v) => amount(v, dec, sym);

  const cards = h("div", { class: "cards", id: "money" },
    card("Funded", money(overview.funded)),
    card("Paid", money(overview.paid)),
    card("Unclaimed", money(overview.unclaimed)),
    card("Swept back", money(overview.swept)),
    overview.voucher_mode ? card("Redeemed by merchants", money(overview.redeemed)) : null,
    card("Beneficiaries", count(overview.beneficiaries)));

  const byStatus = Object.entries(overview.beneficiaries_by_status || {})
    .sort(([a], [b]) => (STATUS_ORDER.indexOf(a) + 99) % 99 - (STATUS_ORDER.indexOf(b) + 99) % 99);
  const statusTable = table("Beneficiaries by status", [
    { label: "Status", cell: ([s]) => badge(s) },
    { label: "Beneficiaries", num: true, cell: ([, n]) => count(n) },
  ], byStatus, { empty: "No beneficiary enrolled yet." });

  const roundItems = rounds && !rounds.error ? rounds.items || [] : [];
  const roundsBlock = rounds && rounds.error ? errorBox(rounds.error)
    : rounds === null ? h("p", { class: "notice" }, "Rounds are not available on this service yet.")
      : table("Rounds", [
        { label: "Round", cell: (r) => h("a", { href: `/programmes/${address}/rounds/${r.id}` }, `Round ${r.id}`) },
        { label: "State", cell: (r) => badge(r.state) },
        { label: "Mode", cell: (r) => r.mode },
        { label: "Budget", num: true, cell: (r) => money(r.budget) },
        { label: "Paid", num: true, cell: (r) => money(r.paid) },
        { label: "Beneficiaries", num: true, cell: (r) => count(r.beneficiaries) },
        { label: "Window", cell: (r) => `${when(r.starts_at)} – ${when(r.ends_at)}` },
      ], roundItems, { empty: "No round proposed yet." });

  const points = series && !series.error ? series.points || [] : [];
  const chartBlock = series && series.error ? errorBox(series.error)
    : series === null ? h("p", { class: "notice" }, "The disbursement history is not available on this service yet.")
      : points.length
        ? [barChart(`Money disbursed per day (${sym || "token units"})`,
          points.map((p) => new Date(p.start).toISOString().slice(5, 10)),
          [{ name: `Paid (${sym})`, values: points.map((p) => toNumber(p.amount, dec)) }],
          { describe: `Bar chart of money disbursed per day over ${points.length} days; the table below lists each day.` }),
        table("Money disbursed per day", [
          { label: "Day (UTC)", cell: (p) => new Date(p.start).toISOString().slice(0, 10) },
          { label: "Paid", num: true, cell: (p) => money(p.amount) },
          { label: "Payments", num: true, cell: (p) => count(p.payments) },
        ], points)]
        : h("p", { class: "muted" }, "Nothing has been disbursed yet.");

  const exportButton = h("button", { type: "button", class: "secondary", id: "export-csv" }, "Export to CSV (zip, one table per file)");
  exportButton.addEventListener("click", () => {
    // one table per file, amounts as plain numbers in token units (no thousands separators), in one .zip
    const unit = sym || "token units";
    const zip = toZip([
      { name: "overview.csv", text: tableCsv(["metric", "value"], [
        ["programme", overview.address], ["label", overview.label], ["token", token.address], ["unit", unit],
        ["funded", plain(overview.funded, dec)], ["paid", plain(overview.paid, dec)],
        ["unclaimed", plain(overview.unclaimed, dec)], ["swept", plain(overview.swept, dec)],
        ["beneficiaries", overview.beneficiaries],
      ]) },
      { name: "beneficiaries-by-status.csv", text: tableCsv(["status", "beneficiaries"], byStatus) },
      { name: "rounds.csv", text: tableCsv(["round", "state", "mode", "budget", "paid", "beneficiaries", "starts_at",
        "ends_at", "proposed_by", "approved_by"], roundItems.map((r) => [r.id, r.state, r.mode, plain(r.budget, dec),
        plain(r.paid, dec), r.beneficiaries, r.starts_at, r.ends_at, r.proposer_key_label, r.approver_key_label])) },
      { name: "disbursed-per-day.csv", text: tableCsv(["day", "paid", "payments"],
        points.map((p) => [new Date(p.start).toISOString().slice(0, 10), plain(p.amount, dec), p.payments])) },
    ]);
    download(`programme-${overview.address.slice(0, 10)}-overview.zip`, zip);
  });

  const actions = h("div", { class: "actions" }, exportButton,
    can("registrar", "auditor") ? h("a", { class: "button secondary", href: `/programmes/${address}/lookup` }, "Look up a beneficiary") : null);

  render(overview.label, crumbs({ label: "Programmes", href: "/programmes" }, { label: overview.label }),
    h("h1", {}, overview.label),
    h("p", { class: "muted" }, overview.voucher_mode ? "Voucher programme" : "Cash programme", " · token ", sym || token.address,
      overview.paused ? [" · ", h("strong", {}, "paused")] : null),
    actions, cards,
    h("h2", {}, "Beneficiaries by status"), statusTable,
    h("h2", {}, "Rounds"), roundsBlock,
    h("h2", {}, "Money disbursed over time"), chartBlock);
}
