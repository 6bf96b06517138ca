// The JSON API on the same origin, with the signed-in API key (sessionStorage: gone when the tab closes).
const KEY = "pilotkit.apiKey";

export class ApiError extends Error {
  constructor(status, problem) {
    super((problem && (problem.detail || problem.title)) || `request failed (${status})`);
    this.status = status;
    this.problem = problem || {};
  }
}

export function token() {
  return sessionStorage.getItem(KEY);
}

export function setToken(value) {
  if (value) sessionStorage.setItem(KEY, value);
  else sessionStorage.removeItem(KEY);
  cachedMe = undefined;
}

/** A random Idempotency-Key (crypto.randomUUID needs a secure context; getRandomValues does not). */
export function newIdempotencyKey() {
  const b = crypto.getRandomValues(new Uint8Array(16));
  b[6] = (b[6] & 0x0f) | 0x40;
  b[8] = (b[8] & 0x3f) | 0x80;
  const h = Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * Call the API. `opts`: method, json (body), form (FormData), idem (true: send a fresh Idempotency-Key),
 * auth (false for public endpoints). Resolves to the parsed body; rejects with ApiError (problem+json).
 */
export async function api(path, opts = {}) {
  const headers = { Accept: "application/json, application/problem+json" };
  const t = token();
  if (t && opts.auth !== false) headers.Authorization = `Bearer ${t}`;
  if (opts.idem) headers["Idempotency-Key"] = typeof opts.idem === "string" ? opts.idem : newIdempotencyKey();
  let body;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    body = opts.form;
  }
  let res;
  try {
    res = await fetch(path, { method: opts.method || (body ? "POST" : "GET"), headers, body, credentials: "omit" });
  } catch (e) {
    throw new ApiError(0, { detail: "the service could not be reached; check the connection and try again" });
  }
  const type = res.headers.get("content-type") || "";
  const data = type.includes("json") ? await res.json().catch(() => null) : await res.text();
  if (!res.ok) throw new ApiError(res.status, typeof data === "object" ? data : { detail: String(data).slice(0, 200) });
  return data;
}

/** GET that answers null on 404 (an endpoint or object that does not exist for this key). */
export async function maybe(path, opts) {
  try {
    return await api(path, opts);
  } catch (e) {
    if (e instanceof ApiError && (e.status === 404 || e.status === 405)) return null;
    throw e;
  }
}

let cachedMe;

/** The signed-in key ({id, label, scopes, binding}) or null; checked once per page load. */
export async function me() {
  if (cachedMe !== undefined) return cachedMe;
  if (!token()) return (cachedMe = null);
  try {
    cachedMe = await api("/v1/me");
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      setToken(null);
      cachedMe = null;
    } else {
      throw e;
    }
  }
  return cachedMe;
}

export function can(key, ...scopes) {
  return !!key && scopes.some((s) => key.scopes.includes(s));
}

/** Whether `key` may look at object `address` (unbound keys: all; bound keys: their own object only). */
export function reaches(key, address) {
  return !!key && (!key.binding || key.binding.id.toLowerCase() === String(address).toLowerCase());
}
