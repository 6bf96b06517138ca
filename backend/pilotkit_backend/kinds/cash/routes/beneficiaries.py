"""Beneficiaries of a cash programme: enrol (one, or a CSV of up to 100,000), look up, list, suspend, reinstate,
remove, recover a wallet, erase the off-chain personal data.

Raw identifiers are hashed on arrival (`kinds.cash.services.identity`) and never stored, logged or returned. Wallets are
personal data: only registrar keys see them. Writes answer 202 with their job(s) (see /v1/jobs).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Path, Query, Request
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilotkit_backend.api.deps import ChainDep, IdempotencyDep, SessionDep, require_scope
from pilotkit_backend.api.pagination import CursorDep
from pilotkit_backend.api.routing import IDEMPOTENT_RESPONSES, IdempotentRoute
from pilotkit_backend.core.problems import (
    BadRequest,
    Conflict,
    NotFound,
    ProblemError,
    Unprocessable,
    problem_responses,
)
from pilotkit_backend.db.types import utcnow
from pilotkit_backend.kinds.cash.contract import PROGRAMME
from pilotkit_backend.kinds.cash.models.beneficiaries import BeneficiaryRecord, BeneficiaryState
from pilotkit_backend.kinds.cash.services import beneficiaries as svc
from pilotkit_backend.kinds.cash.services.bulk import enrol_csv
from pilotkit_backend.kinds.cash.services.identity import IdentityKeys, ProgrammeIdentity
from pilotkit_backend.platform import registry
from pilotkit_backend.platform.auth import AuthenticatedKey
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.models.access import Scope
from pilotkit_backend.platform.models.registry import RegisteredContract
from pilotkit_backend.platform.writes import JobAccepted, accepted

Registrar = Annotated[AuthenticatedKey, require_scope(Scope.registrar)]
Approver = Annotated[AuthenticatedKey, require_scope(Scope.approver)]
Reader = Annotated[AuthenticatedKey, require_scope(Scope.registrar, Scope.auditor)]
Index = Annotated[int, Path(ge=1, le=2**32 - 1, description="the beneficiary index (1, 2, 3, ...)")]


class UnsupportedMediaType(ProblemError):
    status, type, title = 415, "/problems/unsupported-media-type", "Unsupported media type"


router = APIRouter(prefix="/v1/programmes/{programme}/beneficiaries", tags=["cash: beneficiaries"],
                   route_class=IdempotentRoute, responses=problem_responses(401, 403, 404, 429))


# ---------------------------------------------------------------------------------------------------------- schemas


class EnrolBody(BaseModel):
    identifier: str = Field(min_length=1, max_length=512, description="national id, registry number, ...; hashed "
                            "on the server with the programme's key, never stored")
    wallet: str = Field(min_length=1, max_length=64, description="the beneficiary's wallet address")


class EnrolAccepted(JobAccepted):
    beneficiary_id: str = Field(description="the keyed hash put on chain (0x-hex)")


class RejectedRow(BaseModel):
    line: int
    reason: str


class BulkAccepted(BaseModel):
    rows: int = Field(description="data rows read (blank lines skipped)")
    accepted: int
    rejected: list[RejectedRow]
    jobs: list[JobAccepted]


class LookupBody(BaseModel):
    identifier: str = Field(min_length=1, max_length=512)


class ReasonBody(BaseModel):
    reason_code: int = Field(ge=0, le=65535, description="off-chain reason code (never free text)")


class RecoveryBody(BaseModel):
    new_wallet: str = Field(min_length=1, max_length=64)


class BeneficiaryPublic(BaseModel):
    index: int | None
    beneficiary_id: str
    status: BeneficiaryState
    wallet: str | None = Field(default=None, description="registrar keys only")


class BeneficiaryDetail(BeneficiaryPublic):
    enrolled_at: datetime | None
    entitlement: str | None = Field(default=None, description="unspent voucher entitlement (base units)")
    pending_recovery: dict[str, Any] | None = None
    payments: list[dict[str, Any]] = Field(default_factory=list)


class BeneficiaryPage(BaseModel):
    items: list[BeneficiaryPublic]
    next_cursor: str | None


class ErasureReceipt(BaseModel):
    programme: str
    index: int | None
    erased_at: datetime
    erased: list[str] = Field(description="what was deleted from the service's records")
    kept: list[str] = Field(description="what remains, and why")


# ---------------------------------------------------------------------------------------------------------- helpers


def _programme(session: Session, chain: ChainContext, address: str, key: AuthenticatedKey) -> RegisteredContract:
    return registry.find(session, chain, PROGRAMME, address, key)


def _identity(request: Request, chain: ChainContext, programme: RegisteredContract) -> ProgrammeIdentity:
    keys: IdentityKeys | None = getattr(request.app.state, "cash_identity", None)
    if keys is None:
        keys = IdentityKeys(request.app.state.settings.identity_key, request.app.state.session_factory)
        request.app.state.cash_identity = keys
    return keys.for_programme(chain.chain_id, programme.address, chain.is_local)


def _public(row: BeneficiaryRecord, key: AuthenticatedKey) -> BeneficiaryPublic:
    return BeneficiaryPublic(index=row.beneficiary_index, beneficiary_id=row.beneficiary_id,
                             status=BeneficiaryState(row.status), wallet=_wallet(row, key))


def _wallet(row: BeneficiaryRecord, key: AuthenticatedKey) -> str | None:
    return row.wallet if key.has_any([Scope.registrar]) and not row.erased else None


def _detail(session: Session, chain: ChainContext, row: BeneficiaryRecord, key: AuthenticatedKey
            ) -> BeneficiaryDetail:
    svc.settle(session, chain, row.programme, [row])
    entitlement, recovery, paid = None, None, []
    if row.beneficiary_index:
        record = svc.sync_from_chain(chain, row)
        entitlement = str(record["entitlement"])
        new_wallet, executable_at = chain.call(row.programme, svc.CONTRACT, "pendingRecovery", row.beneficiary_index)
        if new_wallet != svc.ZERO_ADDRESS:
            _, confirmed = chain.call(row.programme, svc.CONTRACT, "recoveryConfirmation", row.beneficiary_index)
            recovery = {"executable_at": int(executable_at), "confirmed": bool(confirmed),
                        "new_wallet": new_wallet if key.has_any([Scope.registrar]) else None}
        paid = svc.payments(session, chain, row.programme, row.beneficiary_index)
    session.commit()
    return BeneficiaryDetail(**_public(row, key).model_dump(), enrolled_at=svc.enrolled_at(session, row),
                             entitlement=entitlement, pending_recovery=recovery, payments=paid)


def _by_index(session: Session, chain: ChainContext, programme: RegisteredContract, index: int) -> BeneficiaryRecord:
    found = svc.record_by_index(session, chain.chain_id, programme.address, index)
    if found is None:  # maybe enrolled by a job not settled yet
        svc.settle(session, chain, programme.address)
        found = svc.record_by_index(session, chain.chain_id, programme.address, index)
    return svc.require_enrolled(found)


# ---------------------------------------------------------------------------------------------------------- routes


@router.post("", status_code=202, response_model=EnrolAccepted, responses=IDEMPOTENT_RESPONSES,
             summary="Enrol one beneficiary (registrar)")
def enrol(programme: str, body: EnrolBody, request: Request, key: Registrar, chain: ChainDep,
          idem: IdempotencyDep) -> EnrolAccepted:
    row = _programme(idem.session, chain, programme, key)
    identity = _identity(request, chain, row)
    done = svc.enrol_one(idem.session, chain, request.app.state.settings, row, identity, body.identifier,
                         body.wallet, key_id=key.id, ref=idem.ref)
    return EnrolAccepted(**accepted(done.job).model_dump(), beneficiary_id=done.record.beneficiary_id)


@router.post("/bulk", status_code=202, response_model=BulkAccepted,
                    responses={**IDEMPOTENT_RESPONSES, **problem_responses(413, 415)},
                    summary="Enrol beneficiaries from a CSV file `identifier,wallet` (multipart field `file`)",
                    openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
                        "type": "object", "required": ["file"],
                        "properties": {"file": {"type": "string", "format": "binary",
                                                "description": "CSV, header `identifier,wallet`, UTF-8"}}}}}}})
async def enrol_bulk(programme: str, request: Request, key: Registrar, chain: ChainDep,
                     idem: IdempotencyDep) -> BulkAccepted:
    content_type = request.headers.get("content-type", "")
    if not content_type.lower().startswith("multipart/form-data"):
        raise UnsupportedMediaType("send the CSV as multipart/form-data with the file in field 'file'")
    limit = int(request.app.state.settings.max_upload_bytes)
    try:
        form = await request.form(max_files=1, max_fields=5, max_part_size=limit)
    except Exception:
        raise BadRequest("the multipart body could not be parsed") from None
    upload = form.get("file")
    if upload is None or isinstance(upload, str):
        raise BadRequest("the multipart body has no file in field 'file'")
    data = await upload.read()
    await form.close()

    def work() -> BulkAccepted:
        row = _programme(idem.session, chain, programme, key)
        identity = _identity(request, chain, row)
        result = enrol_csv(idem.session, chain, request.app.state.settings, row, identity, data, key_id=key.id,
                           ref=idem.ref)
        if result.accepted == 0:
            raise Unprocessable("no row of the file can be enrolled", extra={
                "rows": result.rows, "rejected": result.rejected})
        return BulkAccepted(rows=result.rows, accepted=result.accepted,
                            rejected=[RejectedRow(**r) for r in result.rejected],
                            jobs=[accepted(j) for j in result.jobs])

    return await run_in_threadpool(work)


@router.post("/lookup", response_model=BeneficiaryDetail, summary="Find a beneficiary by raw identifier")
def lookup(programme: str, body: LookupBody, request: Request, key: Reader, session: SessionDep,
           chain: ChainDep) -> BeneficiaryDetail:
    row = _programme(session, chain, programme, key)
    identity = _identity(request, chain, row)
    bid = "0x" + identity.beneficiary_id_or_422(body.identifier).hex()
    record = svc.record_by_hash(session, chain.chain_id, row.address, bid)
    if record is None or record.erased:
        raise NotFound("no beneficiary with this identifier")
    return _detail(session, chain, record, key)


@router.get("", response_model=BeneficiaryPage, summary="Beneficiaries of a programme, by index")
def list_beneficiaries(
    programme: str, key: Reader, session: SessionDep, chain: ChainDep,
    status: Annotated[BeneficiaryState | None, Query()] = None,
    cursor: CursorDep = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> BeneficiaryPage:
    row = _programme(session, chain, programme, key)
    svc.settle(session, chain, row.address)
    session.commit()
    query = select(BeneficiaryRecord).where(BeneficiaryRecord.chain_id == chain.chain_id,
                                            BeneficiaryRecord.programme == row.address,
                                            BeneficiaryRecord.erased_at.is_(None))
    if status is not None:
        query = query.where(BeneficiaryRecord.status == status.value)
    if cursor is not None:
        query = query.where(BeneficiaryRecord.id > cursor.id())
    rows = list(session.execute(query.order_by(BeneficiaryRecord.id).limit(limit + 1)).scalars())
    more = len(rows) > limit
    rows = rows[:limit]
    return BeneficiaryPage(items=[_public(r, key) for r in rows], next_cursor=str(rows[-1].id) if more else None)


@router.get("/{index}", response_model=BeneficiaryDetail, summary="One beneficiary, read fresh from the chain")
def read_beneficiary(programme: str, index: Index, key: Reader, session: SessionDep,
                     chain: ChainDep) -> BeneficiaryDetail:
    row = _programme(session, chain, programme, key)
    return _detail(session, chain, _by_index(session, chain, row, index), key)


def _change(programme: str, index: Index, request: Request, key: AuthenticatedKey, chain: ChainContext,
            idem: Any, action: str, **kwargs: Any) -> JobAccepted:
    row = _programme(idem.session, chain, programme, key)
    record = _by_index(idem.session, chain, row, index)
    if "new_wallet" in kwargs:
        kwargs["new_wallet"] = svc.wallet_or_422(kwargs["new_wallet"], row.address, "new_wallet")
    job = svc.change(idem.session, chain, request.app.state.settings, record, action, key_id=key.id, ref=idem.ref,
                     **kwargs)
    return accepted(job)


@router.post("/{index}/suspend", status_code=202, response_model=JobAccepted, responses=IDEMPOTENT_RESPONSES,
             summary="Suspend a beneficiary (no payments until reinstated)")
def suspend(programme: str, index: Index, body: ReasonBody, request: Request, key: Registrar, chain: ChainDep,
            idem: IdempotencyDep) -> JobAccepted:
    return _change(programme, index, request, key, chain, idem, "suspend", reason=body.reason_code)


@router.post("/{index}/reinstate", status_code=202, response_model=JobAccepted, responses=IDEMPOTENT_RESPONSES,
             summary="Reinstate a suspended beneficiary")
def reinstate(programme: str, index: Index, request: Request, key: Registrar, chain: ChainDep,
              idem: IdempotencyDep) -> JobAccepted:
    return _change(programme, index, request, key, chain, idem, "reinstate")


@router.post("/{index}/remove", status_code=202, response_model=JobAccepted, responses=IDEMPOTENT_RESPONSES,
             summary="Remove a beneficiary for good (its id can never be enrolled again)")
def remove(programme: str, index: Index, body: ReasonBody, request: Request, key: Registrar, chain: ChainDep,
           idem: IdempotencyDep) -> JobAccepted:
    return _change(programme, index, request, key, chain, idem, "remove", reason=body.reason_code)


@router.post("/{index}/wallet-recovery", status_code=202, response_model=JobAccepted,
             responses=IDEMPOTENT_RESPONSES, summary="Request a wallet recovery (executable after the delay)")
def request_recovery(programme: str, index: Index, body: RecoveryBody, request: Request, key: Registrar,
                     chain: ChainDep, idem: IdempotencyDep) -> JobAccepted:
    return _change(programme, index, request, key, chain, idem, "recovery", new_wallet=body.new_wallet)


@router.post("/{index}/wallet-recovery/confirm", status_code=202, response_model=JobAccepted,
             responses=IDEMPOTENT_RESPONSES,
             summary="Confirm a pending wallet recovery (approver key: the second pair of eyes)")
def confirm_recovery(programme: str, index: Index, request: Request, key: Approver, chain: ChainDep,
                     idem: IdempotencyDep) -> JobAccepted:
    return _change(programme, index, request, key, chain, idem, "recovery_confirm")


@router.post("/{index}/wallet-recovery/execute", status_code=202, response_model=JobAccepted,
             responses=IDEMPOTENT_RESPONSES,
             summary="Execute a pending wallet recovery once an approver confirmed it and its delay has passed")
def execute_recovery(programme: str, index: Index, request: Request, key: Registrar, chain: ChainDep,
                     idem: IdempotencyDep) -> JobAccepted:
    return _change(programme, index, request, key, chain, idem, "recovery_execute")


@router.post("/{index}/wallet-recovery/cancel", status_code=202, response_model=JobAccepted,
             responses=IDEMPOTENT_RESPONSES, summary="Cancel a pending wallet recovery")
def cancel_recovery(programme: str, index: Index, request: Request, key: Registrar, chain: ChainDep,
                    idem: IdempotencyDep) -> JobAccepted:
    return _change(programme, index, request, key, chain, idem, "recovery_cancel")


@router.delete("/{index}/personal-data", response_model=ErasureReceipt, responses=problem_responses(409),
               summary="Erase the off-chain personal data of a removed beneficiary")
def erase(programme: str, index: Index, key: Registrar, session: SessionDep, chain: ChainDep) -> ErasureReceipt:
    row = _programme(session, chain, programme, key)
    record = _by_index(session, chain, row, index)
    svc.settle(session, chain, row.address, [record])
    svc.sync_from_chain(chain, record)
    if record.status != BeneficiaryState.removed:
        session.commit()
        raise Conflict("remove the beneficiary first (POST .../remove): an erased person could no longer be "
                       "identified, so must no longer be payable")
    now = utcnow()
    record.wallet, record.erased_at, record.updated_at = None, now, now
    session.commit()
    return ErasureReceipt(
        programme=row.address, index=record.beneficiary_index, erased_at=now, erased=["wallet"],
        kept=["beneficiary_id: the keyed hash, also public on chain; without the service's secret key it cannot "
              "be linked to a person, and the service now refuses to link it (lookups answer 404, enrolment 409)",
              "index and status: needed to account for past payments; they name no person"],
    )
