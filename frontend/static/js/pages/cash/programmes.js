// The cash programmes this key may see.
import { api, maybe } from "../../api.js";
import { h, render, short, table } from "../../ui.js";

export async function show() {
  // GET /v1/programmes (cash-rounds area) when present; the registered contracts list otherwise.
  const list = (await maybe("/v1/programmes")) ?? (await api("/v1/contracts?kind=programme"));
  const items = Array.isArray(list) ? list : list.items || [];
  render("Programmes", h("h1", {}, "Cash programmes"),
    table("Cash programmes", [
      { label: "Programme", cell: (r) => h("a", { href: `/programmes/${r.address}` }, r.label || short(r.address)) },
      { label: "Address", cell: (r) => h("span", { class: "mono" }, r.address) },
    ], items, { empty: "No programme is registered for this key." }));
}
