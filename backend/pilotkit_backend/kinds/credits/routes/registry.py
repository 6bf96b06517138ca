"""Eco-credit routes under `/v1/credit-registries/{registry}`: projects, batches, freezes, transfers, retirements,
summary (docs/kinds/credits/api.md).

Scopes: `admin` registers projects and moves credits out of custody (transfers, retirements, erasure of a
beneficiary name) and unfreezes batches; `verifier` issues and freezes batches; `admin`, `verifier` and `auditor` read.
A key bound to another registry gets 404. Writes answer 202 with the job (Idempotency-Key required).
"""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from typing import Annotated, Any

from eth_utils import to_checksum_address
from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from pilotkit_backend.api.deps import (
    ChainDep,
    IdempotencyDep,
    SessionDep,
    SettingsDep,
    require_scope,
)
from pilotkit_backend.api.pagination import Cursor, CursorDep
from pilotkit_backend.api.routing import IDEMPOTENT_RESPONSES, IdempotentRoute
from pilotkit_backend.core.problems import problem_responses
from pilotkit_backend.db.types import utcnow
from pilotkit_backend.kinds.credits.contract import CREDITS_REGISTRY
from pilotkit_backend.kinds.credits.services import issuance as credits
from pilotkit_backend.kinds.credits.services import reads as credits_reads
from pilotkit_backend.kinds.credits.services.beneficiary import canonical_name
from pilotkit_backend.platform import registry as registered
from pilotkit_backend.platform.auth import AuthenticatedKey
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.models.access import Scope
from pilotkit_backend.platform.models.registry import RegisteredContract
from pilotkit_backend.platform.writes import JobAccepted, accepted

router = APIRouter(prefix="/v1/credit-registries/{registry}", tags=["credits"], route_class=IdempotentRoute,
                   responses=problem_responses(401, 403, 404, 429))

Admin = Annotated[AuthenticatedKey, require_scope(Scope.admin)]
Verifier = Annotated[AuthenticatedKey, require_scope(Scope.verifier)]
Reader = Annotated[AuthenticatedKey, require_scope(Scope.admin, Scope.verifier, Scope.auditor)]
RegistryPath = Annotated[str, Path(max_length=42, description="the registered EcoCreditRegistry")]

UINT64_MAX = 2**64 - 1
UINT128_MAX = 2**128 - 1
SHORT_STRING = r"^[!-~](?:[ -~]{0,30}[!-~])?$"  # 1..32 printable ASCII, no leading or trailing space
HASH32 = r"^0x[0-9a-fA-F]{64}$"
ADDRESS = r"^0x[0-9a-fA-F]{40}$"
MAX_REASON_BYTES = 256  # the contract's MAX_REASON_LENGTH
MAX_URI_BYTES = 512  # the contract's MAX_URI_LENGTH

BatchId = Annotated[int, Path(ge=1, le=UINT64_MAX, description="the batch (= ERC-1155 token id)")]
LimitQuery = Annotated[int, Query(ge=1, le=100)]
WRITE_RESPONSES = {**IDEMPOTENT_RESPONSES, **problem_responses(409, 422)}


def _find(session: Any, chain: ChainContext, address: str, key: AuthenticatedKey) -> RegisteredContract:
    return registered.find(session, chain, CREDITS_REGISTRY, address, key)


def _not_zero(value: str, what: str) -> str:
    if int(value, 16) == 0:
        raise ValueError(f"{what} must not be zero")
    return value


def _no_controls(value: str) -> str:
    if any(unicodedata.category(ch) in ("Cc", "Cf", "Cs") for ch in value):
        raise ValueError("must not contain control, format or surrogate characters")
    return value


def _id_cursor(cursor: Cursor | None) -> int:
    return 0 if cursor is None else cursor.id()


# ----------------------------------------------------------------------------------------------------- models

class ProjectCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    registry_code: str = Field(pattern=SHORT_STRING, description="origin registry code, e.g. VERRA (1-32 ASCII); "
                               "also the serial namespace")
    external_id: str = Field(pattern=SHORT_STRING, description="project id in the origin registry (1-32 ASCII)")
    methodology: str = Field(pattern=SHORT_STRING, description="methodology code, e.g. VM0015 (1-32 ASCII)")
    country: str = Field(pattern=r"^[A-Z]{2}$", description="ISO 3166-1 alpha-2, e.g. KE")
    metadata_uri: str = Field(min_length=1, max_length=MAX_URI_BYTES, description="project documentation URI")
    metadata_hash: str = Field(pattern=HASH32, description="digest of the document at metadata_uri (non-zero)")

    @field_validator("metadata_uri")
    @classmethod
    def _uri(cls, value: str) -> str:
        if len(value.encode("utf-8")) > MAX_URI_BYTES:
            raise ValueError(f"must be at most {MAX_URI_BYTES} bytes (UTF-8)")
        return _no_controls(value)

    @field_validator("metadata_hash")
    @classmethod
    def _hash(cls, value: str) -> str:
        return _not_zero(value, "metadata_hash")


class ProjectPublic(BaseModel):
    project_id: int
    registry_code: str
    external_id: str
    methodology: str
    country: str
    metadata_uri: str
    metadata_hash: str


class ProjectPage(BaseModel):
    items: list[ProjectPublic]
    next_cursor: str | None


def _unix(value: datetime, what: str) -> datetime:
    aware = value if value.tzinfo is not None else value.replace(tzinfo=UTC)
    if aware.timestamp() < 1:
        raise ValueError(f"{what} must be after 1970-01-01")
    return aware


class BatchCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    project_id: int = Field(ge=1, le=UINT64_MAX)
    vintage_start: datetime = Field(description="start of the monitoring period (ISO 8601 or unix seconds; UTC "
                                    "when no zone is given)")
    vintage_end: datetime = Field(description="end of the monitoring period; not after now")
    serial_start: int = Field(ge=1, le=UINT128_MAX, description="first serial number (inclusive)")
    serial_end: int = Field(ge=1, le=UINT128_MAX, description="last serial number (inclusive)")
    evidence_hash: str = Field(pattern=HASH32, description="digest of the verification evidence (non-zero)")
    holder: str | None = Field(default=None, pattern=ADDRESS,
                               description="who receives the batch; default: the service's custody account")

    @field_validator("vintage_start")
    @classmethod
    def _start(cls, value: datetime) -> datetime:
        return _unix(value, "vintage_start")

    @field_validator("vintage_end")
    @classmethod
    def _end(cls, value: datetime, info: ValidationInfo) -> datetime:
        value = _unix(value, "vintage_end")
        start = info.data.get("vintage_start")
        if start is not None and value < start:
            raise ValueError("vintage_end must not be before vintage_start")
        return value

    @field_validator("serial_end")
    @classmethod
    def _serials(cls, value: int, info: ValidationInfo) -> int:
        start = info.data.get("serial_start")
        if start is not None and value < start:
            raise ValueError("serial_end must not be below serial_start")
        return value

    @field_validator("evidence_hash")
    @classmethod
    def _evidence(cls, value: str) -> str:
        return _not_zero(value, "evidence_hash")

    @field_validator("holder")
    @classmethod
    def _holder(cls, value: str | None) -> str | None:
        return None if value is None else _not_zero(value, "holder")


class BatchAccepted(JobAccepted):
    holder: str = Field(description="who receives the credits")
    amount: int = Field(description="credits issued: serial_end - serial_start + 1")
    serial_hint: int = Field(description="the predecessor range start sent to the contract (0: head of the list)")


class BatchPublic(BaseModel):
    batch_id: int
    project_id: int
    vintage_start: datetime
    vintage_end: datetime
    issued_at: datetime
    serial_start: int
    serial_end: int
    issued: int
    retired: int
    circulating: int
    frozen: bool
    freeze_reason: int
    verifier: str
    evidence_hash: str
    in_custody: int = Field(description="credits of this batch held by the service's custody account")


class HolderPublic(BaseModel):
    address: str
    balance: int


class BatchDetail(BatchPublic):
    holders: list[HolderPublic] = Field(description="balances from the event index (may trail the chain head)")


class BatchPage(BaseModel):
    items: list[BatchPublic]
    next_cursor: str | None


class FreezeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason_code: int = Field(ge=0, le=255, description="pilot-defined reason code (0-255)")


class TransferBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_id: int = Field(ge=1, le=UINT64_MAX)
    amount: int = Field(ge=1, le=UINT128_MAX, description="credits to move out of custody")
    to: str = Field(pattern=ADDRESS, description="the receiving holder")

    @field_validator("to")
    @classmethod
    def _to(cls, value: str) -> str:
        return _not_zero(value, "to")


class RetireBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    batch_id: int = Field(ge=1, le=UINT64_MAX)
    amount: int = Field(ge=1, le=UINT128_MAX, description="credits to retire from custody")
    beneficiary_name: str | None = Field(
        default=None, min_length=1, max_length=200,
        description="who the retirement is for; kept off chain (erasable), only a keyed hash goes on chain")
    reason: str = Field(default="", max_length=MAX_REASON_BYTES,
                        description="retirement message, public on chain (at most 256 bytes UTF-8)")

    @field_validator("beneficiary_name")
    @classmethod
    def _name(cls, value: str | None) -> str | None:
        if value is None:
            return None
        if not canonical_name(_no_controls(value)):
            raise ValueError("must not be blank")
        return value

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str, info: ValidationInfo) -> str:
        if len(value.encode("utf-8")) > MAX_REASON_BYTES:
            raise ValueError(f"must be at most {MAX_REASON_BYTES} bytes (UTF-8)")
        _no_controls(value)
        name = info.data.get("beneficiary_name")
        if name and canonical_name(name).casefold() in canonical_name(value).casefold():
            raise ValueError("must not contain the beneficiary name: the reason is public on chain")
        return value


class RetirementAccepted(JobAccepted):
    beneficiary_hash: str | None = Field(description="the keyed hash recorded on chain (null: no beneficiary)")


class RetirementPublic(BaseModel):
    retirement_id: int
    batch_id: int
    amount: int
    retiree: str
    reason: str
    beneficiary_hash: str | None
    beneficiary_name: str | None = Field(description="kept off chain for retirements made through the service")
    beneficiary_erased: bool
    tx_hash: str
    block_number: int
    retired_at: datetime


class RetirementPage(BaseModel):
    items: list[RetirementPublic]
    next_cursor: str | None


class VintagePublic(BaseModel):
    vintage: int = Field(description="UTC year of the batches' vintage start")
    batches: int
    issued: int
    retired: int
    circulating: int = Field(description="issued - retired")
    frozen: int = Field(description="circulating credits of frozen batches")


class TotalsPublic(BaseModel):
    batches: int
    issued: int
    retired: int
    circulating: int
    frozen: int


class SummaryPublic(BaseModel):
    registry: str
    custody: str = Field(description="the service's custody account (transfers and retirements leave it)")
    batch_count: int
    batches_indexed: int = Field(description="batches the event index has seen (the rest were read from views)")
    retirement_count: int
    vintages: list[VintagePublic]
    totals: TotalsPublic


class ErasureReceipt(BaseModel):
    retirement_id: int
    erased: bool
    erased_at: datetime
    beneficiary_hash: str = Field(description="stays on chain; without the erased salt it links to no one")


# ----------------------------------------------------------------------------------------------------- projects

@router.post("/projects", status_code=202, response_model=JobAccepted, responses=WRITE_RESPONSES,
             summary="Register a project (admin)")
def create_project(registry: RegistryPath, body: ProjectCreate, key: Admin, chain: ChainDep, settings: SettingsDep,
                   idem: IdempotencyDep) -> JobAccepted:
    row = _find(idem.session, chain, registry, key)
    data = credits.ProjectInput(body.registry_code, body.external_id, body.methodology, body.country,
                                body.metadata_uri, body.metadata_hash)
    return accepted(credits.register_project(idem.session, idem.ref, chain, settings, key, row, data))


@router.get("/projects", response_model=ProjectPage, responses=problem_responses(400),
            summary="Projects, by id (contract views)")
def list_projects(registry: RegistryPath, key: Reader, session: SessionDep, chain: ChainDep,
                  cursor: CursorDep = None, limit: LimitQuery = 50) -> ProjectPage:
    row = _find(session, chain, registry, key)
    items, after = credits_reads.projects(chain, row.address, _id_cursor(cursor), limit)
    return ProjectPage(items=[ProjectPublic(**p) for p in items], next_cursor=None if after is None else str(after))


# ----------------------------------------------------------------------------------------------------- batches

