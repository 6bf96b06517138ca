"""The sender worker: works the job queue so that every job's effect happens on chain at most once, and every
job ends in a final state that says whether it did (exactly once for every job that can succeed).

State machine (`platform.models.jobs.JobStatus`)::

    queued ──estimate reverts (no earlier job of its signer unfinished)──▶ failed   (no nonce used)
       │ └──past expires_at / cancel requested──────────────▶ expired / cancelled (nothing sent)
       ▼  one DB transaction: nonce from the counter, sign, store the attempt
    signed ──node accepts (or says "already known", "nonce too low", "replacement underpriced")──▶ sent
       └─ never sent before a crash, and its call now reverts ──▶ no-op at its nonce ──▶ failed (decoded error)
    sent ──an attempt mined, confirmations reached──▶ confirmed (status 1) | failed (reverted, error decoded)
       ├─ stuck for stuck_after_seconds ──▶ replacement at the same nonce, fees +fee_bump_percent (stays sent)
       ├─ past expires_at / cancel requested ──▶ cancelling no-op at the same nonce; if the no-op is mined:
       │      expired / cancelled; if the original is mined anyway: confirmed / failed (it happened)
       └─ nonce used on chain by none of its attempts ──▶ effect_check says done: confirmed, else failed
    settled from the chain (confirmed, or failed / expired / cancelled by a mined transaction) ──▶ watched
       ├─ its block is final (node's `finalized` tag, else `finality_depth` deep) ──▶ finalized (never looked at again)
       └─ a reorg removed or moved its transaction (its block hash changed, or its nonce is unused again)
              ──▶ sent (a "reorged" entry in history: old and new block), its mined attempt broadcast again;
                  then as any sent job: re-mined → settled again (a revert now fails it with the decoded error)

Reorgs and nonce gaps: the chain's nonce for a signer can go back below the counter. Every job at or above it
is then in flight or watched-and-reorged; all of them are re-broadcast from their stored bytes, in nonce order,
so no gap can wedge the signer (the counter never moves backwards: the same nonces are filled again). A nonce
in such a gap that no job holds (the counter moved past a transaction the service did not sign, and the reorg
removed it) has no stored bytes: after `orphan_grace_seconds` with nothing pending there, it is filled with a
no-op self-transfer, itself a job (`sender.nonce_gap_fill`, a "nonce_gap" entry in its history).

Rules that make it exactly once: one nonce per job for life, handed out from the database; every signed
transaction is stored before it is broadcast; a job is only finished from what the chain says about its
own attempts (or, when none of them used its nonce, from its effect check); a job never gets a second nonce.

Workers coordinate through leases in the database: a worker only touches jobs whose lease it holds
(claimed with `FOR UPDATE SKIP LOCKED` on PostgreSQL, inside `BEGIN IMMEDIATE` on SQLite), renews them while
alive, and re-checks ownership inside every write transaction. A dead worker's jobs are taken over when its
lease runs out (at once by a restart with the same worker id) and are re-checked and re-broadcast.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from pilotkit.chain.transactions import TransactionSender
from pilotkit.contracts.reverts import ErrorDecoder
from pilotkit.errors import PilotkitError
from pilotkit_backend.core.config import Settings
from pilotkit_backend.platform.job_queue import enqueue, get_job, request_cancel, wait_for_job
from pilotkit_backend.platform.models.jobs import (
    AttemptKind,
    Job,
    JobAttempt,
    JobStatus,
    utcnow,
)
from pilotkit_backend.platform.sender import nonces
from pilotkit_backend.platform.sender.fees import FeeOracle, bumped, over_cap
from pilotkit_backend.platform.sender.leases import IN_FLIGHT, QUEUED, UNFINISHED, Leases, watched
from pilotkit_backend.platform.sender.outcome import (
    effect_present,
    estimate_outcome,
    receipt_summary,
    replay_failure,
)
from pilotkit_backend.platform.sender.rpc import ALREADY_SUBMITTED, FEE_TOO_LOW, RpcBatcher, RpcTransportError

if TYPE_CHECKING:
    from pilotkit.accounts.signer import Signer
    from pilotkit.chain.connection import Connection

__all__ = ["RunStats", "SenderWorker", "enqueue", "get_job", "request_cancel", "wait_for_job"]

log = logging.getLogger("pilotkit_backend.sender")

CANCEL_GAS = 21_000
FEE_CAP_MULTIPLIER = 4.0  # replacements stop bumping once an attempt pays 4× the market
RETRY_SECONDS = 1.0  # back-off after a transient estimation or broadcast problem
DEFER_SECONDS = 0.25  # a reverting estimate waits while earlier jobs of its signer are unfinished
WATCH_SECONDS = 0.25  # settled, not yet final jobs are checked against the chain at most this often
GAP_FILL_KIND = "sender.nonce_gap_fill"  # a no-op the sender signs itself to fill a nonce no job of ours holds


@dataclass
class RunStats:
    """What one pass did (used to decide whether to sleep)."""

    claimed: int = 0
    signed: int = 0
    broadcast: int = 0
    replaced: int = 0
    finished: int = 0

    @property
    def busy(self) -> bool:
        return bool(self.claimed or self.signed or self.broadcast or self.replaced or self.finished)

    def add(self, other: RunStats) -> None:
        for name in ("claimed", "signed", "broadcast", "replaced", "finished"):
            setattr(self, name, getattr(self, name) + getattr(other, name))


@dataclass
class _Final:
    """A job's final state, written in one fenced transaction."""

    job: Job
    status: JobStatus
    result: dict[str, Any]
    tx_hash: str | None = None
    error_name: str | None = None


