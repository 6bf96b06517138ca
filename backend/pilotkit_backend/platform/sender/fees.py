"""Fee policy for the sender: market fees from the network's gas settings, and bumps for replacements.

A replacement at the same nonce pays at least `bump_percent` more in every fee field than the attempt it
replaces (nodes refuse smaller bumps), and never less than the market. Once an attempt already pays
`cap_multiplier` times the market, being stuck is not about price (a nonce gap, a lost transaction), so
replacements stop bumping and the same bytes are re-broadcast instead: fees never run away.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pilotkit.chain.transactions import TransactionSender
    from pilotkit_backend.platform.sender.rpc import RpcBatcher

Fees = dict[str, int]


def bumped(old: Mapping[str, int], market: Mapping[str, int], percent: int) -> Fees:
    """Fees for a replacement of an attempt signed with `old`: ≥ old × (1 + percent/100) and ≥ market."""

    def up(value: int) -> int:
        return -(-value * (100 + percent) // 100) if value else 1  # ceil; a zero fee becomes 1 wei

    if "gasPrice" in old:
        return {"gasPrice": max(up(int(old["gasPrice"])), _market_price(market))}
    priority = max(up(int(old["maxPriorityFeePerGas"])), int(market.get("maxPriorityFeePerGas",
                                                                       market.get("gasPrice", 0))))
    max_fee = max(up(int(old["maxFeePerGas"])), int(market.get("maxFeePerGas", market.get("gasPrice", 0))), priority)
    return {"maxFeePerGas": max_fee, "maxPriorityFeePerGas": priority}


def over_cap(fees: Mapping[str, int], market: Mapping[str, int], cap_multiplier: float) -> bool:
    """True when `fees` already pay `cap_multiplier` × the market's max fee (or gas price)."""
    paid = int(fees.get("maxFeePerGas", fees.get("gasPrice", 0)))
    reference = int(market.get("maxFeePerGas", market.get("gasPrice", 0)))
    return reference > 0 and paid >= reference * cap_multiplier


def _market_price(market: Mapping[str, int]) -> int:
    return int(market.get("gasPrice", market.get("maxFeePerGas", 0)))


class FeeOracle:
    """Market fees from `TransactionSender.fees()` (the network's gas policy), cached for a short while.

    Unless the network fixes the max fee, the max fee also covers twice the *next* block's base fee (from
    `eth_feeHistory`), so a sudden base-fee rise is priced in at once rather than bump by bump.
    """

    def __init__(self, sender: TransactionSender, rpc: RpcBatcher, max_age: float = 1.0) -> None:
        self.sender = sender
        self.rpc = rpc
        self.max_age = max_age
        self._cached: tuple[float, Fees] | None = None

    def market(self) -> Fees:
        now = time.monotonic()
        if self._cached is None or now - self._cached[0] > self.max_age:
            fees = dict(self.sender.fees())
            if "maxFeePerGas" in fees and self.sender.connection.network.gas.max_fee_gwei is None:
                next_base = self._next_base_fee()
                if next_base is not None:
                    fees["maxFeePerGas"] = max(fees["maxFeePerGas"], 2 * next_base + fees["maxPriorityFeePerGas"])
            self._cached = (now, fees)
        return dict(self._cached[1])

    def _next_base_fee(self) -> int | None:
        reply = self.rpc.call("eth_feeHistory", ["0x1", "latest", []])
        if not reply.ok or not isinstance(reply.result, dict):
            return None
        bases = reply.result.get("baseFeePerGas") or []
        return int(bases[-1], 16) if bases else None

    def forget(self) -> None:
        self._cached = None
