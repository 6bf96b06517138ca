"""Public eco-credit pages (no API key): `GET /v1/public/credit-registries/{registry}/retirements/{retirement_id}`.

The retirement record anyone can check: what was retired (batch, project, vintage, amount), for whom (the
readable name the service keeps off chain, unless erased), why, and the transaction that did it. Nothing else:
no job ids, API keys, salts or hash keys.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Response
from pydantic import BaseModel, Field

from pilotkit_backend.api.deps import ChainDep, SessionDep
from pilotkit_backend.core.problems import problem_responses
from pilotkit_backend.kinds.credits.contract import CREDITS_REGISTRY
from pilotkit_backend.kinds.credits.services import reads as credits_reads
from pilotkit_backend.platform import registry as registered

router = APIRouter(prefix="/v1/public/credit-registries", tags=["public"], responses=problem_responses(404))

CACHE_SECONDS = 30


class PublicProject(BaseModel):
    project_id: int
    registry_code: str
    external_id: str
    methodology: str
    country: str
    metadata_uri: str


class PublicRetirement(BaseModel):
    """A permanent retirement of eco-credits, as recorded on chain."""

    retirement_id: int
    registry: str
    batch_id: int
    project: PublicProject
    vintage_start: datetime
    vintage_end: datetime
    amount: int = Field(description="credits retired (one credit = one serial number, typically 1 t CO2e)")
    retiree: str = Field(description="the holder whose credits were burned")
    reason: str
    beneficiary_hash: str | None = Field(description="the keyed hash recorded on chain (null: none)")
    beneficiary_name: str | None = Field(description="who it is for (kept off chain; null if none or erased)")
    beneficiary_erased: bool
    retired_at: datetime
    tx_hash: str | None = Field(description="null until the event index has seen the retirement")
    block_number: int | None


@router.get("/{registry}/retirements/{retirement_id}", response_model=PublicRetirement,
            summary="A retirement record, for anyone (no API key)")
def public_retirement(
    registry: Annotated[str, Path(max_length=42)],
    retirement_id: Annotated[int, Path(ge=1, le=2**64 - 1)],
    session: SessionDep,
    chain: ChainDep,
    response: Response,
) -> PublicRetirement:
    row = registered.find(session, chain, CREDITS_REGISTRY, registry)
    data = credits_reads.public_retirement(session, session.get_bind(), chain, row.address,  # type: ignore[arg-type]
                                           retirement_id)
    response.headers["Cache-Control"] = f"public, max-age={CACHE_SECONDS}"
    return PublicRetirement(**data)
