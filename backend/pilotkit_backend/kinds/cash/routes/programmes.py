"""Cash programmes: the ones a key may see, one programme's overview, and its disbursements over time.

`GET /v1/programmes` (any key; a bound key sees its own), `GET /v1/programmes/{programme}` and
`GET /v1/programmes/{programme}/disbursements?bucket=hour|day` (auditor, disburser, approver, registrar, admin).
Totals and history come from the event index; money held comes from the contract's views.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from pilotkit_backend.api.deps import ChainDep, CurrentKey, SessionDep, bound_to, require_scope
from pilotkit_backend.core.problems import Unprocessable, problem_responses
from pilotkit_backend.kinds.cash.contract import PROGRAMME
from pilotkit_backend.kinds.cash.services import overview as cash_overview
from pilotkit_backend.platform import registry
from pilotkit_backend.platform.auth import AuthenticatedKey
from pilotkit_backend.platform.models.access import Scope

router = APIRouter(prefix="/v1/programmes", tags=["cash programmes"], responses=problem_responses(401, 429))

READERS = (Scope.auditor, Scope.disburser, Scope.approver, Scope.registrar, Scope.admin)
Reader = Annotated[AuthenticatedKey, require_scope(*READERS)]


class ProgrammePublic(BaseModel):
    address: str
    label: str
    chain_id: int
    binding: str
    created_at: datetime


class TokenPublic(BaseModel):
    address: str
    symbol: str | None
    decimals: int | None


class RoundsSummary(BaseModel):
    total: int
    by_status: dict[str, int] = Field(description="proposed, approved (funded, not swept), cancelled, closed")


class OverviewPublic(BaseModel):
    """A programme's money and people. Amounts are decimal strings of token base units."""

    address: str
    label: str
    token: TokenPublic
    voucher_mode: bool
    paused: bool
    period_length: int = Field(description="seconds in one cap period")
    period_cap: str = Field(description="most one beneficiary may receive per period")
    funded: str = Field(description="budgets pulled from funders by approved rounds")
    paid: str = Field(description="paid (or credited as vouchers) to beneficiaries, from the index")
    unclaimed: str = Field(description="funded, not yet paid and not swept: held for approved rounds")
    swept: str = Field(description="returned to funders after rounds closed")
    redeemed: str | None = Field(description="voucher mode: paid out to merchants")
    beneficiaries: int = Field(description="enrolled, from the index")
    beneficiaries_on_chain: int = Field(description="beneficiaryCount() now (more than `beneficiaries` while the "
                                                    "index catches up)")
    beneficiaries_by_status: dict[str, int]
    rounds: RoundsSummary


class DisbursementPoint(BaseModel):
    start: datetime = Field(description="start of the hour or day (UTC)")
    amount: str
    payments: int


class DisbursementSeries(BaseModel):
    bucket: Literal["hour", "day"]
    points: list[DisbursementPoint]


@router.get("", response_model=list[ProgrammePublic], summary="Cash programmes this key may see")
def list_programmes(key: CurrentKey, session: SessionDep, chain: ChainDep) -> list[ProgrammePublic]:
    return [ProgrammePublic(address=r.address, label=r.label, chain_id=r.chain_id, binding=f"programme:{r.address}",
                            created_at=r.created_at)
            for r in registry.visible(session, chain, PROGRAMME, key)]


@router.get("/{programme}", response_model=OverviewPublic, responses=problem_responses(403, 404),
            dependencies=[bound_to("programme", "programme")],
            summary="A programme's overview: token, money, beneficiaries and rounds by status")
def programme_overview(programme: str, key: Reader, session: SessionDep, chain: ChainDep) -> OverviewPublic:
    row = registry.find(session, chain, PROGRAMME, programme, key)
    data: dict[str, Any] = cash_overview.overview(session.get_bind(), chain, row.address)  # type: ignore[arg-type]
    return OverviewPublic(label=row.label, **data)


@router.get("/{programme}/disbursements", response_model=DisbursementSeries, responses=problem_responses(403, 404),
            dependencies=[bound_to("programme", "programme")],
            summary="Amounts paid per hour or day (chart data), from the index")
def programme_disbursements(
    programme: str,
    key: Reader,
    session: SessionDep,
    chain: ChainDep,
    bucket: Annotated[Literal["hour", "day"], Query()] = "day",
    since: Annotated[datetime | None, Query(description="only payments from this time on")] = None,
    until: Annotated[datetime | None, Query(description="only payments before this time")] = None,
) -> DisbursementSeries:
    row = registry.find(session, chain, PROGRAMME, programme, key)
    for value in (since, until):
        if value is not None and value.tzinfo is None:
            raise Unprocessable("since and until need a time zone (e.g. 2026-01-01T00:00:00Z)")
    points = cash_overview.disbursements(session.get_bind(), chain, row.address, bucket,  # type: ignore[arg-type]
                                         int(since.timestamp()) if since else None,
                                         int(until.timestamp()) if until else None)
    return DisbursementSeries(bucket=bucket, points=[DisbursementPoint(**p) for p in points])
