"""The cash kind's replay state: beneficiaries, their wallets and statuses, rounds, vouchers, merchants."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eth_utils import keccak

from pilotkit.cash_claims import BatchTree, ClaimTree

if TYPE_CHECKING:
    from pilotkit.pilots.actions import Operation
    from pilotkit.pilots.kit import Engine
    from pilotkit.pilots.txs import ReplaySigner

NAME = "cash"
KIND = {"push": 0, "list": 1, "claim": 2}
STATUS = ["None", "Active", "Suspended", "Removed"]
SKIP_REASONS = ["NotActive", "AlreadyPaid"]


@dataclass
class Round:
    label: str
    round_id: int
    kind: str
    amount: int
    opens: int
    closes: int
    recipients: list[int]
    tree: ClaimTree | None = None
    batches: BatchTree | None = None
    paid: set[int] = field(default_factory=set)
    relayed: list[Operation] = field(default_factory=list)
    approved: bool = False
    swept: bool = False


@dataclass
class CashState:
    secret: bytes
    merchants: list[ReplaySigner]
    wallets: list[ReplaySigner] = field(default_factory=list)  # index i-1 → beneficiary i's current wallet
    ids: list[bytes] = field(default_factory=list)
    status: dict[int, str] = field(default_factory=dict)
    entitlement: dict[int, int] = field(default_factory=dict)
    spend_nonce: dict[int, int] = field(default_factory=dict)
    merchant_balance: dict[str, int] = field(default_factory=dict)
    rounds: dict[str, Round] = field(default_factory=dict)
    round_count: int = 0
    payments: int = 0
    paid_units: int = 0
    recoveries: int = 0
    pending_wallets: dict[int, ReplaySigner] = field(default_factory=dict)
    last_relayed: Operation | None = None  # the last relayed claim or voucher spend (replayed_signature)

    def wallet(self, index: int) -> ReplaySigner:
        return self.wallets[index - 1]


def new_state(engine: Engine) -> CashState:
    return CashState(secret=keccak(text=f"pilotkit replay programme secret|{engine.scenario.name}|{engine.seed}"),
                     merchants=[engine.derive(f"merchant-{i + 1}") for i in range(engine.actors.merchants)])


def state(engine: Engine) -> CashState:
    result: CashState = engine.state(NAME)
    return result
