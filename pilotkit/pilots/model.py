"""The typed scenario: dataclasses and unit conversions, with no knowledge of any pilot kind.

`scenario.load_scenario` builds these from a validated document; the replay core and the kinds' modules
(`pilotkit.pilots.kinds`) read them. A leaf module: it imports nothing from the rest of `pilotkit.pilots` but
`costs` (the `CostPreset` a chain profile names).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from pilotkit.pilots.costs import CostPreset

TOKEN_DECIMALS = 6
UNIT = 10**TOKEN_DECIMALS
DEFAULT_GENESIS = 1_767_225_600  # 2026-01-01T00:00:00Z
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}


def duration(value: int | str) -> int:
    """Seconds from `3600`, `"90s"`, `"30m"`, `"12h"`, `"7d"`, `"2w"`."""
    if isinstance(value, int):
        return value
    match = re.fullmatch(r"\s*(\d+)\s*([smhdw])\s*", value)
    if not match:
        raise ValueError(f"not a duration: {value!r}")
    return int(match.group(1)) * _UNITS[match.group(2)]


def base_units(value: int | float | str) -> int:
    """Token units (25, 12.5, "12.50") → base units of the 6-decimal settlement token."""
    return int(Decimal(str(value).strip()) * UNIT)


def unix_time(value: int | str) -> int:
    """`1767225600`, `"2026-01-01"`, `"2026-01-01T08:00:00Z"` (UTC) → UNIX seconds."""
    if isinstance(value, int):
        return value
    parts = [int(p) for p in re.findall(r"\d+", value)]
    year, month, day, hour, minute, second = (parts + [0, 0, 0])[:6]
    return calendar.timegm((year, month, day, hour, minute, second, 0, 0, 0))


@dataclass(frozen=True)
class ModelledOn:
    pilot: str
    reference: str
    what_is_modelled: str = ""


@dataclass(frozen=True)
class Metadata:
    region: str
    agency_type: str
    use_case: str
    modelled_on: ModelledOn
    summary: str = ""


@dataclass(frozen=True)
class Risk:
    area: str
    likelihood: int
    impact: int
    mitigation: str

    @property
    def score(self) -> int:
        return self.likelihood * self.impact


@dataclass(frozen=True)
class AssessmentInput:
    """The decision-matrix answers and the risk register, as written in the scenario (or an assess file)."""

    questions: dict[str, bool]
    risks: dict[str, Risk]
    notes: str = ""


@dataclass(frozen=True)
class ChainProfile:
    network: str = "local"
    genesis_time: int = DEFAULT_GENESIS
    block_time: int = 12
    presets: tuple[str, ...] = ()
    custom_presets: tuple[CostPreset, ...] = ()


@dataclass(frozen=True)
class Programme:
    currency: str = "tUSD"
    voucher_mode: bool = False
    recovery_delay: int = 3 * 86_400
    period: int = 30 * 86_400
    period_cap: int = 500 * UNIT


@dataclass(frozen=True)
class Actors:
    beneficiaries: int
    merchants: int = 0
    credit_buyers: int = 0
    full: dict[str, int] = field(default_factory=dict)

    def scaled(self, full: bool) -> Actors:
        if not full or not self.full:
            return self
        return Actors(self.full.get("beneficiaries", self.beneficiaries), self.full.get("merchants", self.merchants),
                      self.full.get("credit_buyers", self.credit_buyers), self.full)


@dataclass(frozen=True)
class Step:
    """One step: its kind (`do`), its parameters as written (amounts and durations converted), its line."""

    number: int  # 1-based position in the file
    kind: str
    params: dict[str, Any]
    line: int | None
    label: str | None = None
    note: str = ""

    def get(self, key: str, default: Any = None) -> Any:
        return self.params.get(key, default)

    @property
    def title(self) -> str:
        return f"{self.number}. {self.kind}" + (f" ({self.label})" if self.label else "")


@dataclass(frozen=True)
class Scenario:
    name: str
    title: str
    seed: int
    metadata: Metadata
    assessment: AssessmentInput
    chain: ChainProfile
    programme: Programme
    actors: Actors
    steps: tuple[Step, ...]
    expect_final: dict[str, Any]
    expect_lines: dict[str, int | None]
    file: str = ""

    @property
    def misuse_steps(self) -> list[Step]:
        return [s for s in self.steps if s.kind == "misuse"]

    @property
    def contracts(self) -> list[str]:
        return [c for s in self.steps if s.kind == "deploy" for c in s.params["contracts"]]