@router.post("/batches", status_code=202, response_model=BatchAccepted, responses=WRITE_RESPONSES,
             summary="Issue a batch of credits for a serial range (verifier)")
def issue_batch(registry: RegistryPath, body: BatchCreate, key: Verifier, chain: ChainDep, settings: SettingsDep,
                idem: IdempotencyDep) -> BatchAccepted:
    row = _find(idem.session, chain, registry, key)
    holder = body.holder or credits.custody_address(chain)
    data = credits.BatchInput(body.project_id, int(body.vintage_start.timestamp()), int(body.vintage_end.timestamp()),
                              body.serial_start, body.serial_end, body.evidence_hash, holder)
    issued = credits.issue_batch(idem.session, idem.ref, chain, settings, key, row, data)
    return BatchAccepted(**accepted(issued.job).model_dump(), holder=to_checksum_address(holder), amount=issued.amount,
                         serial_hint=issued.placement.hint)


@router.get("/batches", response_model=BatchPage, responses=problem_responses(400),
            summary="Batches, by id, with supply and custody balance (contract views)")
def list_batches(registry: RegistryPath, key: Reader, session: SessionDep, chain: ChainDep,
                 cursor: CursorDep = None, limit: LimitQuery = 50) -> BatchPage:
    row = _find(session, chain, registry, key)
    items, after = credits_reads.batches(chain, row.address, _id_cursor(cursor), limit)
    return BatchPage(items=[BatchPublic(**b) for b in items], next_cursor=None if after is None else str(after))


@router.get("/batches/{batch_id}", response_model=BatchDetail, summary="One batch, with its holders")
def read_batch(registry: RegistryPath, batch_id: BatchId, key: Reader, session: SessionDep,
               chain: ChainDep) -> BatchDetail:
    row = _find(session, chain, registry, key)
    data = credits_reads.batch(chain, row.address, batch_id)
    held = credits_reads.holders(session.get_bind(), chain, row.address, batch_id)  # type: ignore[arg-type]
    return BatchDetail(**data, holders=[HolderPublic(address=a, balance=b) for a, b in held.items()])


@router.post("/batches/{batch_id}/freeze", status_code=202, response_model=JobAccepted, responses=WRITE_RESPONSES,
             summary="Freeze a batch under investigation (verifier)")
def freeze_batch(registry: RegistryPath, batch_id: BatchId, body: FreezeBody, key: Verifier, chain: ChainDep,
                 settings: SettingsDep, idem: IdempotencyDep) -> JobAccepted:
    row = _find(idem.session, chain, registry, key)
    return accepted(credits.set_frozen(idem.session, idem.ref, chain, settings, key, row, batch_id, body.reason_code,
                                       True))


@router.post("/batches/{batch_id}/unfreeze", status_code=202, response_model=JobAccepted, responses=WRITE_RESPONSES,
             summary="Release a frozen batch (admin: never the verifier that issued it)")
def unfreeze_batch(registry: RegistryPath, batch_id: BatchId, body: FreezeBody, key: Admin, chain: ChainDep,
                   settings: SettingsDep, idem: IdempotencyDep) -> JobAccepted:
    row = _find(idem.session, chain, registry, key)
    return accepted(credits.set_frozen(idem.session, idem.ref, chain, settings, key, row, batch_id, body.reason_code,
                                       False))


# -------------------------------------------------------------------------------------- transfers, retirements

@router.post("/transfers", status_code=202, response_model=JobAccepted, responses=WRITE_RESPONSES,
             summary="Transfer credits out of the service's custody (admin)")
def create_transfer(registry: RegistryPath, body: TransferBody, key: Admin, chain: ChainDep, settings: SettingsDep,
                    idem: IdempotencyDep) -> JobAccepted:
    row = _find(idem.session, chain, registry, key)
    return accepted(credits.transfer(idem.session, idem.ref, chain, settings, key, row, body.batch_id, body.amount,
                                     body.to))


@router.post("/retirements", status_code=202, response_model=RetirementAccepted, responses=WRITE_RESPONSES,
             summary="Retire credits held in custody, for a named beneficiary (admin)")
