"""The service's signers as an operator sees them: addresses, contract roles held and missing, gas money, nonces.

`role_status(chain, rows)` lists, for each registered contract, every role its kind declares the service needs
(`ContractType.roles`), the signer that must hold it and whether it does (`hasRole` on chain). `signer_states`
adds each distinct signer's balance and nonce state: the chain's count of mined (`latest`) and known
(`pending`) transactions against the service's own counter (`signer_nonces`, the next nonce the sender hands
out). `health_warnings` turns both into the warnings `GET /health` shows (never a failure): a signer below the
`signer_low_balance_wei` setting, a role not granted. Used by `GET /v1/signers` and `pilotkit roles`.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eth_utils import to_checksum_address
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilotkit_backend.platform import contract_types
from pilotkit_backend.platform.bootstrap import role_id
from pilotkit_backend.platform.models.jobs import SignerNonce
from pilotkit_backend.platform.models.registry import RegisteredContract

if TYPE_CHECKING:
    from pilotkit_backend.platform.chain_context import ChainContext


@dataclass(frozen=True)
class RoleState:
    """One role the service needs on one registered contract."""

    contract: str  # checksummed address
    kind: str  # contract type value ("programme", ...)
    label: str
    role: str  # role constant ("DISBURSER_ROLE")
    signing_role: str  # the service role whose signer must hold it ("disburser")
    holder: str  # that signer's address
    held: bool


@dataclass
class SignerState:
    """One distinct signer address of the service."""

    address: str
    signing_roles: list[str]
    balance_wei: int
    chain_nonce_latest: int
    chain_nonce_pending: int
    service_next_nonce: int | None  # None: the sender has not sent from it yet
    roles: list[RoleState] = field(default_factory=list)

    @property
    def missing(self) -> list[RoleState]:
        return [r for r in self.roles if not r.held]


def role_status(chain: ChainContext, rows: Iterable[RegisteredContract]) -> list[RoleState]:
    """Every role the service needs on each of `rows`, its holder and whether it is granted."""
    states: list[RoleState] = []
    for row in rows:
        declared = contract_types.get(row.kind)
        for role, signing_role in declared.roles:
            holder = chain.signer_for(signing_role).address
            held = bool(chain.call(row.address, declared.contract_name, "hasRole", role_id(role), holder))
            states.append(RoleState(row.address, row.kind, row.label, role, signing_role, holder, held))
    return states


def registered(session: Session, chain: ChainContext) -> list[RegisteredContract]:
    return list(session.scalars(select(RegisteredContract).where(RegisteredContract.chain_id == chain.chain_id)
                                .order_by(RegisteredContract.created_at, RegisteredContract.address)))


def signer_states(chain: ChainContext, session: Session, rows: Sequence[RegisteredContract]) -> list[SignerState]:
    """Each distinct signer with its roles (from `role_status` over `rows`), balance and nonce state."""
    counters = {n.signer.lower(): int(n.next_nonce) for n in session.scalars(
        select(SignerNonce).where(SignerNonce.chain_id == chain.chain_id))}
    by_address: dict[str, list[str]] = {}
    for role, signer in chain.signers.items():
        by_address.setdefault(to_checksum_address(signer.address), []).append(role)
    eth = chain.web3.eth
    states = {address: SignerState(
        address=address, signing_roles=sorted(roles), balance_wei=int(eth.get_balance(address)),
        chain_nonce_latest=int(eth.get_transaction_count(address, "latest")),
        chain_nonce_pending=int(eth.get_transaction_count(address, "pending")),
        service_next_nonce=counters.get(address.lower()),
    ) for address, roles in by_address.items()}
    for state in role_status(chain, rows):
        states[to_checksum_address(state.holder)].roles.append(state)
    return list(states.values())


def warnings_for(states: Sequence[SignerState], low_balance_wei: int) -> list[str]:
    """What an operator should fix soon (no secret, no personal data): low gas money, roles not granted."""
    found: list[str] = []
    for state in states:
        roles = ", ".join(state.signing_roles)
        if low_balance_wei > 0 and state.balance_wei < low_balance_wei:
            found.append(f"signer {state.address} ({roles}) is low on gas money: {state.balance_wei} wei, "
                         f"below {low_balance_wei}")
        for missing in state.missing:
            found.append(f"signer {state.address} lacks {missing.role} on {missing.kind} {missing.contract}; "
                         "grant it with `pilotkit roles grant`")
    return found


def health_warnings(chain: ChainContext, session_factory: Callable[[], Session], low_balance_wei: int,
                    cache_seconds: float = 15.0) -> Callable[[], list[str]]:
    """A warning source for `GET /health`, cached for `cache_seconds` (each pass makes a few RPC calls)."""
    lock = threading.Lock()
    cached: list[tuple[float, list[str]]] = []

    def warnings() -> list[str]:
        with lock:
            if cached and time.monotonic() - cached[0][0] < cache_seconds:
                return list(cached[0][1])
            try:
                with session_factory() as session:
                    found = warnings_for(signer_states(chain, session, registered(session, chain)), low_balance_wei)
            except Exception as exc:
                found = [f"signers: could not be checked ({type(exc).__name__})"]
            cached[:] = [(time.monotonic(), found)]
            return list(found)

    return warnings
