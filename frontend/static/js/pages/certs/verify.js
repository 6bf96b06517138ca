// Public certificate check (no key): drop the file (hashed here, never uploaded), paste its hash, or read the
// QR code printed on it. The answer is one unmistakable word, with the issuer, the dates and the reason.
import { ApiError, api } from "../../api.js";
import { sha256File } from "../../hash.js";
import { decodeImage, parsePayload } from "../../qr.js";
import { errorBox, h, lowerAddress, render, short, when } from "../../ui.js";

const HASH_RE = /^0x[0-9a-fA-F]{64}$/;
const ADDRESS_RE = /^0x[0-9a-fA-F]{40}$/;

const VERDICTS = {
  valid: { word: "Valid", tone: "ok", icon: "✓", why: "This document was issued by the registry and is in force." },
  expired: { word: "Expired", tone: "warn", icon: "!", why: "This document was issued, but it is past its expiry date." },
  suspended: { word: "Suspended", tone: "warn", icon: "!", why: "The issuer has suspended this document for now." },
  revoked: { word: "Revoked", tone: "bad", icon: "✗", why: "The issuer has revoked this document. Do not accept it." },
  superseded: { word: "Superseded", tone: "info", icon: "↻", why: "A newer document replaces this one." },
  unknown: { word: "Unknown", tone: "none", icon: "?", why: "No document with this fingerprint was issued in this registry. Even a one-byte change to the file gives a different fingerprint." },
};

function verdictView(registry, docHash, answer) {
  const status = String(answer.status || "unknown").toLowerCase();
  const v = VERDICTS[status] || VERDICTS.unknown;
  const facts = [];
  const fact = (label, value) => value !== undefined && value !== null && value !== "" && facts.push(h("dt", {}, label), h("dd", {}, value));
  if (answer.reason !== undefined && answer.reason !== null) {
    const reason = typeof answer.reason === "object" ? answer.reason.label || answer.reason.text || answer.reason.code : answer.reason;
    fact("Reason", String(reason));
  }
  if (answer.replacement) {
    fact("Replaced by", h("a", { href: `/verify/${registry}/${answer.replacement}` }, h("span", { class: "mono" }, answer.replacement)));
  }
  const issuer = answer.issuer || {};
  if (status !== "unknown") {
    fact("Issuer", [issuer.name || "(no name)", " ", h("span", { class: "mono muted" }, issuer.address ? `(${issuer.address})` : "")]);
    fact("Issued", when(answer.issued_at));
    fact("Expires", answer.expires_at ? when(answer.expires_at) : "never");
    const changed = answer.revoked_at || answer.status_changed_at;
    const changedLabel = { revoked: "Revoked on", suspended: "Suspended on", superseded: "Superseded on" }[status];
    if (changed && changedLabel) fact(changedLabel, when(changed));
  }
  fact("Document fingerprint", h("span", { class: "mono" }, docHash));
  fact("Registry", h("span", { class: "mono" }, registry));
  return h("section", { class: `verdict tone-${v.tone}`, "aria-labelledby": "verdict-word", "data-status": status },
    h("span", { class: "word", id: "verdict-word" }, h("span", { "aria-hidden": "true" }, `${v.icon} `), v.word),
    h("span", { class: "why" }, v.why),
    h("dl", { class: "facts" }, facts),
    byIssuerView(answer));
}

// Records are per issuer: when more than one issuer anchored this document, say which status comes from whom,
// so a relying party checks the issuer it trusts (the verdict above is the one named as "Issuer").
function byIssuerView(answer) {
  const answers = Array.isArray(answer.by_issuer) ? answer.by_issuer : [];
  if (answers.length < 2) return null;
  const rows = answers.map((a) => {
    const word = (VERDICTS[String(a.status).toLowerCase()] || VERDICTS.unknown).word;
    const who = a.issuer || {};
    return h("li", { "data-issuer": who.address || "" },
      h("strong", {}, word), " — as issued by ", who.name || "(no name)", " ",
      h("span", { class: "mono muted" }, who.address ? `(${who.address})` : ""),
      a.issued_at ? [", ", when(a.issued_at)] : "");
  });
  return h("div", { class: "by-issuer" },
    h("p", {}, `${answers.length} issuers anchored this document. Each answers only for itself: check the issuer you expect.`),
    h("ul", { class: "issuer-answers" }, rows));
}

