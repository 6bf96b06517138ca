// Entry point: the navigation (what the signed-in key may do) and a router on location.pathname.
import { can, me, setToken, token } from "./api.js";
import { KINDS } from "./kinds.js";
import { errorBox, h, render } from "./ui.js";

/** [path pattern, page module under pages/]: the shared pages, then each pilot kind's (pages/<kind>/index.js). */
const ROUTES = [
  [/^\/$/, "home"],
  [/^\/signin$/, "signin"],
  ...KINDS.flatMap((kind) => kind.routes),
  [/^\/reports$/, "reports"],
  [/^\/reports\/compare$/, "compare"],
  [/^\/reports\/([A-Za-z0-9][A-Za-z0-9._-]*)$/, "report"],
];
/** Pages anyone may open without a key. */
const PUBLIC = new Set(["home", "signin", ...KINDS.flatMap((kind) => kind.publicPages)]);

const link = ([href, text]) => h("a", { href }, text);

async function nav(key) {
  const links = KINDS.flatMap((kind) => kind.links.public).map(link);
  if (key) {
    links.push(...KINDS.flatMap((kind) => kind.links.signedIn).map(link));
    links.push(h("a", { href: "/reports" }, "Pilot reports"));
    const out = h("button", { type: "button", class: "link" }, "Sign out");
    out.addEventListener("click", () => {
      setToken(null);
      location.assign("/");
    });
    links.push(out);
    const scopes = key.scopes.length ? key.scopes.join(", ") : "no scopes";
    links.push(h("span", { class: "who" }, `Signed in: ${key.label} (${scopes}${key.binding ? `; ${key.binding.kind} ${key.binding.id.slice(0, 10)}…` : ""})`));
  } else {
    links.push(h("a", { href: `/signin?next=${encodeURIComponent(location.pathname)}` }, "Sign in"));
  }
  document.getElementById("nav").replaceChildren(...links);
}

async function start() {
  const path = location.pathname.replace(/\/+$/, "") || "/";
  const match = ROUTES.map(([re, name]) => [re.exec(path), name]).find(([m]) => m);
  // the key check and the page's code load at the same time (one round trip less before the data calls)
  const pageModule = match ? import(`./pages/${match[1]}.js`) : null;
  pageModule?.catch(() => {});
  let key = null;
  try {
    key = await me();
  } catch (e) {
    await nav(null);
    render("Service unavailable", h("h1", {}, "The service is not answering"), errorBox(e));
    return;
  }
  await nav(key);
  if (!match) {
    render("Not found", h("h1", {}, "Page not found"), h("p", {}, h("a", { href: "/" }, "Go to the start page")));
    return;
  }
  const [m, name] = match;
  if (!PUBLIC.has(name) && !key) {
    location.replace(`/signin?next=${encodeURIComponent(path)}`);
    return;
  }
  try {
    const page = await pageModule;
    await page.show({ key, params: m.slice(1).map((p) => (p === undefined ? undefined : decodeURIComponent(p))), can: (...s) => can(key, ...s), token });
  } catch (e) {
    render("Error", h("h1", {}, "Something went wrong"), errorBox(e));
  }
  document.body.dataset.ready = "true"; // for tests and screenshots: the page has rendered its data
}

start();
