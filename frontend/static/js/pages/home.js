// Start page: the public certificate check, and for a signed-in key the programmes and registries it may see.
import { api } from "../api.js";
import { errorBox, h, render, short } from "../ui.js";

const PLACES = {
  programme: { title: "Cash programmes", href: (a) => `/programmes/${a}` },
  credits: { title: "Eco-credit registries", href: (a) => `/credits/${a}` },
  certificates: { title: "Certificate registries", href: (a) => `/verify/${a}` },
};

export async function show({ key }) {
  const intro = h("p", {}, "Follow cash-transfer programmes, eco-credit registries and certificates run on a public ledger.");
  const verify = h("ul", { class: "links" },
    h("li", {}, h("a", { href: "/verify" }, h("strong", {}, "Check a certificate")), h("br"),
      "Anyone can check a diploma or certificate: the file stays on your device."));
  if (!key) {
    render("", h("h1", {}, "pilotkit"), intro, verify,
      h("p", {}, h("a", { href: "/signin" }, "Sign in with an API key"), " to see programmes, registries and pilot reports."));
    return;
  }
  let rows = [];
  let problem = null;
  try {
    rows = await api("/v1/contracts");
  } catch (e) {
    problem = errorBox(e);
  }
  const sections = Object.entries(PLACES).map(([kind, place]) => {
    const mine = rows.filter((r) => r.kind === kind);
    if (!mine.length) return null;
    return [h("h2", {}, place.title), h("ul", { class: "links" }, mine.map((r) =>
      h("li", {}, h("a", { href: place.href(r.address) }, r.label), h("br"), h("span", { class: "mono muted" }, short(r.address, 8)))))];
  });
  const none = !problem && !sections.some(Boolean)
    ? h("p", { class: "notice" }, "No programme or registry is registered for this key yet.") : null;
  render("Start", h("h1", {}, "Start"), problem, sections, none, h("h2", {}, "Public"), verify,
    h("p", {}, h("a", { href: "/reports" }, "Pilot reports"), " · ", h("a", { href: "/docs" }, "API reference")));
}
