// The cash-transfer kind's pages: programmes, a programme's overview, beneficiary lookup, one round.
const ADDR = "(0x[0-9a-fA-F]{40})";

/** [path pattern, page module under pages/] */
export const routes = [
  [/^\/programmes$/, "cash/programmes"],
  [new RegExp(`^/programmes/${ADDR}$`), "cash/programme"],
  [new RegExp(`^/programmes/${ADDR}/lookup$`), "cash/lookup"],
  [new RegExp(`^/programmes/${ADDR}/rounds/(\\d+)$`), "cash/round"],
];
/** Pages anyone may open without a key. */
export const publicPages = [];
/** Navigation links: [href, text]; `signedIn` ones only for a signed-in key. */
export const links = { public: [], signedIn: [["/programmes", "Programmes"]] };
