"""Measured gas → money: cost per operation and per beneficiary under chain presets.

A preset is a gas price (gwei) and the price of the chain's gas token (USD). The built-in figures are
**assumptions for comparison, not quotes**: gas and token prices move daily, and an L2's fee also carries an
L1 data charge that depends on calldata size. Override them per scenario under `chain.custom_presets`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class CostPreset:
    """A gas price and the gas token's price: what a chain's fee would cost (see `PRESETS`)."""

    name: str
    gas_price_gwei: float
    token_price_usd: float
    token: str = "ETH"
    kind: str = "public L1"
    note: str = ""


GWEI = 10**9
ETHER = 10**18

PRESETS: dict[str, CostPreset] = {
    "ethereum-l1": CostPreset("ethereum-l1", 10.0, 3000.0, "ETH", "public L1",
                              "Ethereum mainnet at a moderate 10 gwei"),
    "ethereum-l1-busy": CostPreset("ethereum-l1-busy", 50.0, 3000.0, "ETH", "public L1",
                                   "Ethereum mainnet in a busy hour"),
    "optimistic-l2": CostPreset("optimistic-l2", 0.05, 3000.0, "ETH", "L2",
                                "an optimistic rollup (OP Stack / Arbitrum class), L1 data charge folded in"),
    "polygon-pos": CostPreset("polygon-pos", 40.0, 0.4, "POL", "sidechain", "Polygon PoS"),
    "celo": CostPreset("celo", 10.0, 0.6, "CELO", "L2", "Celo (impactMarket, Sarafu-style pilots)"),
    "permissioned-besu": CostPreset("permissioned-besu", 0.0, 0.0, "-", "permissioned",
                                    "a permissioned Besu/geth network with free gas: cost is the nodes' hosting"),
}
DEFAULT_PRESETS = ("ethereum-l1", "optimistic-l2", "polygon-pos", "permissioned-besu")


def presets_for(names: Iterable[str], custom: Iterable[CostPreset]) -> list[CostPreset]:
    """The presets a report uses: the named built-ins (default set when none named) plus custom ones."""
    chosen = [PRESETS[n] for n in names] or [PRESETS[n] for n in DEFAULT_PRESETS]
    return chosen + list(custom)


def cost_usd(gas: int, preset: CostPreset) -> float:
    return gas * preset.gas_price_gwei * GWEI / ETHER * preset.token_price_usd


def cost_table(gas_by_operation: Mapping[str, Mapping[str, int]], total_gas: int, beneficiaries: int,
               presets: list[CostPreset]) -> list[dict[str, Any]]:
    """Per preset: total cost, cost per beneficiary, and the mean cost of each operation (USD)."""
    rows = []
    for preset in presets:
        per_op = {op: round(cost_usd(int(s["mean"]), preset), 6) for op, s in gas_by_operation.items()}
        total = cost_usd(total_gas, preset)
        rows.append({
            "preset": asdict(preset),
            "total_usd": round(total, 4),
            "per_beneficiary_usd": round(total / beneficiaries, 6) if beneficiaries else None,
            "per_operation_usd": per_op,
        })
    return rows