def create_retirement(registry: RegistryPath, body: RetireBody, key: Admin, chain: ChainDep, settings: SettingsDep,
                      idem: IdempotencyDep) -> RetirementAccepted:
    row = _find(idem.session, chain, registry, key)
    job, value = credits.retire(idem.session, idem.ref, chain, settings, key, row, body.batch_id, body.amount,
                                body.beneficiary_name, body.reason)
    return RetirementAccepted(**accepted(job).model_dump(), beneficiary_hash=value if int(value, 16) else None)


@router.get("/retirements", response_model=RetirementPage, responses=problem_responses(400),
            summary="Retirements from the event index (oldest first, or newest with order=desc)")
def list_retirements(registry: RegistryPath, key: Reader, session: SessionDep, chain: ChainDep,
                     cursor: CursorDep = None, limit: LimitQuery = 50,
                     order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc") -> RetirementPage:
    row = _find(session, chain, registry, key)
    after = None if cursor is None else Cursor.of(*cursor.pair())
    items, next_cursor = credits_reads.retirements(session, session.get_bind(), chain,  # type: ignore[arg-type]
                                                   row.address, after, limit, order == "desc")
    return RetirementPage(items=[RetirementPublic(**r) for r in items], next_cursor=next_cursor)


@router.delete("/retirements/{retirement_id}/beneficiary", response_model=ErasureReceipt,
               summary="Erase the readable beneficiary name of a retirement (admin); the chain keeps only the hash")
def erase_beneficiary(registry: RegistryPath,
                      retirement_id: Annotated[int, Path(ge=1, le=UINT64_MAX)], key: Admin, session: SessionDep,
                      chain: ChainDep) -> ErasureReceipt:
    row = _find(session, chain, registry, key)
    kept = credits_reads.kept_name_row(session, session.get_bind(), chain, row.address,  # type: ignore[arg-type]
                                       retirement_id)
    if kept.erased_at is None:
        kept.display_name = None
        kept.salt = None
        kept.erased_at = utcnow()
        session.commit()
    assert kept.erased_at is not None
    return ErasureReceipt(retirement_id=retirement_id, erased=True, erased_at=kept.erased_at,
                          beneficiary_hash=kept.beneficiary_hash)


# ----------------------------------------------------------------------------------------------------- summary

@router.get("/summary", response_model=SummaryPublic,
            summary="Issued, retired, circulating and frozen credits per vintage")
def read_summary(registry: RegistryPath, key: Reader, session: SessionDep, chain: ChainDep) -> SummaryPublic:
    row = _find(session, chain, registry, key)
    return SummaryPublic(**credits_reads.summary(session.get_bind(), chain, row.address))  # type: ignore[arg-type]


# --------------------------------------------------------------------------------------------------- allowlist

class AllowlistEnabledBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    enabled: bool = Field(description="when on, only allowlisted holders may receive credits")


class AllowlistBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    holders: list[Annotated[str, Field(pattern=ADDRESS)]] = Field(min_length=1, max_length=200)
    allowed: bool

    @field_validator("holders")
    @classmethod
    def _holders(cls, value: list[str]) -> list[str]:
        for holder in value:
            _not_zero(holder, "a holder")
        if len({h.lower() for h in value}) != len(value):
            raise ValueError("holders must not repeat")
        return value


@router.post("/allowlist/enabled", status_code=202, response_model=JobAccepted, responses=WRITE_RESPONSES,
             summary="Switch the holder allowlist on or off (admin)")
def set_allowlist_enabled(registry: RegistryPath, body: AllowlistEnabledBody, key: Admin, chain: ChainDep,
                          settings: SettingsDep, idem: IdempotencyDep) -> JobAccepted:
    row = _find(idem.session, chain, registry, key)
    return accepted(credits.set_allowlist_enabled(idem.session, idem.ref, chain, settings, key, row, body.enabled))


@router.post("/allowlist", status_code=202, response_model=JobAccepted, responses=WRITE_RESPONSES,
             summary="Add holders to, or remove them from, the allowlist (admin)")
def set_allowlisted(registry: RegistryPath, body: AllowlistBody, key: Admin, chain: ChainDep, settings: SettingsDep,
                    idem: IdempotencyDep) -> JobAccepted:
    row = _find(idem.session, chain, registry, key)
    return accepted(credits.set_allowlisted(idem.session, idem.ref, chain, settings, key, row, body.holders,
                                            body.allowed))