export async function show({ params }) {
  let [registryParam, hashParam] = params;
  let registries = [];
  let listProblem = null;
  try {
    registries = (await api("/v1/public/registries", { auth: false })).filter((r) => r.kind === "certificates");
  } catch (e) {
    listProblem = e;
  }
  const result = h("div", { id: "result", "aria-live": "polite" });
  const select = h("select", { id: "registry", name: "registry" },
    registries.map((r) => h("option", { value: r.address }, `${r.label} (${short(r.address, 4)})`)));
  if (registryParam && ADDRESS_RE.test(registryParam)) {
    if (!registries.some((r) => lowerAddress(r.address) === lowerAddress(registryParam))) {
      select.append(h("option", { value: registryParam }, `Registry ${short(registryParam, 4)}`));
    }
    select.value = registries.find((r) => lowerAddress(r.address) === lowerAddress(registryParam))?.address || registryParam;
  }
  const registry = () => select.value;

  async function check(docHash, registryAddress = registry()) {
    if (!registryAddress) {
      result.replaceChildren(h("p", { class: "error", role: "alert" }, "Choose the registry that issued the document."));
      return;
    }
    if (!HASH_RE.test(docHash)) {
      result.replaceChildren(h("p", { class: "error", role: "alert" }, "A document fingerprint is 0x followed by 64 hexadecimal characters."));
      return;
    }
    docHash = docHash.toLowerCase();
    result.replaceChildren(h("p", { class: "muted" }, "Checking…"));
    history.replaceState(null, "", `/verify/${registryAddress}/${docHash}`);
    try {
      const answer = await api(`/v1/public/certificate-registries/${registryAddress}/certificates/${docHash}`, { auth: false });
      result.replaceChildren(verdictView(registryAddress, docHash, answer));
    } catch (e) {
      if (e instanceof ApiError && e.status === 404 && /certificate|document/i.test(e.message) && !/registr/i.test(e.message)) {
        result.replaceChildren(verdictView(registryAddress, docHash, { status: "unknown" }));
      } else {
        result.replaceChildren(errorBox(e));
      }
    }
    result.querySelector(".verdict")?.focus?.();
  }

  // 1. A file: hashed here with SHA-256.
  const fileInput = h("input", { type: "file", id: "doc-file", class: "sr-only" });
  const drop = h("div", { class: "drop", id: "drop" },
    h("p", {}, h("strong", {}, "Drop the certificate file here")),
    h("p", { class: "muted" }, "The file is read in this browser to compute its fingerprint (SHA-256); it never leaves your device."),
    h("label", { for: "doc-file", class: "button" }, "Choose a file"), fileInput);
  const useFile = async (file) => {
    if (!file) return;
    result.replaceChildren(h("p", { class: "muted" }, `Computing the fingerprint of ${file.name}…`));
    await check(await sha256File(file));
  };
  fileInput.addEventListener("change", () => useFile(fileInput.files[0]));
  drop.addEventListener("dragover", (ev) => { ev.preventDefault(); drop.classList.add("over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("over"));
  drop.addEventListener("drop", (ev) => {
    ev.preventDefault();
    drop.classList.remove("over");
    useFile(ev.dataTransfer.files[0]);
  });

  // 2. A pasted fingerprint.
  const hashInput = h("input", { type: "text", id: "doc-hash", name: "doc-hash", autocomplete: "off", spellcheck: "false",
    placeholder: "0x…", "aria-describedby": "doc-hash-hint", value: hashParam && HASH_RE.test(hashParam) ? hashParam : null });
  const hashForm = h("form", { class: "stack", id: "hash-form" },
    h("div", {}, h("label", { for: "doc-hash" }, "Document fingerprint"),
      h("span", { class: "hint", id: "doc-hash-hint" }, "0x followed by 64 characters, as printed on the certificate."), hashInput),
    h("div", {}, h("button", { type: "submit" }, "Check")));
  hashForm.addEventListener("submit", (ev) => { ev.preventDefault(); check(hashInput.value.trim()); });

  // 3. A QR code: its text, or a photo of it (decoded here).
  const qrText = h("textarea", { id: "qr-text", name: "qr-text", spellcheck: "false", "aria-describedby": "qr-hint" });
  const qrImage = h("input", { type: "file", id: "qr-image", accept: "image/*", capture: "environment" });
  const qrForm = h("form", { class: "stack", id: "qr-form" },
    h("div", {}, h("label", { for: "qr-text" }, "QR code content"),
      h("span", { class: "hint", id: "qr-hint" }, "Paste what a QR scanner app read from the certificate (a link or text)."), qrText),
    h("div", {}, h("button", { type: "submit" }, "Check")),
    h("div", {}, h("label", { for: "qr-image" }, "…or a photo of the QR code"),
      h("span", { class: "hint" }, "Read in this browser; the photo is not uploaded."), qrImage));
  const usePayload = (text) => {
    const found = parsePayload(text);
    if (!found.docHash) {
      result.replaceChildren(h("p", { class: "error", role: "alert" }, "This QR code does not hold a document fingerprint."));
      return;
    }
    if (found.registry && ![...select.options].some((o) => lowerAddress(o.value) === lowerAddress(found.registry))) {
      select.append(h("option", { value: found.registry }, `Registry ${short(found.registry, 4)}`));
    }
    if (found.registry) select.value = [...select.options].find((o) => lowerAddress(o.value) === lowerAddress(found.registry)).value;
    check(found.docHash);
  };
  qrForm.addEventListener("submit", (ev) => { ev.preventDefault(); usePayload(qrText.value); });
  qrImage.addEventListener("change", async () => {
    const file = qrImage.files[0];
    if (!file) return;
    try {
      const meta = document.querySelector('meta[name="pilotkit:jsqr"]');
      const text = await decodeImage(file, meta ? meta.content : "");
      if (text === null) result.replaceChildren(h("p", { class: "error", role: "alert" }, "No QR code was found in this picture. Try a sharper, closer photo."));
      else usePayload(text);
    } catch (e) {
      result.replaceChildren(errorBox(e));
    }
  });

  const panels = { file: drop, hash: hashForm, qr: qrForm };
  const tabs = h("div", { class: "tabs", role: "group", "aria-label": "How to check" });
  const tabHolder = h("div", {});
  const choose = (name) => {
    tabs.querySelectorAll("button").forEach((b) => b.setAttribute("aria-selected", String(b.dataset.tab === name)));
    tabs.querySelectorAll("button").forEach((b) => b.setAttribute("aria-pressed", String(b.dataset.tab === name)));
    tabHolder.replaceChildren(panels[name]);
  };
  for (const [name, label] of [["file", "Drop a file"], ["hash", "Paste a fingerprint"], ["qr", "QR code"]]) {
    const b = h("button", { type: "button", "data-tab": name }, label);
    b.addEventListener("click", () => choose(name));
    tabs.append(b);
  }
  choose(hashParam ? "hash" : "file");

  const registryBlock = registries.length > 1 || (registryParam && registries.length !== 1)
    ? h("div", { class: "stack" }, h("label", { for: "registry" }, "Registry that issued the document"), select)
    : registries.length === 1
      ? h("p", { class: "muted" }, "Registry: ", registries[0].label, " ", h("span", { class: "mono" }, `(${registries[0].address})`))
      : null;
  const empty = !registries.length && !registryParam
    ? (listProblem ? errorBox(listProblem) : h("p", { class: "notice" }, "No certificate registry is registered on this service yet."))
    : null;
  render("Check a certificate", h("h1", {}, "Check a certificate"),
    h("p", {}, "Find out whether a diploma, training or vaccination certificate, or a land-title document is genuine and still valid."),
    empty, registryBlock, tabs, tabHolder, result);
  if (hashParam && HASH_RE.test(hashParam)) await check(hashParam, registry());
}
