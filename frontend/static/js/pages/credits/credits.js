// The eco-credit registries this key may see.
import { api } from "../../api.js";
import { h, render, table } from "../../ui.js";

export async function show() {
  const rows = await api("/v1/contracts?kind=credits");
  render("Eco-credits", h("h1", {}, "Eco-credit registries"),
    table("Eco-credit registries", [
      { label: "Registry", cell: (r) => h("a", { href: `/credits/${r.address}` }, r.label) },
      { label: "Address", cell: (r) => h("span", { class: "mono" }, r.address) },
    ], rows, { empty: "No eco-credit registry is registered for this key." }));
}
