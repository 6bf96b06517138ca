// Public retirement certificate (no key): what was retired, for whom, from which project and vintage, with the
// on-chain transaction. Its address is the shareable proof.
import { ApiError, api } from "../../api.js";
import { copyButton, count, errorBox, h, render, when } from "../../ui.js";

export async function show({ params }) {
  const [registry, id] = params;
  let r;
  try {
    r = await api(`/v1/public/credit-registries/${registry}/retirements/${encodeURIComponent(id)}`, { auth: false });
  } catch (e) {
    const msg = e instanceof ApiError && e.status === 404 ? new Error("There is no such retirement in this registry.") : e;
    render("Retirement not found", h("h1", {}, "Retirement not found"), errorBox(msg));
    return;
  }
  const p = r.project || {};
  render(`Retirement #${r.retirement_id}`,
    h("h1", {}, `Retirement certificate #${r.retirement_id}`),
    h("section", { class: "verdict tone-ok", "aria-labelledby": "retired-word" },
      h("span", { class: "word", id: "retired-word" }, h("span", { "aria-hidden": "true" }, "✓ "), `${count(r.amount)} credits retired`),
      h("span", { class: "why" }, "These credits are permanently retired on the public ledger and can never be sold or used again."),
      h("dl", { class: "facts" },
        h("dt", {}, "Retired for"), h("dd", {}, r.beneficiary_name || (r.beneficiary_erased ? "(name erased on request)" : "—")),
        h("dt", {}, "Reason"), h("dd", {}, r.reason || "—"),
        h("dt", {}, "Retired on"), h("dd", {}, when(r.retired_at)),
        h("dt", {}, "Project"), h("dd", {}, `${p.registry_code || ""} ${p.external_id || ""} · ${p.methodology || ""} · ${p.country || ""}`),
        h("dt", {}, "Vintage"), h("dd", {}, `${String(r.vintage_start).slice(0, 10)} – ${String(r.vintage_end).slice(0, 10)}`),
        h("dt", {}, "Batch"), h("dd", {}, `#${r.batch_id}`),
        h("dt", {}, "Retired by"), h("dd", { class: "mono" }, r.retiree),
        h("dt", {}, "Transaction"), h("dd", { class: "mono" }, r.tx_hash ? `${r.tx_hash} (block ${r.block_number})` : "being indexed"),
        h("dt", {}, "Registry"), h("dd", { class: "mono" }, r.registry))),
    h("div", { class: "actions" }, copyButton("Copy the link to this certificate", () => location.href)));
}
