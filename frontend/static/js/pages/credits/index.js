// The eco-credits kind's pages: registries, a registry's projects and batches, a public retirement record.
const ADDR = "(0x[0-9a-fA-F]{40})";

/** [path pattern, page module under pages/] */
export const routes = [
  [/^\/credits$/, "credits/credits"],
  [new RegExp(`^/credits/${ADDR}$`), "credits/registry"],
  [new RegExp(`^/credits/${ADDR}/retirements/([^/]+)$`), "credits/retirement"],
];
/** Pages anyone may open without a key. */
export const publicPages = ["credits/retirement"];
/** Navigation links: [href, text]; `signedIn` ones only for a signed-in key. */
export const links = { public: [], signedIn: [["/credits", "Eco-credits"]] };
