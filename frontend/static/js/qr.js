// QR codes on certificates: read the payload (a verify link, JSON or plain text) and, from a photo or scan,
// decode it in the browser with the vendored jsQR (loaded only when needed).

const HASH = /0x[0-9a-fA-F]{64}(?![0-9a-fA-F])/;
const ADDRESS = /0x[0-9a-fA-F]{40}(?![0-9a-fA-F])/;

/**
 * {registry?, docHash?} from a QR payload: a link to /verify/<registry>/<hash> (any host), a JSON object with
 * registry/doc_hash (or docHash, credentialSubject.docHash), or any text holding a 0x-hash (and an address).
 */
export function parsePayload(text) {
  const raw = String(text || "").trim();
  if (!raw) return {};
  const link = /\/verify\/(0x[0-9a-fA-F]{40})\/(0x[0-9a-fA-F]{64})(?![0-9a-fA-F])/.exec(raw);
  if (link) return { registry: link[1], docHash: link[2].toLowerCase() };
  if (raw.startsWith("{")) {
    try {
      const doc = JSON.parse(raw);
      const subject = doc.credentialSubject || {};
      const docHash = doc.doc_hash || doc.docHash || subject.docHash || subject.doc_hash;
      const registry = doc.registry || subject.registry || (doc.proof && doc.proof.verifyingContract);
      if (docHash && HASH.test(docHash)) return { registry: registry && ADDRESS.test(registry) ? registry : undefined, docHash: docHash.toLowerCase() };
    } catch {
      /* not JSON: read it as text */
    }
  }
  const hash = HASH.exec(raw);
  const rest = hash ? raw.replace(hash[0], " ") : raw;
  const addr = ADDRESS.exec(rest);
  return { registry: addr ? addr[0] : undefined, docHash: hash ? hash[0].toLowerCase() : undefined };
}

let loading;

function loadJsQR(src) {
  if (globalThis.jsQR) return Promise.resolve(globalThis.jsQR);
  loading = loading || new Promise((resolve, reject) => {
    const s = document.createElement("script");
    s.src = src;
    s.onload = () => resolve(globalThis.jsQR);
    s.onerror = () => reject(new Error("the QR reader is not installed on this service"));
    document.head.append(s);
  });
  return loading;
}

/** The text of the QR code in an image file (photo or scan), or null when none is found. */
export async function decodeImage(file, jsqrUrl) {
  const jsQR = await loadJsQR(jsqrUrl);
  const bitmap = await createImageBitmap(file);
  const scale = Math.min(1, 1600 / Math.max(bitmap.width, bitmap.height));
  const canvas = document.createElement("canvas");
  canvas.width = Math.max(1, Math.round(bitmap.width * scale));
  canvas.height = Math.max(1, Math.round(bitmap.height * scale));
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.drawImage(bitmap, 0, 0, canvas.width, canvas.height);
  const img = ctx.getImageData(0, 0, canvas.width, canvas.height);
  const code = jsQR(img.data, img.width, img.height, { inversionAttempts: "attemptBoth" });
  return code ? code.data : null;
}
