"""Job status: `GET /v1/jobs/{id}`, `GET /v1/jobs` (paginated), `POST /v1/jobs/{id}/cancel`.

Every write answers 202 with a job id; field apps poll here until the status is final. A key sees the jobs
it asked for; `auditor` and `admin` keys also see the other jobs on the objects they may see.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field
from sqlalchemy import select

from pilotkit_backend.api.deps import CurrentKey, SessionDep
from pilotkit_backend.api.pagination import Cursor, CursorDep, InvalidCursor
from pilotkit_backend.core.problems import Conflict, NotFound, problem_responses
from pilotkit_backend.platform.auth import AuthenticatedKey, ensure_bound
from pilotkit_backend.platform.job_queue import get_job, request_cancel
from pilotkit_backend.platform.models.access import Scope
from pilotkit_backend.platform.models.jobs import Job, JobStatus

router = APIRouter(prefix="/v1/jobs", tags=["jobs"], responses=problem_responses(401, 404, 429))

OVERSEERS = (Scope.auditor, Scope.admin)


class JobErrorPublic(BaseModel):
    name: str | None = Field(description="the contract's custom error (e.g. AlreadyPaid), or the failure kind")
    detail: str | None = None


class JobReorg(BaseModel):
    """A reorg that took the job's transaction out of the block that settled it (the job went back to sent)."""

    at: datetime
    status_before: str
    old_block: int | None
    new_block: int | None = Field(description="the block it was re-mined in when the reorg was seen, else null")
    tx_hash: str | None


class JobPublic(BaseModel):
    """Where a write is. Settled statuses: confirmed, failed, expired, cancelled; `final` once no reorg can undo it."""

    id: str
    kind: str
    status: JobStatus
    final: bool = Field(description="settled and final on chain: its block is at or below the node's `finalized` "
                                    "block (else `finality_depth` deep). A settled job with final=false may still "
                                    "go back to `sent` after a reorg")
    reorgs: list[JobReorg] = Field(default_factory=list, description="reorgs that undid a settlement of this job")
    object: str | None = Field(description="the registered contract the job acts on")
    tx_hash: str | None
    block_number: int | None
    gas_used: int | None
    error: JobErrorPublic | None
    created_at: datetime
    updated_at: datetime
    expires_at: datetime
    finished_at: datetime | None


class JobPage(BaseModel):
    items: list[JobPublic]
    next_cursor: str | None = Field(description="pass as `cursor` for the next page; null on the last page")


def job_public(job: Job) -> JobPublic:
    result: dict[str, Any] = job.result or {}
    error = None
    if job.status in (JobStatus.FAILED, JobStatus.EXPIRED, JobStatus.CANCELLED):
        error = JobErrorPublic(name=job.error_name or job.status, detail=_failure_detail(job))
    return JobPublic(
        id=job.id, kind=job.kind, status=JobStatus(job.status), final=job.is_irreversible,
        reorgs=[JobReorg(at=e["at"], status_before=e.get("status_before", ""), old_block=e.get("old_block"),
                         new_block=e.get("new_block"), tx_hash=e.get("tx_hash")) for e in job.history or []
                if e.get("event", "reorged") == "reorged"],
        object=job.object_address,
        tx_hash=job.tx_hash, block_number=result.get("block_number"), gas_used=result.get("gas_used"), error=error,
        created_at=job.created_at, updated_at=job.updated_at, expires_at=job.expires_at, finished_at=job.finished_at,
    )


def _failure_detail(job: Job) -> str | None:
    if job.status == JobStatus.EXPIRED:
        return "not mined before it expired; its nonce was spent on a no-op, so it will never happen"
    if job.status == JobStatus.CANCELLED:
        return "cancelled on request; it will never happen"
    if job.error_name:
        return f"the contract refused it: {job.error_name}"
    return "the transaction failed"


def may_see(key: AuthenticatedKey, job: Job) -> bool:
    if job.api_key_id == key.id:
        return True
    if not key.has_any(OVERSEERS):
        return False
    if key.binding is None:
        return True
    return job.object_address is not None and job.object_address.lower() == key.binding.object_id.lower()


@router.get("/{job_id}", response_model=JobPublic, summary="A job's status, transaction and outcome")
def read_job(job_id: str, key: CurrentKey, session: SessionDep) -> JobPublic:
    job = get_job(session, job_id) if len(job_id) <= 36 else None
    if job is None or not may_see(key, job):
        raise NotFound("no such job")
    return job_public(job)


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def _micros(moment: datetime) -> int:
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return (moment - EPOCH) // timedelta(microseconds=1)


@router.get("", response_model=JobPage, summary="Jobs this key may see, newest first")
def list_jobs(
    key: CurrentKey,
    session: SessionDep,
    object: Annotated[str | None, Query(description="only jobs acting on this registered contract")] = None,
    status: Annotated[JobStatus | None, Query()] = None,
    cursor: CursorDep = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> JobPage:
    query = select(Job)
    if object is not None:
        ensure_bound(key, key.binding.kind if key.binding else "programme", object)
        query = query.where(Job.object_address == _checksum_or_none(object))
    if not key.has_any(OVERSEERS):
        query = query.where(Job.api_key_id == key.id)
    elif key.binding is not None:
        query = query.where(Job.object_address == _checksum_or_none(key.binding.object_id))
    if status is not None:
        query = query.where(Job.status == status.value)
    # cursor: <created_at in microseconds>.<jobs of that instant already listed> (ties ordered by id)
    seen_at, seen = (None, 0) if cursor is None else cursor.pair()
    if seen_at is not None:
        try:
            after = EPOCH + timedelta(microseconds=seen_at)
        except OverflowError:
            raise InvalidCursor from None
        query = query.where(Job.created_at <= after)
    query = query.order_by(Job.created_at.desc(), Job.id.desc()).offset(seen).limit(limit + 1)
    rows = list(session.execute(query).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = None
    if more and rows:
        last = _micros(rows[-1].created_at)
        same = sum(1 for j in rows if _micros(j.created_at) == last)
        next_cursor = Cursor.of(last, same + (seen if seen_at == last else 0))
    return JobPage(items=[job_public(j) for j in rows], next_cursor=next_cursor)


@router.post("/{job_id}/cancel", response_model=JobPublic, status_code=202,
             responses=problem_responses(409), summary="Ask for a job to be cancelled (it may still confirm first)")
def cancel_job(job_id: str, key: CurrentKey, session: SessionDep) -> JobPublic:
    job = get_job(session, job_id) if len(job_id) <= 36 else None
    if job is None or not may_see(key, job):
        raise NotFound("no such job")
    if job.api_key_id != key.id and not key.has_any([Scope.admin]):
        raise NotFound("no such job")
    if job.is_final:
        raise Conflict(f"the job is {job.status} already")
    request_cancel(session, job.id)
    session.commit()
    refreshed = get_job(session, job.id)
    assert refreshed is not None
    return job_public(refreshed)


def _checksum_or_none(text: str) -> str | None:
    from eth_utils import is_address, to_checksum_address

    return to_checksum_address(text) if is_address(text) else None
