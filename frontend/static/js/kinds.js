// The pilot kinds whose pages this web app shows: one line per kind (each folder under pages/ has an index.js).
import * as cash from "./pages/cash/index.js";
import * as certs from "./pages/certs/index.js";
import * as credits from "./pages/credits/index.js";

export const KINDS = [cash, credits, certs];
