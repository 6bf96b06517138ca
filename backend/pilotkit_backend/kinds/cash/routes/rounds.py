"""Disbursement rounds of a cash programme: propose, store a claim round's Merkle cap, approve (another key),
cancel, pay (push batches, single payments, relayed claims), sweep; read rounds with their progress; serve
claim proofs.

`{round_id}` is the service's round id (answered by the proposal; `chain_round_id` is the contract's, known
once the proposal is mined). Writes answer 202 with their job(s); poll `GET /v1/jobs/{id}`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from pilotkit_backend.api.deps import (
    ChainDep,
    CurrentKey,
    IdempotencyDep,
    SessionDep,
    SettingsDep,
    bound_to,
    require_scope,
)
from pilotkit_backend.api.pagination import CursorDep
from pilotkit_backend.api.routing import IDEMPOTENT_RESPONSES, IdempotentRoute
from pilotkit_backend.core.problems import Unprocessable, problem_responses
from pilotkit_backend.kinds.cash.contract import PROGRAMME
from pilotkit_backend.kinds.cash.models.rounds import CashRound, RoundKind
from pilotkit_backend.kinds.cash.services import rounds as cash_rounds
from pilotkit_backend.kinds.cash.services import rounds_pay as cash_rounds_pay
from pilotkit_backend.kinds.cash.services.rounds_chain import round_view
from pilotkit_backend.platform import registry
from pilotkit_backend.platform.auth import AuthenticatedKey
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.models.access import Scope
from pilotkit_backend.platform.models.jobs import Job
from pilotkit_backend.platform.models.registry import RegisteredContract
from pilotkit_backend.platform.writes import JobAccepted, JobsAccepted, accepted

router = APIRouter(prefix="/v1/programmes/{programme}/rounds", tags=["cash rounds"], route_class=IdempotentRoute,
                   dependencies=[bound_to("programme", "programme")], responses=problem_responses(401, 404, 429))

READERS = (Scope.auditor, Scope.disburser, Scope.approver, Scope.registrar, Scope.admin)
Reader = Annotated[AuthenticatedKey, require_scope(*READERS)]
Disburser = Annotated[AuthenticatedKey, require_scope(Scope.disburser)]
Approver = Annotated[AuthenticatedKey, require_scope(Scope.approver)]
DisburserOrApprover = Annotated[AuthenticatedKey, require_scope(Scope.disburser, Scope.approver)]
UINT32 = 2**32
Amount = Annotated[int, Field(gt=0, lt=2**88, description="token base units (integer or decimal string)")]
Index = Annotated[int, Field(ge=1, lt=2**64, description="beneficiary index")]
RoundId = Annotated[int, Path(ge=1, le=2**63 - 1, description="the service's round id (from the proposal)")]
IndexPath = Annotated[int, Path(ge=1, lt=2**64, description="beneficiary index")]


class Entitlement(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: Index
    amount: Amount


class ProposeRound(BaseModel):
    """A round to propose. Exactly one of `amount_per_beneficiary` and `entitlements`."""

    model_config = ConfigDict(extra="forbid")

    mode: Literal["push", "claim"] = Field(description="push: the service pays in batches; claim: beneficiaries "
                                                       "claim with a Merkle proof (relayed with their signature)")
    amount_per_beneficiary: Amount | None = None
    entitlements: list[Entitlement] | None = Field(default=None, max_length=100_000,
                                                   description="per-beneficiary amounts")
    starts_at: AwareDatetime = Field(description="first second payments are accepted (or unix seconds)")
    ends_at: AwareDatetime = Field(description="payments stop; the rest can be swept; the window lies in one cap "
                                               "period")
    beneficiaries: Literal["all-active"] | list[Index] | None = Field(
        default=None, description="with amount_per_beneficiary: all-active (default) or a list of indexes")
    claim_cap: int | None = Field(
        default=None, ge=2, le=1024,
        description="mode claim only: build the tree with a Merkle cap of this many nodes (a power of two, 2 to "
                    "1024); store it with POST .../claim-cap before approval, then claims carry shorter proofs")
    include_suspended: bool = Field(
        default=False,
        description="mode claim only, with listed beneficiaries or entitlements: the list may name suspended "
                    "beneficiaries (their leaves are in the tree; the contract lets them claim once reinstated "
                    "within the window); removed ones are always refused")


class RoundJobs(BaseModel):
    propose: str
    funding: str | None
    approve: str | None
    cancel: str | None
    sweep: str | None
    claim_cap: list[str] = Field(default_factory=list, description="the setClaimCap jobs (claim rounds with a cap)")


class RoundPublic(BaseModel):
    """A round. Amounts are decimal strings of token base units; chain fields are null until proposal is mined."""

    id: int
    chain_round_id: int | None
    programme: str
    mode: Literal["push", "claim"]
    kind: RoundKind
    state: str = Field(description="proposing (proposal not mined), proposal_failed, or the contract's status: "
                                   "proposed, approved, cancelled, closed")
    amount: str = Field(description="flat amount, or the largest entitlement")
    budget: str
    paid: str | None
    remaining: str | None
    swept: str | None
    starts_at: datetime
    ends_at: datetime
    beneficiaries: int
    root: str | None
    claim_cap: int | None = Field(description="the Merkle cap the plan declares (claim rounds; null: none)")
    claim_cap_stored: bool | None = Field(description="whether the contract holds that cap (null: no cap or the "
                                                      "proposal is not mined)")
    plan_hash: str
    funder: str
    proposer_key_label: str
    approver_key_label: str | None
    jobs: RoundJobs
    created_at: datetime


class RoundDetail(RoundPublic):
    progress: dict[str, Any] = Field(description="payment jobs by status, beneficiaries they cover, failures with "
                                                 "their error names")


class RoundPage(BaseModel):
    items: list[RoundPublic]
    next_cursor: str | None


class RoundProposalAccepted(JobAccepted):
    round_id: int
    round_url: str
    budget: str
    beneficiaries: int
    plan_hash: str
    root: str | None


class DisburseAccepted(JobsAccepted):
    beneficiaries_queued: int = Field(description="beneficiaries the new jobs pay (0: everything is queued already)")


class PayOne(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: Index


class RelayClaim(BaseModel):
    model_config = ConfigDict(extra="forbid")

    index: Index
    amount: Amount
    deadline: int = Field(ge=0, lt=2**64, description="unix seconds, as signed")
    signature: str = Field(min_length=4, max_length=2050, description="0x-hex EIP-712 signature by the wallet")


class ClaimInfo(BaseModel):
    round_id: int
    chain_round_id: int
    index: int
    amount: str
    proof: list[str]
    root: str | None
    deadline: int
    cap_size: int = Field(description="the claim cap the contract holds (1: none); the proof goes up to a cap "
                                      "node when it is above 1, else to the root")
    opens_at: int
    closes_at: int
    paid: bool
    typed_data: dict[str, Any] = Field(description="EIP-712 typed data for the wallet to sign (eth_signTypedData_v4)")
    digest: str


def _programme(session: Any, chain: ChainContext, programme: str, key: AuthenticatedKey) -> RegisteredContract:
    return registry.find(session, chain, PROGRAMME, programme, key)


def _round(session: Any, chain: ChainContext, programme: str, round_id: int, key: AuthenticatedKey) -> CashRound:
    row = _programme(session, chain, programme, key)
    return cash_rounds.get_round(session, chain, row.address, round_id)


def round_public(session: Any, chain: ChainContext, row: CashRound, detail: bool = False) -> RoundPublic:
    chain_id = cash_rounds.resolve_chain_id(session, chain, row)
    paid = remaining = swept = None
    cap = cash_rounds.plan_of(row).cap_size
    cap_stored = None
    if chain_id is not None:
        view = round_view(chain, row.programme, chain_id)
        state, paid, remaining, swept = view.status, str(view.paid), str(view.remaining), str(view.swept)
        cap_stored = view.cap_size == cap if cap > 1 else None
    else:
        job = session.get(Job, row.propose_job_id)
        state = "proposal_failed" if job is not None and job.status in cash_rounds.DEAD else "proposing"
    fields: dict[str, Any] = dict(
        id=row.id, chain_round_id=chain_id, programme=row.programme,
        mode="claim" if row.round_kind is RoundKind.merkle_claim else "push", kind=row.round_kind, state=state,
        amount=row.amount, budget=row.budget, paid=paid, remaining=remaining, swept=swept,
        starts_at=datetime.fromtimestamp(row.opens_at, UTC), ends_at=datetime.fromtimestamp(row.closes_at, UTC),
        beneficiaries=row.beneficiary_count, root=row.root, claim_cap=cap if cap > 1 else None,
        claim_cap_stored=cap_stored, plan_hash=row.plan_hash, funder=row.funder,
        proposer_key_label=row.proposer_label, approver_key_label=row.approver_label,
        jobs=RoundJobs(propose=row.propose_job_id, funding=row.funding_job_id, approve=row.approve_job_id,
                       cancel=row.cancel_job_id, sweep=row.sweep_job_id, claim_cap=cash_rounds.cap_jobs(row)),
        created_at=row.created_at)
    if detail:
        return RoundDetail(**fields, progress=cash_rounds.progress(session, row))
    return RoundPublic(**fields)


def _seconds(value: datetime, what: str) -> int:
    seconds = int(value.timestamp())
    if not 0 < seconds < UINT32:
        raise Unprocessable(f"{what} must fall between 1970 and 2106 (a uint32 of unix seconds)")
    return seconds


@router.post("", status_code=202, response_model=RoundProposalAccepted, responses=IDEMPOTENT_RESPONSES,
             summary="Propose a round (disburser); the server builds the plan, its hash and Merkle root")
def propose_round(programme: str, body: ProposeRound, key: Disburser, session: SessionDep, chain: ChainDep,
                  settings: SettingsDep, idem: IdempotencyDep) -> RoundProposalAccepted:
    row = _programme(idem.session, chain, programme, key)
    plan = cash_rounds.build_plan(
        session.get_bind(), chain, row.address, body.mode, body.amount_per_beneficiary,  # type: ignore[arg-type]
        [(e.index, e.amount) for e in body.entitlements] if body.entitlements is not None else None,
        body.beneficiaries, body.claim_cap, body.include_suspended)
    created, job = cash_rounds.propose(idem.session, chain, settings, row.address, plan,
                                       _seconds(body.starts_at, "starts_at"), _seconds(body.ends_at, "ends_at"),
                                       key, idem.ref)
    return RoundProposalAccepted(**accepted(job).model_dump(), round_id=created.id,
                                 round_url=f"/v1/programmes/{row.address}/rounds/{created.id}",
                                 budget=created.budget, beneficiaries=created.beneficiary_count,
                                 plan_hash=created.plan_hash, root=created.root)


@router.get("", response_model=RoundPage, summary="The programme's rounds proposed through the API, newest first")
def list_rounds(
    programme: str,
    key: Reader,
    session: SessionDep,
    chain: ChainDep,
    cursor: CursorDep = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> RoundPage:
    row = _programme(session, chain, programme, key)
    rows = cash_rounds.list_rounds(session, chain, row.address, cursor.id() if cursor else None, limit + 1)
    items = [round_public(session, chain, r) for r in rows[:limit]]
    session.commit()  # chain round ids learnt from receipts
    return RoundPage(items=items, next_cursor=str(rows[limit - 1].id) if len(rows) > limit else None)


@router.get("/{round_id}", response_model=RoundDetail, summary="A round: state, keys, budget, paid, job progress")
def read_round(programme: str, round_id: RoundId, key: Reader, session: SessionDep, chain: ChainDep) -> RoundPublic:
    result = round_public(session, chain, _round(session, chain, programme, round_id, key), detail=True)
    session.commit()
    return result


@router.post("/{round_id}/claim-cap", status_code=202, response_model=JobsAccepted, responses=IDEMPOTENT_RESPONSES,
             summary="Store a claim round's declared Merkle cap on chain (disburser; before approval)")
def store_claim_cap(programme: str, round_id: RoundId, key: Disburser, chain: ChainDep, settings: SettingsDep,
                    idem: IdempotencyDep) -> JobsAccepted:
    """Queues `setClaimCap` (one job per 250 nodes, in order) once the proposal is mined; approval waits until
    the contract holds the cap (409 before)."""
    row = _round(idem.session, chain, programme, round_id, key)
    jobs = cash_rounds.store_claim_cap(idem.session, chain, settings, row, key, idem.ref)
    return JobsAccepted(jobs=[accepted(j) for j in jobs])


@router.post("/{round_id}/approve", status_code=202, response_model=JobsAccepted, responses=IDEMPOTENT_RESPONSES,
             summary="Approve and fund a round (approver; never the key that proposed it)")
def approve_round(programme: str, round_id: RoundId, key: Approver, chain: ChainDep, settings: SettingsDep,
                  idem: IdempotencyDep) -> JobsAccepted:
    row = _round(idem.session, chain, programme, round_id, key)
    jobs = cash_rounds.approve(idem.session, chain, settings, row, key, idem.ref)
    return JobsAccepted(jobs=[accepted(j) for j in jobs])


@router.post("/{round_id}/cancel", status_code=202, response_model=JobAccepted, responses=IDEMPOTENT_RESPONSES,
             summary="Cancel (disburser) or reject (approver) a proposed round")
def cancel_round(programme: str, round_id: RoundId, key: DisburserOrApprover, chain: ChainDep, settings: SettingsDep,
                 idem: IdempotencyDep) -> JobAccepted:
    row = _round(idem.session, chain, programme, round_id, key)
    return accepted(cash_rounds.cancel(idem.session, chain, settings, row, key, idem.ref))


@router.post("/{round_id}/disburse", status_code=202, response_model=DisburseAccepted, responses=IDEMPOTENT_RESPONSES,
             summary="Push-pay every planned, active beneficiary not yet queued: one job per batch of up to 250")
def disburse_round(programme: str, round_id: RoundId, key: Disburser, session: SessionDep, chain: ChainDep,
                   settings: SettingsDep, idem: IdempotencyDep) -> DisburseAccepted:
    row = _round(idem.session, chain, programme, round_id, key)
    jobs, count = cash_rounds_pay.disburse(idem.session, session.get_bind(), chain, settings, row,  # type: ignore
                                           key, idem.ref)
    return DisburseAccepted(jobs=[accepted(j) for j in jobs], beneficiaries_queued=count)


@router.post("/{round_id}/payments", status_code=202, response_model=JobAccepted, responses=IDEMPOTENT_RESPONSES,
             summary="Pay one beneficiary of a flat push round (one job)")
def pay_one(programme: str, round_id: RoundId, body: PayOne, key: Disburser, chain: ChainDep, settings: SettingsDep,
            idem: IdempotencyDep) -> JobAccepted:
    row = _round(idem.session, chain, programme, round_id, key)
    return accepted(cash_rounds_pay.pay_one(idem.session, chain, settings, row, body.index, key, idem.ref))


@router.post("/{round_id}/sweep", status_code=202, response_model=JobAccepted, responses=IDEMPOTENT_RESPONSES,
             summary="Return a closed round's unpaid budget to its funder")
def sweep_round(programme: str, round_id: RoundId, key: DisburserOrApprover, chain: ChainDep, settings: SettingsDep,
                idem: IdempotencyDep) -> JobAccepted:
    row = _round(idem.session, chain, programme, round_id, key)
    return accepted(cash_rounds.sweep(idem.session, chain, settings, row, key, idem.ref))


@router.get("/{round_id}/claims/{index}", response_model=ClaimInfo,
            summary="A beneficiary's claim: amount, Merkle proof and the EIP-712 typed data to sign (any key of "
                    "the programme)")
def read_claim(
    programme: str,
    round_id: RoundId,
    index: IndexPath,
    key: CurrentKey,
    session: SessionDep,
    chain: ChainDep,
    deadline: Annotated[int | None, Query(ge=0, lt=2**64, description="default: the round's end")] = None,
) -> ClaimInfo:
    row = _round(session, chain, programme, round_id, key)
    info = cash_rounds_pay.claim_info(session, chain, row, index, deadline)
    session.commit()
    return ClaimInfo(**info)


@router.post("/{round_id}/claims", status_code=202, response_model=JobAccepted, responses=IDEMPOTENT_RESPONSES,
             summary="Relay a beneficiary's signed claim (the service pays the gas; funds go to the wallet)")
def relay_claim(programme: str, round_id: RoundId, body: RelayClaim, key: Disburser, chain: ChainDep,
                settings: SettingsDep, idem: IdempotencyDep) -> JobAccepted:
    row = _round(idem.session, chain, programme, round_id, key)
    return accepted(cash_rounds_pay.relay_claim(idem.session, chain, settings, row, body.index, body.amount,
                                                body.deadline, body.signature, key, idem.ref))
