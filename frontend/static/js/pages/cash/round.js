// Round detail: who proposed and approved it, its money, and the disbursement's jobs live (failures and why).
// An approver approves from here; the key that proposed the round is not offered the button (the API refuses
// it too). A disburser starts the disbursement.
import { ApiError, api } from "../../api.js";
import { amount, badge, card, count, crumbs, errorBox, fill, h, render, table, when } from "../../ui.js";

const POLL_MS = 1500;

function proposedByMe(round, key) {
  if (round.proposer_key_id !== undefined && round.proposer_key_id !== null) return round.proposer_key_id === key.id;
  return round.proposer_key_label === key.label; // the API gives the label only: same label → treat as the proposer
}

export async function show({ params, key, can }) {
  const [address, roundId] = params;
  const path = `/v1/programmes/${address}/rounds/${roundId}`;
  const overview = await api(`/v1/programmes/${address}`).catch(() => null);
  const token = (overview && overview.token) || {};
  const money = (v) => amount(v, token.decimals ?? 0, token.symbol || "");
  const label = overview ? overview.label : address;
  const message = h("div", { "aria-live": "polite", id: "round-message" });
  const body = h("div", {});
  let timer = null;

  async function act(what, verb) {
    message.replaceChildren(h("p", { class: "muted" }, `${verb}…`));
    try {
      const answer = await api(`${path}/${what}`, { method: "POST", json: {}, idem: true });
      const jobs = answer.jobs || (answer.job_id ? [answer] : []);
      message.replaceChildren(h("p", { class: "notice" }, `${verb}: accepted (${jobs.length} job${jobs.length === 1 ? "" : "s"}). The page follows them below.`));
      for (const job of jobs) watchJob(job.job_id);
    } catch (e) {
      message.replaceChildren(errorBox(e));
    }
    await refresh();
  }

  const watched = new Map(); // job id → last status (approval / disburse answers)
  function watchJob(id) {
    if (id) watched.set(id, "queued");
  }

  function actionsFor(round) {
    const out = [];
    if (round.state === "proposed" && can("approver")) {
      if (proposedByMe(round, key)) {
        out.push(h("p", { class: "notice", id: "approve-note" }, "You proposed this round, so another approver must approve it."));
      } else {
        const b = h("button", { type: "button", id: "approve" }, "Approve and fund this round");
        b.addEventListener("click", () => { b.disabled = true; act("approve", "Approving"); });
        out.push(b);
      }
    }
    if (round.state === "approved" && round.mode === "push" && can("disburser")) {
      const b = h("button", { type: "button", id: "disburse" }, "Disburse to every unpaid beneficiary");
      b.addEventListener("click", () => { b.disabled = true; act("disburse", "Starting the disbursement"); });
      out.push(b);
    }
    return out.length ? h("div", { class: "actions" }, out) : null;
  }

  async function jobRows() {
    const rows = [];
    for (const [id, last] of watched) {
      if (["confirmed", "failed", "expired", "cancelled"].includes(last)) { rows.push({ id, status: last }); continue; }
      try {
        const job = await api(`/v1/jobs/${id}`);
        watched.set(id, job.status);
        rows.push({ id, status: job.status, kind: job.kind, error: job.error });
      } catch {
        rows.push({ id, status: last });
      }
    }
    return rows;
  }

  async function refresh() {
    let round;
    try {
      round = await api(path);
    } catch (e) {
      clearTimeout(timer);
      body.replaceChildren(errorBox(e));
      return;
    }
    const p = round.progress || {};
    const planned = p.beneficiaries_planned ?? round.beneficiaries ?? 0;
    const done = p.beneficiaries_in_confirmed_jobs ?? 0;
    const pct = planned ? Math.min(100, Math.round((100 * done) / planned)) : 0;
    const bar = h("div", { class: "progress", role: "progressbar", "aria-valuemin": "0", "aria-valuemax": String(planned),
      "aria-valuenow": String(done), "aria-label": "Beneficiaries paid by confirmed jobs" }, h("span", {}));
    bar.firstChild.style.width = `${pct}%`;
    const byStatus = Object.entries(p.jobs_by_status || {});
    const failures = p.failures || [];
    const mine = await jobRows();
    fill(body,
      h("p", {}, "State: ", badge(round.state), ` · ${round.mode === "claim" ? "beneficiaries claim" : "paid by the service"} · window ${when(round.starts_at)} – ${when(round.ends_at)}`),
      h("dl", { class: "facts" },
        h("dt", {}, "Proposed by"), h("dd", { id: "proposer" }, round.proposer_key_label || "—"),
        h("dt", {}, "Approved by"), h("dd", { id: "approver" }, round.approver_key_label || (round.state === "proposed" ? "not yet approved" : "—")),
        h("dt", {}, "Funded from"), h("dd", { class: "mono" }, round.funder || "—"),
        round.root ? [h("dt", {}, "Merkle root"), h("dd", { class: "mono" }, round.root)] : null),
      actionsFor(round), message,
      h("div", { class: "cards" }, card("Budget", money(round.budget)), card("Paid", money(round.paid)),
        card("Remaining", money(round.remaining)), card("Beneficiaries", count(round.beneficiaries))),
      h("h2", {}, "Disbursement progress"),
      h("p", {}, `${count(done)} of ${count(planned)} beneficiaries in confirmed payment jobs (${pct}%); ${count(p.jobs ?? 0)} payment job${p.jobs === 1 ? "" : "s"}.`),
      bar,
      byStatus.length ? table("Payment jobs by status", [
        { label: "Job status", cell: ([s]) => badge(s) }, { label: "Jobs", num: true, cell: ([, n]) => count(n) },
      ], byStatus) : null,
      h("h3", {}, "Failures"),
      table("Failed payment jobs", [
        { label: "Job", cell: (f) => h("span", { class: "mono" }, f.job_id) },
        { label: "Status", cell: (f) => badge(f.status) },
        { label: "Why", cell: (f) => f.error || "—" },
        { label: "Beneficiaries", num: true, cell: (f) => count(f.beneficiaries) },
      ], failures, { empty: "No failed payment." }),
      mine.length ? [h("h3", {}, "Your requests on this page"), table("Your requests", [
        { label: "Job", cell: (j) => h("span", { class: "mono" }, j.id) },
        { label: "Status", cell: (j) => badge(j.status) },
        { label: "Why", cell: (j) => (j.error ? j.error.name : "") },
      ], mine)] : null);
    const live = Object.keys(p.jobs_by_status || {}).some((s) => !["confirmed", "failed", "expired", "cancelled"].includes(s))
      || mine.some((j) => !["confirmed", "failed", "expired", "cancelled"].includes(j.status))
      || round.state === "proposing";
    clearTimeout(timer);
    if (live) timer = setTimeout(refresh, POLL_MS);
    body.dataset.live = String(live);
  }

  render(`Round ${roundId}`, crumbs({ label: "Programmes", href: "/programmes" }, { label, href: `/programmes/${address}` }, { label: `Round ${roundId}` }),
    h("h1", {}, `Round ${roundId}`), body);
  await refresh();
}

export { ApiError };
