"""The job queue other layers use: enqueue a contract call, read a job, request its cancellation, wait for it.

`enqueue` only adds the job to the caller's session: it becomes durable when the caller commits (the API
commits before answering 202). The sender worker (`platform.sender`) does everything else.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from eth_utils import is_address, to_checksum_address
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload, sessionmaker

from pilotkit_backend.platform.models.jobs import FINAL_STATUSES, Job, JobStatus, utcnow

TRUE_WORD = "0x" + "00" * 31 + "01"
_clock_lock = threading.Lock()
_last_created: list[datetime] = []
NONZERO = "nonzero"  # effect-check expectation: any answer that is not all zero bytes (e.g. an assigned index)


class JobError(ValueError):
    """A job request is invalid (bad address, calldata, value or expiry)."""


class DuplicateJob(JobError):
    """A job with this idempotency_ref exists already (`job` holds it when it could be read)."""

    def __init__(self, ref: str, job: Job | None) -> None:
        super().__init__(f"a job with idempotency_ref {ref!r} exists already")
        self.ref = ref
        self.job = job


class JobTimeout(TimeoutError):
    """A job did not reach a final state in time."""


def make_effect_check(to: str, data: str | bytes, expect: str | bytes = TRUE_WORD) -> dict[str, Any]:
    """An effect check: `eth_call(to, data)` returns exactly `expect` (default ABI `true`) once the job's effect
    is on chain, e.g. `isPaid(roundId, index)`; or, with `expect=NONZERO`, anything but zero bytes (e.g.
    `beneficiaryIndex(id)` once enrolled). Used when the job's nonce was taken by an unknown transaction."""
    wanted = NONZERO if expect == NONZERO else _hex(expect, "effect_check.expect")
    return {"to": _address(to, "effect_check.to"), "data": _hex(data, "effect_check.data"), "expect": wanted}


def enqueue(session: Session, kind: str, to: str, data: str | bytes, value: int = 0, *, signer: str,
            chain_id: int, effect_check: dict[str, Any] | None = None, idempotency_ref: str | None = None,
            expires_in: float | None = None, expires_at: datetime | None = None,
            default_expiry_seconds: float = 3600.0) -> Job:
    """Add a job to `session` (flushed, not committed). Raises DuplicateJob for a used idempotency_ref.

    The job expires `expires_in` seconds from now (or at `expires_at`; default `default_expiry_seconds`):
    past that it is never sent, and if it was sent but is not mined, its nonce is spent on a no-op.
    """
    if not kind or len(kind) > 64:
        raise JobError("kind must be 1 to 64 characters")
    if value < 0 or value >= 2**256:
        raise JobError("value must be a uint256")
    if idempotency_ref is not None:
        existing = session.execute(select(Job).where(Job.idempotency_ref == idempotency_ref)).scalar_one_or_none()
        if existing is not None:
            raise DuplicateJob(idempotency_ref, existing)
    now = _strictly_increasing_now()
    if expires_at is None:
        expires_at = now + timedelta(seconds=expires_in if expires_in is not None else default_expiry_seconds)
    elif expires_at.tzinfo is None:
        raise JobError("expires_at must be timezone-aware")
    if effect_check is not None:
        effect_check = make_effect_check(effect_check["to"], effect_check["data"],
                                         effect_check.get("expect", TRUE_WORD))
    job = Job(kind=kind, chain_id=int(chain_id), signer=_address(signer, "signer"), to_address=_address(to, "to"),
              calldata=_hex(data, "data"), value=str(int(value)), status=JobStatus.QUEUED.value,
              effect_check=effect_check, idempotency_ref=idempotency_ref, created_at=now, updated_at=now,
              expires_at=expires_at)
    session.add(job)
    try:
        session.flush()
    except IntegrityError as exc:  # a concurrent request won the idempotency_ref; the caller must roll back
        if idempotency_ref is None:
            raise
        raise DuplicateJob(idempotency_ref, None) from exc
    return job


def _strictly_increasing_now() -> datetime:
    """utcnow(), but later than every earlier call in this process: jobs keep their submission order (the sender
    assigns nonces per signer in created_at order) even when enqueued within one clock tick."""
    with _clock_lock:
        now = utcnow()
        if _last_created and now <= _last_created[0]:
            now = _last_created[0] + timedelta(microseconds=1)
        _last_created[:] = [now]
        return now


def reorged_jobs(session: Session, object_address: str) -> dict[str, datetime]:
    """Jobs on a registered contract that a reorg has sent back at least once, with when the last reorg was seen.

    What a kind derived from such a job before that moment (an index, a status) may no longer hold: it derives
    it again from the job's current status and the chain (the job may be in flight again, re-settled, or failed).
    """
    rows = session.execute(select(Job.id, Job.history).where(
        Job.object_address == _address(object_address, "object_address"), Job.history.is_not(None))).all()
    return {job_id: datetime.fromisoformat(history[-1]["at"]) for job_id, history in rows if history}


def get_job(session: Session, job_id: str) -> Job | None:
    """A job with its attempts, or None."""
    return session.execute(
        select(Job).where(Job.id == job_id).options(selectinload(Job.attempts)).execution_options(
            populate_existing=True)
    ).scalar_one_or_none()


def request_cancel(session: Session, job_id: str, reason: str = "cancelled") -> Job | None:
    """Ask the worker to cancel a job (a queued job is never sent; a sent one gets a no-op at its nonce).

    The job may still confirm if its transaction is mined first. Returns the job (None if unknown).
    """
    job = session.get(Job, job_id, with_for_update=True)
    if job is None or job.is_final:
        return job
    job.cancel_reason = reason
    job.updated_at = utcnow()
    session.flush()
    return job


def wait_for_job(factory: sessionmaker[Session], job_id: str, timeout: float = 30.0, poll: float = 0.05,
                 tick: Callable[[], object] | None = None) -> Job:
    """Block until the job is final (calling `tick`, e.g. `worker.run_once`, between looks); for tests/scripts."""
    deadline = time.monotonic() + timeout
    while True:
        with factory() as session:
            job = get_job(session, job_id)
        if job is None:
            raise JobError(f"no job {job_id}")
        if job.status in FINAL_STATUSES:
            return job
        if time.monotonic() > deadline:
            raise JobTimeout(f"job {job_id} still {job.status} after {timeout:.0f}s")
        if tick is not None:
            tick()
        else:
            time.sleep(poll)


def _address(value: str, what: str) -> str:
    if not isinstance(value, str) or not is_address(value):
        raise JobError(f"{what} is not an address")
    return to_checksum_address(value)


def _hex(value: str | bytes, what: str) -> str:
    if isinstance(value, bytes | bytearray):
        return "0x" + bytes(value).hex()
    text = value.lower()
    if not text.startswith("0x") or len(text) % 2:
        raise JobError(f"{what} must be 0x-prefixed hex bytes")
    try:
        bytes.fromhex(text[2:])
    except ValueError:
        raise JobError(f"{what} must be 0x-prefixed hex bytes") from None
    return text
