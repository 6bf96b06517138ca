"""The typed scenario: dataclasses and unit conversions, with no knowledge of any pilot kind.

`scenario.load_scenario` builds these from a validated document; the replay core and the kinds' modules
(`pilotkit.pilots.kinds`) read them. A leaf module: it imports nothing from the rest of `pilotkit.pilots` but
`costs` (the `CostPreset` a chain profile names).
"""

from __future__ import annotations

import ast
import calendar
import math
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


#: The actor counts an expectation formula may name, and the sizes a per-size expectation may state.
ACTOR_NAMES = ("beneficiaries", "merchants", "credit_buyers")
SIZES = ("small", "full")
_FUNCTIONS: dict[str, Any] = {"round": round, "floor": math.floor, "ceil": math.ceil, "min": min, "max": max,
                              "abs": abs}
_OPERATORS: dict[type, Any] = {ast.Add: lambda a, b: a + b, ast.Sub: lambda a, b: a - b,
                               ast.Mult: lambda a, b: a * b, ast.Div: lambda a, b: a / b,
                               ast.FloorDiv: lambda a, b: a // b, ast.Mod: lambda a, b: a % b}


class FormulaError(ValueError):
    """An expectation formula that cannot be read or evaluated (the message says why)."""


def is_formula(value: Any) -> bool:
    """An expectation written as a formula of the actor counts: a string starting with `=`."""
    return isinstance(value, str) and value.lstrip().startswith("=")


def evaluate_formula(text: str, counts: dict[str, int]) -> int | float:
    """`"= round((beneficiaries - 1) * 0.6) * 40"` at these actor counts (+ - * / // %, round floor ceil min
    max abs, numbers and the names in ACTOR_NAMES; nothing else is evaluated)."""
    source = text.lstrip()[1:].strip()
    try:
        tree = ast.parse(source, mode="eval")
    except SyntaxError:
        raise FormulaError(f"{text!r} is not a formula: write e.g. \"= beneficiaries * 25\"") from None

    def value(node: ast.AST) -> int | float:
        if isinstance(node, ast.Constant) and type(node.value) in (int, float):
            return node.value  # type: ignore[return-value]
        if isinstance(node, ast.Name):
            if node.id not in ACTOR_NAMES:
                raise FormulaError(f"unknown name '{node.id}'; formulas may use {', '.join(ACTOR_NAMES)}")
            return counts[node.id]
        if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
            return _OPERATORS[type(node.op)](value(node.left), value(node.right))  # type: ignore[no-any-return]
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
            operand = value(node.operand)
            return -operand if isinstance(node.op, ast.USub) else operand
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and not node.keywords:
            if node.func.id not in _FUNCTIONS:
                raise FormulaError(f"unknown name '{node.func.id}'; formulas may call {', '.join(_FUNCTIONS)}")
            return _FUNCTIONS[node.func.id](*(value(arg) for arg in node.args))  # type: ignore[no-any-return]
        raise FormulaError(f"{text!r} is not a formula: only numbers, {', '.join(ACTOR_NAMES)}, + - * / // % "
                           f"and {', '.join(_FUNCTIONS)} are allowed")

    try:
        result = value(tree.body)
    except ZeroDivisionError:
        raise FormulaError(f"{text!r}: division by zero") from None
    except TypeError as exc:
        raise FormulaError(f"{text!r}: {exc}") from None
    return int(result) if isinstance(result, float) and result.is_integer() else result


@dataclass(frozen=True)
class Actors:
    beneficiaries: int
    merchants: int = 0
    credit_buyers: int = 0
    full: dict[str, int] = field(default_factory=dict)

    @property
    def counts(self) -> dict[str, int]:
        return {name: getattr(self, name) for name in ACTOR_NAMES}

    def scaled(self, full: bool) -> Actors:
        if not full or not self.full:
            return self
        return Actors(self.full.get("beneficiaries", self.beneficiaries), self.full.get("merchants", self.merchants),
                      self.full.get("credit_buyers", self.credit_buyers), self.full)


def expected_at(written: Any, actors: Actors, full: bool) -> Any:
    """One expectation as written in `expect.final`, at a size."""
    if isinstance(written, dict):
        written = written["full" if full else "small"]
    return evaluate_formula(written, actors.counts) if is_formula(written) else written


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

    def expected_final(self, full: bool = False) -> dict[str, Any]:
        """`expect.final` at the small or the full size: plain values hold at every size, `{small: .., full: ..}`
        give one value per size, `"= ..."` formulas of the actor counts are evaluated at that size's counts."""
        actors = self.actors.scaled(full)
        return {key: expected_at(written, actors, full and bool(self.actors.full))
                for key, written in self.expect_final.items()}

    @property
    def misuse_steps(self) -> list[Step]:
        return [s for s in self.steps if s.kind == "misuse"]

    @property
    def contracts(self) -> list[str]:
        return [c for s in self.steps if s.kind == "deploy" for c in s.params["contracts"]]
