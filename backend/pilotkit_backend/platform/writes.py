"""How every API write becomes durable jobs: pre-flight as the role's signer, then enqueue, then 202.

A domain service builds calldata with `ChainContext.encode` and calls `submit(...)` (one job) or
`submit_many(...)` (a batch, e.g. 40 push-payment jobs for 10,000 beneficiaries). The jobs are added to the
request's session; the idempotent route commits them together with the stored response, so an accepted
request always has its jobs, and a retried one gets the same job ids back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from pilotkit_backend.core.config import Settings
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.job_queue import enqueue
from pilotkit_backend.platform.models.jobs import Job


class JobAccepted(BaseModel):
    """A write the service accepted: the job that will make it happen on chain exactly once."""

    job_id: str = Field(description="poll GET /v1/jobs/{job_id} until its status is final")
    kind: str
    status: str
    status_url: str
    created_at: datetime


class JobsAccepted(BaseModel):
    """A write carried out by several jobs (e.g. one per push batch); each is sent exactly once."""

    jobs: list[JobAccepted]


@dataclass(frozen=True)
class Call:
    """One contract call to make as one job."""

    kind: str  # e.g. "cash.enrol", "certs.issue"; shown in job status
    role: str  # the contract role whose signer sends it (ChainContext.signers)
    to: str
    data: str
    effect_check: dict[str, Any] | None = None  # view call that proves it happened (see jobs_queue)
    value: int = 0


def submit(session: Session, chain: ChainContext, settings: Settings, call: Call, *, api_key_id: int | None,
           object_address: str | None, ref: str | None, preflight: bool = True) -> Job:
    """Pre-flight `call` as its role's signer (a revert raises its named ContractRevert → 4xx), then enqueue.

    `ref` is the request's idempotency reference (`IdempotencyContext.ref`), unique per job.
    """
    if preflight:
        chain.preflight(call.role, call.to, call.data, call.value)
    return _enqueue(session, chain, settings, call, api_key_id, object_address, ref)


def submit_many(session: Session, chain: ChainContext, settings: Settings, calls: Sequence[Call], *,
                api_key_id: int | None, object_address: str | None, ref: str | None,
                preflight_first: bool = True) -> list[Job]:
    """Enqueue several calls in order (same signer → consecutive nonces). Only the first is pre-flighted by
    default: the later ones may depend on it (the sender defers a reverting estimate while earlier jobs of its
    signer are unfinished, and fails it with the decoded error otherwise)."""
    jobs = []
    for position, call in enumerate(calls):
        if preflight_first and position == 0:
            chain.preflight(call.role, call.to, call.data, call.value)
        item_ref = None if ref is None else f"{ref}#{position}"
        jobs.append(_enqueue(session, chain, settings, call, api_key_id, object_address, item_ref))
    return jobs


def _enqueue(session: Session, chain: ChainContext, settings: Settings, call: Call, api_key_id: int | None,
             object_address: str | None, ref: str | None) -> Job:
    job = enqueue(session, call.kind, call.to, call.data, call.value, signer=chain.signer_for(call.role).address,
                  chain_id=chain.chain_id, effect_check=call.effect_check, idempotency_ref=ref,
                  default_expiry_seconds=float(settings.job_expiry_seconds))
    job.api_key_id = api_key_id
    job.object_address = object_address
    session.flush()
    return job


def accepted(job: Job) -> JobAccepted:
    return JobAccepted(job_id=job.id, kind=job.kind, status=job.status, status_url=f"/v1/jobs/{job.id}",
                       created_at=job.created_at)
