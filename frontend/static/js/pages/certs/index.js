// The certificates kind's pages: the public certificate check (by file, hash or QR code).

/** [path pattern, page module under pages/] */
export const routes = [
  [/^\/verify(?:\/([^/]+))?(?:\/([^/]+))?$/, "certs/verify"],
];
/** Pages anyone may open without a key. */
export const publicPages = ["certs/verify"];
/** Navigation links: [href, text]; `signedIn` ones only for a signed-in key. */
export const links = { public: [["/verify", "Check a certificate"]], signedIn: [] };