class SenderWorker:
    """Works the queue for some signers on one chain. Thread-unsafe: one thread per worker object."""

    def __init__(self, session_factory: sessionmaker[Session], connection: Connection, signers: Iterable[Signer],
                 settings: Settings | None = None, *, errors: ErrorDecoder | None = None,
                 worker_id: str | None = None, lease_seconds: float = 30.0, orphan_grace_seconds: float = 2.0,
                 watch_seconds: float = WATCH_SECONDS) -> None:
        self.factory = session_factory
        self.connection = connection
        self.settings = settings or Settings()
        self.chain_id = int(connection.chain_id)
        self.confirmations = max(1, int(connection.network.confirmations))
        self.finality_depth = max(1, int(connection.network.finality_blocks))
        self._finality_tag: bool | None = None  # does the node offer the `finalized` block tag? (None: unknown)
        self.watch_seconds = watch_seconds
        self._watched_at = 0.0  # monotonic time of the last watch pass
        self.gas_multiplier = float(connection.network.gas.gas_limit_multiplier)
        self.signers: dict[str, Signer] = {s.address: s for s in signers}
        if not self.signers:
            raise PilotkitError("a sender worker needs at least one signer")
        self.errors = errors or ErrorDecoder()
        self.worker_id = (worker_id or f"{socket.gethostname()}:{os.getpid()}")[:64]
        self.leases = Leases(session_factory, self.chain_id, self.signers, self.worker_id,
                             timedelta(seconds=lease_seconds))
        # a used nonce whose attempts show no receipt is only settled after this long (receipts may lag the nonce)
        self.orphan_grace = orphan_grace_seconds
        self.rpc = RpcBatcher(connection.web3)
        self.fees = FeeOracle(TransactionSender(connection), self.rpc)
        self._recheck: set[str] = set()  # jobs to re-broadcast as they are (taken over, or after a restart)
        self._reprice: set[str] = set()  # jobs whose attempt a node refused as too cheap
        self._pushed: dict[str, float] = {}  # job id → monotonic time of its last re-broadcast
        self._orphans: dict[str, float] = {}  # job id → when its nonce was first seen used by none of its attempts
        self._in_flight: dict[str, int] = {}
        self._reorged: dict[str, float] = {}  # job id → when a reorg sent it back (re-broadcast as it was mined)
        self._counts: dict[str, int] = {}  # signer → the chain's transaction count at the last look
        self._gaps: dict[tuple[str, int], float] = {}  # (signer, nonce) → when first seen held by no job

    # ------------------------------------------------------------------ public API

    def reconcile(self) -> RunStats:
        """Start-up pass: take over our unfinished jobs and settle each in-flight one against the chain.

        Every attempt's hash is looked up; a job whose nonce is still unused has its latest signed bytes
        broadcast again; a job whose nonce was used by none of its attempts is settled by its effect check.
        No job gets a new nonce here.
        """
        stats = RunStats()
        self._sync_counters()
        self._take_over(force=True)
        self._recheck.update(self.leases.held_ids(IN_FLIGHT))
        self._watched_at = 0.0
        self._check_in_flight(stats)
        while self._orphans:  # settle them now: the start-up pass finishes what it can decide
            time.sleep(self.orphan_grace)
            self._check_in_flight(stats)
        log.info("reconciled: %d finished, %d re-broadcast", stats.finished, stats.broadcast)
        return stats

    def run_once(self) -> RunStats:
        """One pass: renew leases, settle or re-price what is in flight, then claim, sign and send new jobs."""
        stats = RunStats()
        self._take_over()
        self._check_in_flight(stats)
        self._send_queued(stats)
        return stats

    def run_forever(self, stop: threading.Event, reconcile: bool = True) -> None:
        """Reconcile (unless done already), then work until `stop` is set. Node and database hiccups are logged
        and retried."""
        reconciled = not reconcile
        while not stop.is_set():
            try:
                if not reconciled:
                    self.reconcile()
                    reconciled = True
                stats = self.run_once()
            except (PilotkitError, SQLAlchemyError) as exc:
                log.warning("sender pass failed (retrying): %s", _describe(exc))
                stop.wait(RETRY_SECONDS)
                continue
            except Exception:  # a service keeps working; every pass starts again from the database
                log.exception("sender pass failed unexpectedly (retrying)")
                stop.wait(RETRY_SECONDS)
                continue
            if not stats.busy:
                stop.wait(self.settings.sender_poll_seconds)

    def _take_over(self, force: bool = False) -> None:
        taken = self.leases.maintain(force)
        if taken:
            log.info("took over %d in-flight jobs", len(taken))
            self._recheck.update(taken)

    # ------------------------------------------------------------------ nonces

    def _chain_count(self, signer: str) -> int:
        reply = self.rpc.call("eth_getTransactionCount", [signer, "latest"])
        if not reply.ok:
            raise RpcTransportError(f"eth_getTransactionCount failed: {reply.message}")
        return int(reply.result, 16)

    def _sync_counters(self) -> None:
        """Move each signer's counter past nonces the chain has already used (never backwards)."""
        counts = self._chain_counts(self.signers)
        with nonces.write_session(self.factory) as session:
            for signer, count in counts.items():
                if nonces.peek(session, self.chain_id, signer) is not None:
                    nonces.at_least(session, self.chain_id, signer, count, partial(int, count))

    def _chain_counts(self, signers: Iterable[str]) -> dict[str, int]:
        names = sorted(set(signers))
        replies = self.rpc.many([("eth_getTransactionCount", [s, "latest"]) for s in names])
        counts: dict[str, int] = {}
        for signer, reply in zip(names, replies, strict=True):
            if not reply.ok:
                raise RpcTransportError(f"eth_getTransactionCount failed: {reply.message}")
            counts[signer] = int(reply.result, 16)
        return counts

    # ------------------------------------------------------------------ in flight

    def _check_in_flight(self, stats: RunStats) -> None:
        jobs = self.leases.load(IN_FLIGHT)
        watched: list[Job] = []
        if time.monotonic() - self._watched_at >= self.watch_seconds:
            watched = self.leases.load_watched()
            self._watched_at = time.monotonic()
        if not jobs and not watched:
            self._prune_memos(set())
            self._in_flight = {}
            return
        counts = self._chain_counts({job.signer for job in jobs} | {job.signer for job in watched})
        head_reply = self.rpc.call("eth_blockNumber", [])
        if not head_reply.ok:
            raise RpcTransportError(f"eth_blockNumber failed: {head_reply.message}")
        head = int(head_reply.result, 16)
        self._nonce_went_back(jobs, counts)
        if watched and self._check_watched(watched, counts, head, stats):
            jobs = self.leases.load(IN_FLIGHT)  # reorged jobs are in flight again
        self._prune_memos({job.id for job in jobs})
        self._in_flight = {}
        for job in jobs:
            self._in_flight[job.signer] = self._in_flight.get(job.signer, 0) + 1
        if not jobs:
            return
        used = [job for job in jobs if int(job.nonce or 0) < counts[job.signer]]
        waiting = [job for job in jobs if int(job.nonce or 0) >= counts[job.signer]]
        finals = self._settle_used(used, head, counts)
        self._write_finals(finals, counts)
        stats.finished += len(finals)
        for final in finals:
            self._in_flight[final.job.signer] -= 1
        self._push_waiting(waiting, counts, stats)
        self._fill_gaps(waiting, counts, stats)

    # ------------------------------------------------------------------ reorgs and finality

    def _nonce_went_back(self, jobs: list[Job], counts: dict[str, int]) -> None:
        """A signer's chain nonce below what we saw before: a reorg dropped its transactions. Every in-flight job
        of that signer from the chain's nonce up is re-broadcast from its stored bytes (in nonce order)."""
        for signer, count in counts.items():
            before = self._counts.get(signer)
            self._counts[signer] = count
            if before is None or count >= before:
                continue
            log.warning("chain nonce of %s went back from %d to %d (reorg): re-broadcasting from %d up",
                        signer, before, count, count)
            self._recheck.update(job.id for job in jobs if job.signer == signer and int(job.nonce or 0) >= count)

    def _fill_gaps(self, waiting: list[Job], counts: dict[str, int], stats: RunStats) -> None:
        """Nonces between the chain's count and a waiting job's nonce that no job holds (the counter moved past
        a transaction the service did not sign, and a reorg removed it: there are no stored bytes to re-send)
        would wedge the signer. Once such a gap has lasted `orphan_grace` seconds with nothing pending at it,
        each of its nonces is filled with a no-op (a 0-value self-transfer) recorded as a job of its own
        (`GAP_FILL_KIND`, a "nonce_gap" entry in its history), broadcast in nonce order before what waits."""
        lowest: dict[str, int] = {}
        for job in waiting:
            nonce = int(job.nonce or 0)
            if nonce > counts[job.signer]:
                lowest[job.signer] = min(nonce, lowest.get(job.signer, nonce))
        gaps: list[tuple[str, int]] = []
        if lowest:
            with self.factory() as session:
                for signer, top in lowest.items():
                    held = set(session.execute(select(Job.nonce).where(
                        Job.chain_id == self.chain_id, Job.signer == signer, Job.nonce >= counts[signer],
                        Job.nonce < top, or_(Job.status.in_(IN_FLIGHT), watched()))).scalars())
                    gaps += [(signer, n) for n in range(counts[signer], top) if n not in held]
        seen = set(gaps)
        for key in [k for k in self._gaps if k not in seen]:
            del self._gaps[key]
        now = time.monotonic()
        due = [gap for gap in gaps if now - self._gaps.setdefault(gap, now) >= self.orphan_grace]
        if not due:
            return
        signers = sorted({signer for signer, _ in due})
        replies = self.rpc.many([("eth_getTransactionCount", [s, "pending"]) for s in signers])
        pending = {s: int(r.result, 16) for s, r in zip(signers, replies, strict=True) if r.ok}
        due = [(signer, n) for signer, n in due if pending.get(signer, n + 1) <= n]  # nothing in the pool there
        created = self._sign_gap_fills(due, counts)
        stats.signed += len(created)
        self._broadcast(created, stats)

    def _sign_gap_fills(self, gaps: list[tuple[str, int]], counts: dict[str, int]) -> list[tuple[Job, JobAttempt]]:
        if not gaps:
            return []
        fees = self._market()
        created: list[tuple[Job, JobAttempt]] = []
        with nonces.write_session(self.factory) as session:
            for signer in sorted({s for s, _ in gaps}):  # the counter row's lock serialises fills per signer
                nonces.at_least(session, self.chain_id, signer, 0, partial(int, counts[signer]))
            for signer, nonce in sorted(gaps):
                if session.execute(select(Job.id).where(  # filled meanwhile by another worker?
                        Job.chain_id == self.chain_id, Job.signer == signer, Job.nonce == nonce,
                        or_(Job.status.in_(IN_FLIGHT), watched())).limit(1)).first():
                    continue
                now = utcnow()
                job = enqueue(session, GAP_FILL_KIND, signer, "0x", signer=signer, chain_id=self.chain_id)
                attempt = self._sign(job, AttemptKind.ORIGINAL, nonce,
                                     {"to": signer, "value": 0, "data": "0x", "gas": CANCEL_GAS}, fees, 1, now)
                event = {"event": "nonce_gap", "at": now.isoformat(), "nonce": nonce, "chain_nonce": counts[signer],
                         "reason": f"nonce {nonce} of {signer} was held by no job after the chain's nonce went back "
                                   f"to {counts[signer]}: filled with a no-op so later jobs can be mined"}
                job.nonce, job.status, job.tx_hash, job.gas_limit = nonce, JobStatus.SIGNED.value, attempt.tx_hash, \
                    CANCEL_GAS
                job.lease_owner, job.lease_until = self.worker_id, now + self.leases.lease
                job.history, job.result = [event], {"nonce_gap": event}
                session.add(attempt)
                session.flush()
                created.append((job, attempt))
        for job, attempt in created:
            self._gaps.pop((job.signer, attempt.nonce), None)
            log.warning("nonce %d of %s held by no job (chain nonce went back): filling it with a no-op (job %s)",
                        attempt.nonce, job.signer, job.id)
        return created

    def _final_point(self, head: int) -> int:
        """The highest final block: the node's `finalized` block where it offers the tag, else head - depth."""
        if self._finality_tag is not False:
            reply = self.rpc.call("eth_getBlockByNumber", ["finalized", False])
            if reply.ok and isinstance(reply.result, dict) and reply.result.get("number"):
                self._finality_tag = True
                return int(reply.result["number"], 16)
            if not reply.ok and self._finality_tag is None:
                self._finality_tag = False  # the node has no such tag: count blocks instead
                log.info("node offers no `finalized` block tag: a block is final %d blocks deep", self.finality_depth)
            elif self._finality_tag:
                raise RpcTransportError(f"finalized block look-up failed: {reply.message}")
        return head - self.finality_depth

    def _check_watched(self, jobs: list[Job], counts: dict[str, int], head: int, stats: RunStats) -> bool:
        """Settled, not yet final jobs against the chain: final ones are marked so, reorged ones go back to
        `sent`. Returns whether any went back."""
        numbers = sorted({int((job.result or {})["block_number"]) for job in jobs
                          if (job.result or {}).get("block_number") is not None})
        replies = self.rpc.many([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
        hashes: dict[int, str | None] = {}
        for number, reply in zip(numbers, replies, strict=True):
            if not reply.ok:
                raise RpcTransportError(f"eth_getBlockByNumber failed: {reply.message}")
            hashes[number] = reply.result.get("hash") if isinstance(reply.result, dict) else None
        moved: list[Job] = []
        intact: list[Job] = []
        for job in jobs:
            result = job.result or {}
            settled_in = result.get("block_number")
            if int(job.nonce or 0) >= counts[job.signer]:
                moved.append(job)  # its nonce is unused again: whatever settled it is gone
            elif settled_in is not None and hashes.get(int(settled_in)) != result.get("block_hash"):
                moved.append(job)  # its block was replaced: its transaction is elsewhere, or gone
            else:
                intact.append(job)
        if moved:
            self._unsettle(moved, counts)
        point = self._final_point(head)
        final_counts = self._counts_at(sorted({job.signer for job in intact}), point) if intact and point >= 0 else {}
        done = [job for job in intact if job.signer in final_counts and int(job.nonce or 0) < final_counts[job.signer]
                and int((job.result or {}).get("block_number", 0) or 0) <= point]
        if done:
            self._finalize(done)
        return bool(moved)

    def _counts_at(self, signers: list[str], block: int) -> dict[str, int]:
        replies = self.rpc.many([("eth_getTransactionCount", [s, hex(block)]) for s in signers])
        counts: dict[str, int] = {}
        for signer, reply in zip(signers, replies, strict=True):
            if not reply.ok:
                raise RpcTransportError(f"eth_getTransactionCount failed: {reply.message}")
            counts[signer] = int(reply.result, 16)
        return counts

    def _finalize(self, jobs: list[Job]) -> None:
        now = utcnow()
        with nonces.write_session(self.factory) as session:
            held = self.leases.fence_watched(session, (job.id for job in jobs))
            if held:
                session.execute(update(Job).where(Job.id.in_(list(held))).values(
                    finalized=True, lease_owner=None, lease_until=None, updated_at=now))
        log.debug("%d job(s) final", len(jobs))

    def _unsettle(self, jobs: list[Job], counts: dict[str, int]) -> None:
        """A reorg removed or moved what settled these jobs: back to `sent`, with the reorg in their history, and
        their mined attempt (`tx_hash`) broadcast again at their own nonce."""
        calls = [(job, attempt) for job in jobs for attempt in job.attempts]
        replies = self.rpc.many([("eth_getTransactionReceipt", [a.tx_hash]) for _, a in calls])
        found: dict[str, tuple[JobAttempt, dict[str, Any]]] = {}
        for (job, attempt), reply in zip(calls, replies, strict=True):
            if not reply.ok:
                raise RpcTransportError(f"eth_getTransactionReceipt failed: {reply.message}")
            if isinstance(reply.result, dict) and reply.result.get("blockNumber"):
                found[job.id] = (attempt, reply.result)
        now = utcnow()
        rows: list[dict[str, Any]] = []
        with nonces.write_session(self.factory) as session:
            held = self.leases.fence_watched(session, (job.id for job in jobs))
            for job in jobs:
                if job.id not in held:
                    continue
                result = job.result or {}
                mined = found.get(job.id)
                event = {"event": "reorged", "at": now.isoformat(), "status_before": job.status,
                         "error_before": job.error_name, "tx_hash": job.tx_hash,
                         "old_block": result.get("block_number"), "old_block_hash": result.get("block_hash"),
                         "new_block": int(mined[1]["blockNumber"], 16) if mined else None,
                         "new_tx_hash": mined[0].tx_hash if mined else None,
                         "chain_nonce": counts[job.signer]}
                rows.append({"id": job.id, "status": JobStatus.SENT.value, "finished_at": None, "error_name": None,
                             "result": {"reorged": event}, "history": [*(job.history or []), event],
                             "updated_at": now, "last_error": None})
            if rows:
                session.execute(update(Job), rows)
        for row in rows:
            event = row["result"]["reorged"]
            log.warning("job %s: reorg took its transaction out of block %s (now %s): back to sent, re-broadcasting",
                        row["id"], event["old_block"], event["new_block"] if event["new_block"] is not None else
                        "not on chain")
            self._reorged[row["id"]] = time.monotonic()
            self._recheck.add(row["id"])

    def _settle_used(self, jobs: list[Job], head: int, counts: dict[str, int]) -> list[_Final]:
        """Jobs whose nonce is used on chain: find which attempt was mined (or none) and decide."""
        if not jobs:
            return []
        calls = [(job, attempt) for job in jobs for attempt in job.attempts]
        replies = self.rpc.many([("eth_getTransactionReceipt", [attempt.tx_hash]) for _, attempt in calls])
        mined: dict[str, tuple[JobAttempt, dict[str, Any]]] = {}
        for (job, attempt), reply in zip(calls, replies, strict=True):
            if not reply.ok:
                raise RpcTransportError(f"eth_getTransactionReceipt failed: {reply.message}")
            receipt = reply.result
            if isinstance(receipt, dict) and receipt.get("blockNumber"):
                mined[job.id] = (attempt, receipt)
        finals: list[_Final] = []
        for job in jobs:
            if job.id in mined:
                self._orphans.pop(job.id, None)
                attempt, receipt = mined[job.id]
                if head - int(receipt["blockNumber"], 16) + 1 >= self.confirmations:
                    finals.append(self._from_receipt(job, attempt, receipt))
                continue
            first_seen = self._orphans.setdefault(job.id, time.monotonic())
            if time.monotonic() - first_seen >= self.orphan_grace:
                finals.append(self._orphaned(job))
        return finals

    def _from_receipt(self, job: Job, attempt: JobAttempt, receipt: dict[str, Any]) -> _Final:
        summary = {**receipt_summary(receipt), "attempt": attempt.seq, "attempts": len(job.attempts)}
        if attempt.kind == AttemptKind.CANCEL.value:
            reason = job.cancel_reason or "expired"
            if reason == "reverted":
                result = {**(job.result or {}), **summary, "cancelled_by_noop": True, "reason": reason}
                return _Final(job, JobStatus.FAILED, result, attempt.tx_hash, job.error_name)
            status = JobStatus.CANCELLED if reason == "cancelled" else JobStatus.EXPIRED
            return _Final(job, status, {**summary, "cancelled_by_noop": True, "reason": reason}, attempt.tx_hash)
        if summary["status"] == 1:
            return _Final(job, JobStatus.CONFIRMED, summary, attempt.tx_hash)
        call = {**self._call(job), "gas": hex(attempt.gas_limit)}
        error = replay_failure(self.rpc, self.errors, call, summary["block_number"])
        return _Final(job, JobStatus.FAILED, {**summary, "error": error}, attempt.tx_hash, error["name"])

    def _orphaned(self, job: Job) -> _Final:
        """The job's nonce was used by a transaction that is none of its attempts."""
        effect = effect_present(self.rpc, job.effect_check) if job.effect_check else None
        base = {"nonce": job.nonce, "attempts": len(job.attempts), "effect_observed": effect}
        if effect:
            log.warning("job %s: nonce %s used elsewhere, effect check found the effect on chain", job.id, job.nonce)
            return _Final(job, JobStatus.CONFIRMED, {**base, "reason": "effect found on chain by its effect check; "
                                                     "its nonce was used by a transaction it did not sign"})
        log.warning("job %s: nonce %s used by another transaction; failing it", job.id, job.nonce)
        known = "not on chain" if effect is False else "unknown (no effect check)" if effect is None else "?"
        return _Final(job, JobStatus.FAILED, {**base, "error": {"name": "NonceUsedElsewhere", "args": {}},
                                              "reason": f"nonce {job.nonce} was used by another transaction; "
                                                        f"the job's effect is {known}"}, None, "NonceUsedElsewhere")

    def _write_finals(self, finals: list[_Final], counts: dict[str, int]) -> None:
        if not finals:
            return
        now = utcnow()
        with nonces.write_session(self.factory) as session:
            held = self.leases.fence(session, (f.job.id for f in finals), IN_FLIGHT)
            # settled from the chain: watched (lease kept) until final, see _check_watched
            rows = [{"id": f.job.id, "status": f.status.value, "result": {**f.result, "worker": self.worker_id},
                     "tx_hash": f.tx_hash or f.job.tx_hash, "error_name": f.error_name, "finished_at": now,
                     "updated_at": now, "lease_until": now + self.leases.lease, "last_error": None,
                     "finalized": False}
                    for f in finals if f.job.id in held]
            if rows:
                session.execute(update(Job), rows)
            for signer in {f.job.signer for f in finals if f.tx_hash is None}:  # nonce used by a stranger
                nonces.at_least(session, self.chain_id, signer, counts[signer], partial(int, counts[signer]))
        for final in finals:
            self._forget(final.job.id)
            log.info("job %s %s (nonce %s)", final.job.id, final.status.value, final.job.nonce)

    def _prune_memos(self, live: set[str]) -> None:
        """Forget in-memory notes about jobs we no longer hold (finished, or taken over by another worker)."""
        self._recheck &= live
        self._reprice &= live
        for memo in (self._pushed, self._orphans, self._reorged):
            for job_id in [k for k in memo if k not in live]:
                del memo[job_id]

    def _forget(self, job_id: str) -> None:
        for memo in (self._recheck, self._reprice):
            memo.discard(job_id)
        self._pushed.pop(job_id, None)
        self._orphans.pop(job_id, None)
        self._reorged.pop(job_id, None)

    def _push_waiting(self, jobs: list[Job], counts: dict[str, int], stats: RunStats) -> None:
        """Jobs whose nonce is unused: cancel the expired, re-price the stuck, re-send the unsent."""
        now = utcnow()
        stuck_after = self.settings.stuck_after_seconds
        new_attempts: list[tuple[Job, AttemptKind]] = []
        resend: list[tuple[Job, JobAttempt]] = []
        stale: list[Job] = []
        for job in jobs:
            latest = job.attempts[-1]
            if job.id in self._reorged and time.monotonic() - self._reorged[job.id] < stuck_after:
                if job.id in self._recheck:  # sent back by a reorg: the attempt that was mined, as it was
                    resend.append((job, _mined_attempt(job)))
                continue  # no expiry no-op or fee bump before the re-broadcast had its chance
            has_cancel = any(a.kind == AttemptKind.CANCEL.value for a in job.attempts)
            age = (now - (latest.sent_at or latest.created_at)).total_seconds()
            if (job.cancel_reason or now >= job.expires_at) and not has_cancel:
                new_attempts.append((job, AttemptKind.CANCEL))
            elif job.id in self._reprice or (job.status == JobStatus.SENT.value and age >= stuck_after):
                kind = AttemptKind.CANCEL if has_cancel else AttemptKind.REPLACEMENT
                if job.id in self._reprice or not over_cap(latest.fees, self._market(), FEE_CAP_MULTIPLIER):
                    new_attempts.append((job, kind))
                elif time.monotonic() - self._pushed.get(job.id, 0.0) >= stuck_after:
                    resend.append((job, latest))  # paying plenty already: just make sure nodes have it
            elif job.id in self._recheck and _never_sent(job) and job.nonce == counts[job.signer]:
                stale.append(job)  # stored before a crash, never sent, next in line: is the call still valid?
            elif job.id in self._recheck or (job.status == JobStatus.SIGNED.value and _due(job, now)):
                resend.append((job, _mined_attempt(job)))
        reverted = self._estimate_stale(stale)
        for job in stale:
            if job.id in reverted:
                new_attempts.append((job, AttemptKind.CANCEL))  # its nonce is spent on a no-op instead
            else:
                resend.append((job, job.attempts[-1]))
        created = self._add_attempts(new_attempts, reverted)
        stats.replaced += len(created)
        self._broadcast(sorted(resend + created, key=lambda item: item[1].nonce), stats)  # no gap on the way

    def _market(self) -> dict[str, int]:
        try:
            return self.fees.market()
        except PilotkitError:
            raise
        except Exception as exc:
            raise RpcTransportError(f"fee look-up failed: {type(exc).__name__}") from None

    def _estimate_stale(self, jobs: list[Job]) -> dict[str, dict[str, Any]]:
        """Re-estimate stored, never-sent jobs; returns the decoded error of each that would now revert."""
        if not jobs:
            return {}
        replies = self.rpc.many([("eth_estimateGas", [self._call(job)]) for job in jobs])
        outcomes = [estimate_outcome(reply, self.errors, self.gas_multiplier) for reply in replies]
        return {job.id: outcome.revert for job, outcome in zip(jobs, outcomes, strict=True) if outcome.revert}

    def _call(self, job: Job) -> dict[str, Any]:
        return {"from": job.signer, "to": job.to_address, "data": job.calldata, "value": hex(job.value_wei)}

    def _add_attempts(self, wanted: list[tuple[Job, AttemptKind]],
                      reverted: dict[str, dict[str, Any]] | None = None) -> list[tuple[Job, JobAttempt]]:
        """Sign and store replacement / cancelling attempts at the jobs' own nonces (before any broadcast).

        A job in `reverted` (its call would now revert) gets its no-op with the decoded error stored: when the
        no-op is mined the job is failed with that error."""
        reverted = reverted or {}
        if not wanted:
            return []
        market = self._market()
        percent = self.settings.fee_bump_percent
        created: list[tuple[Job, JobAttempt]] = []
        now = utcnow()
        with nonces.write_session(self.factory) as session:
            held = self.leases.fence(session, (job.id for job, _ in wanted), IN_FLIGHT)
            for job, kind in wanted:
                if job.id not in held:
                    continue
                top = job.attempts[-1]
                fees = bumped(top.fees, market, percent)
                if kind is AttemptKind.CANCEL:
                    tx = {"to": job.signer, "value": 0, "data": "0x", "gas": CANCEL_GAS}
                else:
                    tx = {"to": job.to_address, "value": job.value_wei, "data": job.calldata, "gas": top.gas_limit}
                attempt = self._sign(job, kind, int(job.nonce or 0), tx, fees, top.seq + 1, now)
                session.add(attempt)
                extra: dict[str, Any] = {}
                if job.id in reverted:
                    error = reverted[job.id]
                    extra = {"cancel_reason": "reverted", "error_name": error["name"],
                             "result": {"error": error, "stage": "estimate before re-broadcast"}}
                session.execute(update(Job).where(Job.id == job.id).values(tx_hash=attempt.tx_hash, updated_at=now,
                                                                           **extra))
                created.append((job, attempt))
        for job, attempt in created:
            self._reprice.discard(job.id)
            log.info("job %s: %s attempt %d at nonce %d", job.id, attempt.kind, attempt.seq, attempt.nonce)
        return created

    def _sign(self, job: Job, kind: AttemptKind, nonce: int, tx: dict[str, Any], fees: dict[str, int], seq: int,
              now: datetime) -> JobAttempt:
        full = {"chainId": self.chain_id, "nonce": nonce, **tx, **fees}
        signed = self.signers[job.signer].sign_transaction(full)
        return JobAttempt(job_id=job.id, seq=seq, kind=kind.value, nonce=nonce, tx_hash="0x" + bytes(signed.hash).hex(),
                          raw_tx="0x" + bytes(signed.raw_transaction).hex(), gas_limit=int(tx["gas"]),
                          max_fee_per_gas=fees.get("maxFeePerGas"),
                          max_priority_fee_per_gas=fees.get("maxPriorityFeePerGas"), gas_price=fees.get("gasPrice"),
                          created_at=now)

    def _broadcast(self, items: list[tuple[Job, JobAttempt]], stats: RunStats) -> None:
        """Send stored attempts; "already known"-style answers count as sent (receipts will tell)."""
        if not items:
            return
        replies = self.rpc.many([("eth_sendRawTransaction", [attempt.raw_tx]) for _, attempt in items])
        accepted: list[tuple[Job, JobAttempt]] = []
        problems: dict[str, str] = {}
        for (job, attempt), reply in zip(items, replies, strict=True):
            self._recheck.discard(job.id)
            self._pushed[job.id] = time.monotonic()
            if reply.ok or reply.mentions(ALREADY_SUBMITTED):
                accepted.append((job, attempt))
            elif reply.mentions(FEE_TOO_LOW):
                self._reprice.add(job.id)
                self.fees.forget()
                problems[job.id] = reply.message[:300]
            else:
                problems[job.id] = reply.message[:300]
                log.warning("job %s: broadcast of attempt %d refused: %s", job.id, attempt.seq, reply.message[:200])
        stats.broadcast += len(accepted)
        now = utcnow()
        with nonces.write_session(self.factory) as session:
            if accepted:
                session.execute(update(JobAttempt).where(
                    JobAttempt.id.in_([a.id for _, a in accepted]), JobAttempt.sent_at.is_(None)).values(sent_at=now))
                session.execute(update(Job).where(
                    Job.id.in_([j.id for j, _ in accepted]), Job.lease_owner == self.worker_id,
                    Job.status == JobStatus.SIGNED.value).values(status=JobStatus.SENT.value, updated_at=now,
                                                                 last_error=None))
            if problems:
                session.execute(update(Job), [{"id": job_id, "last_error": text, "updated_at": now,
                                               "not_before": now + timedelta(seconds=RETRY_SECONDS)}
                                              for job_id, text in problems.items()])

    # ------------------------------------------------------------------ queued

    def _send_queued(self, stats: RunStats) -> None:
        capacity = {signer: self.settings.max_pending_per_signer - self._in_flight.get(signer, 0)
                    for signer in self.signers}
        if all(room <= 0 for room in capacity.values()):
            return
        jobs = self.leases.claim(capacity)
        stats.claimed += len(jobs)
        if not jobs:
            return
        now = utcnow()
        finals: list[_Final] = []
        candidates: list[Job] = []
        for job in jobs:
            if job.cancel_reason or now >= job.expires_at:
                reason = job.cancel_reason or "expired"
                status = JobStatus.CANCELLED if reason == "cancelled" else JobStatus.EXPIRED
                finals.append(_Final(job, status, {"reason": f"{reason} before it was sent", "sent": False}))
            elif _due(job, now):
                candidates.append(job)
        ready, deferred, transient = self._estimate(candidates, finals)
        ready = self._in_submission_order(ready)
        self._finish_queued(finals, deferred, transient)
        stats.finished += len(finals)
        signed = self._sign_new(ready)
        stats.signed += len(signed)
        self._broadcast(signed, stats)

    def _estimate(self, jobs: list[Job], finals: list[_Final]) -> tuple[list[tuple[Job, int]], list[Job],
                                                                          dict[str, str]]:
        """Gas for each job; a revert fails the job (no nonce used) unless earlier jobs of its signer are
        still unfinished, whose effects it may depend on: then it waits for them and is estimated again."""
        if not jobs:
            return [], [], {}
        replies = self.rpc.many([("eth_estimateGas", [self._call(job)]) for job in jobs])
        ready: list[tuple[Job, int]] = []
        deferred: list[Job] = []
        transient: dict[str, str] = {}
        failing: set[str] = set()
        for job, reply in zip(jobs, replies, strict=True):
            outcome = estimate_outcome(reply, self.errors, self.gas_multiplier)
            if outcome.gas is not None:
                ready.append((job, outcome.gas))
            elif outcome.revert is not None:
                if self._earlier_unfinished(job, failing):
                    deferred.append(job)
                    continue
                failing.add(job.id)
                finals.append(_Final(job, JobStatus.FAILED, {"error": outcome.revert, "stage": "estimate",
                                                            "sent": False}, None, outcome.revert["name"]))
            else:
                transient[job.id] = outcome.transient or "estimation failed"
        return ready, deferred, transient

    def _in_submission_order(self, ready: list[tuple[Job, int]]) -> list[tuple[Job, int]]:
        """Keep nonces in submission order per signer: a job waits while an earlier job of its signer is still
        queued without a nonce (deferred, retrying, not yet due or not claimed), so a job that depends on an
        earlier one (e.g. the next serial range, an allowance) is never overtaken by a later one."""
        if not ready:
            return ready
        ready_ids = [job.id for job, _ in ready]
        signers = sorted({job.signer for job, _ in ready})
        with self.factory() as session:
            waiting = dict(session.execute(
                select(Job.signer, func.min(Job.created_at)).where(
                    Job.chain_id == self.chain_id, Job.signer.in_(signers), Job.status == JobStatus.QUEUED.value,
                    Job.id.not_in(ready_ids)).group_by(Job.signer)).all())
        kept = [(job, gas) for job, gas in ready if job.signer not in waiting or job.created_at < waiting[job.signer]]
        if len(kept) < len(ready):
            log.debug("holding %d job(s) behind earlier queued jobs of their signer", len(ready) - len(kept))
        return kept

    def _earlier_unfinished(self, job: Job, excluding: set[str]) -> bool:
        with self.factory() as session:
            return session.execute(select(func.count()).select_from(Job).where(
                Job.chain_id == job.chain_id, Job.signer == job.signer, Job.status.in_(UNFINISHED),
                Job.created_at < job.created_at, Job.id.not_in(list(excluding)))).scalar_one() > 0

    def _finish_queued(self, finals: list[_Final], deferred: list[Job], transient: dict[str, str]) -> None:
        if not (finals or deferred or transient):
            return
        now = utcnow()
        with nonces.write_session(self.factory) as session:
            ids = [f.job.id for f in finals] + [j.id for j in deferred] + list(transient)
            held = self.leases.fence(session, ids, QUEUED)
            rows: list[dict[str, Any]] = [
                {"id": f.job.id, "status": f.status.value, "result": {**f.result, "worker": self.worker_id},
                 "error_name": f.error_name, "finalized": True,
                 "finished_at": now, "updated_at": now, "lease_owner": None, "lease_until": None}
                for f in finals if f.job.id in held]
            rows += [{"id": j.id, "not_before": now + timedelta(seconds=DEFER_SECONDS), "updated_at": now}
                     for j in deferred if j.id in held]
            rows += [{"id": job_id, "last_error": text, "updated_at": now,
                      "not_before": now + timedelta(seconds=RETRY_SECONDS)}
                     for job_id, text in transient.items() if job_id in held]
            for group in _same_keys(rows):
                session.execute(update(Job), group)
        for final in finals:
            log.info("job %s %s before sending%s", final.job.id, final.status.value,
                     f" ({final.error_name})" if final.error_name else "")

    def _sign_new(self, ready: list[tuple[Job, int]]) -> list[tuple[Job, JobAttempt]]:
        """One transaction: nonces from the counter, sign, store attempts, mark jobs signed. Nothing is sent."""
        if not ready:
            return []
        fees = self._market()
        now = utcnow()
        signed: list[tuple[Job, JobAttempt]] = []
        with nonces.write_session(self.factory) as session:
            held = self.leases.fence(session, (job.id for job, _ in ready), QUEUED)
            by_signer: dict[str, list[tuple[Job, int]]] = {}
            for job, gas in ready:
                if job.id in held:
                    by_signer.setdefault(job.signer, []).append((job, gas))
            rows: list[dict[str, Any]] = []
            for signer, items in by_signer.items():
                numbers = nonces.allocate(session, self.chain_id, signer, len(items),
                                          partial(self._chain_count, signer))
                for (job, gas), nonce in zip(items, numbers, strict=True):
                    tx = {"to": job.to_address, "value": job.value_wei, "data": job.calldata, "gas": gas}
                    attempt = self._sign(job, AttemptKind.ORIGINAL, nonce, tx, fees, 1, now)
                    signed.append((job, attempt))
                    rows.append({"id": job.id, "status": JobStatus.SIGNED.value, "nonce": nonce,
                                 "tx_hash": attempt.tx_hash, "gas_limit": gas, "updated_at": now, "last_error": None})
            if signed:
                session.add_all([attempt for _, attempt in signed])
                session.execute(update(Job), rows)
                session.flush()
        return signed


def _never_sent(job: Job) -> bool:
    """Signed and stored, but no node ever accepted any of its attempts."""
    return job.status == JobStatus.SIGNED.value and all(a.sent_at is None for a in job.attempts)


def _mined_attempt(job: Job) -> JobAttempt:
    """The attempt `tx_hash` names (the latest, or the one a reorg took out), else the latest."""
    return next((a for a in reversed(job.attempts) if a.tx_hash == job.tx_hash), job.attempts[-1])


def _due(job: Job, now: datetime) -> bool:
    return job.not_before is None or job.not_before <= now


def _same_keys(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """Bulk UPDATE by primary key wants one parameter shape per statement."""
    groups: dict[tuple[str, ...], list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(sorted(row)), []).append(row)
    return list(groups.values())


def _describe(exc: BaseException) -> str:
    text = str(exc).splitlines()[0] if str(exc) else ""
    return f"{type(exc).__name__}: {text[:200]}"
