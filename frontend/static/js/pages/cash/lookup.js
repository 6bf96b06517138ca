// Beneficiary lookup by the identifier a field officer has (national id, registry number): sent to the API,
// which hashes it with the programme's key; the page shows status and payments. The wallet appears only when
// the API gives it (registrar keys); the identifier is never put in the address bar or stored.
import { ApiError, api } from "../../api.js";
import { amount, badge, crumbs, errorBox, h, render, table, when } from "../../ui.js";

export async function show({ params, can }) {
  const [address] = params;
  const overview = await api(`/v1/programmes/${address}`).catch(() => null);
  const token = (overview && overview.token) || {};
  const money = (v) => amount(v, token.decimals ?? 0, token.symbol || "");
  const label = overview ? overview.label : address;
  const result = h("div", { id: "lookup-result", "aria-live": "polite" });
  const input = h("input", { type: "text", id: "identifier", name: "identifier", autocomplete: "off", spellcheck: "false",
    required: true, "aria-describedby": "identifier-hint" });
  const form = h("form", { class: "stack", id: "lookup-form" },
    h("div", {}, h("label", { for: "identifier" }, "Beneficiary identifier"),
      h("span", { class: "hint", id: "identifier-hint" }, "The national id or registry number as the field officer has it. It is hashed by the service; only the hash is kept."),
      input),
    h("div", {}, h("button", { type: "submit" }, "Look up")));
  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    const identifier = input.value.trim();
    if (!identifier) {
      result.replaceChildren(h("p", { class: "error", role: "alert" }, "Enter the identifier."));
      return;
    }
    result.replaceChildren(h("p", { class: "muted" }, "Looking up…"));
    try {
      const b = await api(`/v1/programmes/${address}/beneficiaries/lookup`, { json: { identifier } });
      const facts = [
        h("dt", {}, "Status"), h("dd", {}, badge(b.status)),
        h("dt", {}, "Index"), h("dd", {}, b.index ?? "not enrolled yet"),
        h("dt", {}, "Enrolled"), h("dd", {}, when(b.enrolled_at)),
        h("dt", {}, "Beneficiary id (hash)"), h("dd", { class: "mono" }, b.beneficiary_id),
      ];
      if (b.wallet) facts.push(h("dt", {}, "Wallet"), h("dd", { class: "mono", id: "wallet" }, b.wallet));
      if (b.entitlement) facts.push(h("dt", {}, "Voucher balance"), h("dd", {}, money(b.entitlement)));
      if (b.pending_recovery) facts.push(h("dt", {}, "Wallet recovery"), h("dd", {}, "pending"));
      result.replaceChildren(
        h("section", { "aria-labelledby": "found" }, h("h2", { id: "found" }, "Beneficiary found"),
          h("dl", { class: "facts" }, facts),
          h("h3", {}, "Payments"),
          table("Payments", [
            { label: "Round (on chain)", cell: (p) => `Round ${p.round_id}` },
            { label: "Amount", num: true, cell: (p) => money(p.amount) },
          ], b.payments || [], { empty: "No payment yet." })));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404 && /beneficiary/i.test(e.message)) {
        result.replaceChildren(h("p", { class: "notice", role: "status" }, "No beneficiary with this identifier in this programme."));
      } else {
        result.replaceChildren(errorBox(e));
      }
    }
  });
  const note = can("registrar") ? null
    : h("p", { class: "muted" }, "Your key can see status and payments; wallets are shown to registrars only.");
  render("Beneficiary lookup", crumbs({ label: "Programmes", href: "/programmes" }, { label, href: `/programmes/${address}` }, { label: "Lookup" }),
    h("h1", {}, "Look up a beneficiary"), note, form, result);
  input.focus();
}
