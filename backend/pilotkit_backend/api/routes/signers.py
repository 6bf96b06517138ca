"""`GET /v1/signers` (admin, auditor): the service's signers, their contract roles, gas money and nonce state.

What an operator needs to finish the set-up of a real network: which address signs for which service role,
which role it still lacks on which registered contract (grant them with `pilotkit roles grant`), whether it
can pay for gas, and whether the chain's nonce agrees with the service's counter. Never a key or a secret.
A key bound to one object sees the roles on that contract only.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field

from pilotkit_backend.api.deps import ChainDep, SessionDep, SettingsDep, require_scope
from pilotkit_backend.core.problems import problem_responses
from pilotkit_backend.platform import registry
from pilotkit_backend.platform.auth import AuthenticatedKey
from pilotkit_backend.platform.models.access import Scope
from pilotkit_backend.platform.signers import SignerState, signer_states, warnings_for

router = APIRouter(prefix="/v1", tags=["operations"], responses=problem_responses(401, 403, 429, 503))

Reader = Annotated[AuthenticatedKey, require_scope(Scope.admin, Scope.auditor)]


class RolePublic(BaseModel):
    contract: str = Field(description="registered contract address")
    kind: str
    label: str
    role: str = Field(description="the contract's role constant, e.g. DISBURSER_ROLE")
    held: bool


class NoncePublic(BaseModel):
    chain_latest: int = Field(description="transactions of this address mined (eth_getTransactionCount latest)")
    chain_pending: int = Field(description="the same including the node's pending pool")
    service_next: int | None = Field(description="the next nonce the service's sender will use; null before its "
                                     "first transaction from this address")
    in_sync: bool = Field(description="the service's counter is not behind the chain (someone else sending from "
                          "this address makes it fall behind)")


class SignerPublic(BaseModel):
    address: str
    signing_roles: list[str] = Field(description="the service roles this address signs for")
    balance_wei: str = Field(description="native balance in wei, as a decimal string")
    low_balance: bool
    nonce: NoncePublic
    roles: list[RolePublic]
    missing_roles: int


class SignersPublic(BaseModel):
    chain_id: int
    low_balance_wei: str = Field(description="the warning threshold (setting signer_low_balance_wei); 0: off")
    signers: list[SignerPublic]
    warnings: list[str]


def _public(state: SignerState, low: int) -> SignerPublic:
    service = state.service_next_nonce
    return SignerPublic(
        address=state.address, signing_roles=state.signing_roles, balance_wei=str(state.balance_wei),
        low_balance=low > 0 and state.balance_wei < low,
        nonce=NoncePublic(chain_latest=state.chain_nonce_latest, chain_pending=state.chain_nonce_pending,
                          service_next=service, in_sync=service is None or service >= state.chain_nonce_latest),
        roles=[RolePublic(contract=r.contract, kind=r.kind, label=r.label, role=r.role, held=r.held)
               for r in state.roles],
        missing_roles=len(state.missing),
    )


@router.get("/signers", response_model=SignersPublic,
            summary="The service's signers: addresses, roles per registered contract, balance, nonce state")
async def list_signers(key: Reader, session: SessionDep, chain: ChainDep, settings: SettingsDep) -> SignersPublic:
    def read() -> SignersPublic:
        rows = registry.visible(session, chain, None, key)
        states = signer_states(chain, session, rows)
        low = settings.signer_low_balance_wei
        return SignersPublic(chain_id=chain.chain_id, low_balance_wei=str(low),
                             signers=[_public(s, low) for s in states], warnings=warnings_for(states, low))

    return await run_in_threadpool(read)
