"""Typed scenarios: `load_scenario(path)` validates a YAML file and returns a `Scenario`.

Amounts are converted to the settlement token's base units (6 decimals), durations to seconds and dates to
UNIX seconds here, once, so the engine works with integers only. Checks the schema cannot express (a step
that needs a contract no earlier step deployed, a misuse attempt naming an unknown round, an unknown
expectation) are reported with the step's line too.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from pilotkit.pilots import ScenarioError
from pilotkit.pilots.schema import QUESTIONS, RISK_AREAS, Document, load_document, show_path

TOKEN_DECIMALS = 6
UNIT = 10**TOKEN_DECIMALS
DEFAULT_GENESIS = 1_767_225_600  # 2026-01-01T00:00:00Z
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86_400, "w": 604_800}

#: What `expect.final` may name; the engine measures each of these after the last step.
METRICS: dict[str, str] = {
    "cash.enrolled": "beneficiaries ever enrolled",
    "cash.active": "beneficiaries Active at the end",
    "cash.suspended": "beneficiaries Suspended at the end",
    "cash.removed": "beneficiaries Removed",
    "cash.rounds": "rounds proposed",
    "cash.payments": "payments made (push, claims) over all rounds",
    "cash.paid": "token units paid or credited over all rounds",
    "cash.funded": "token units pulled from funders",
    "cash.swept": "token units swept back to funders",
    "cash.redeemed": "token units redeemed by merchants",
    "cash.balance": "token units held by the programme contract",
    "cash.recovered_wallets": "wallet recoveries executed",
    "cash.paused": "whether the programme is paused at the end",
    "credits.projects": "projects registered",
    "credits.batches": "credit batches issued",
    "credits.issued": "credits issued",
    "credits.retired": "credits retired",
    "credits.circulating": "credits issued and not retired",
    "credits.retirements": "retirement records",
    "certs.issued": "certificates issued (single and in batches)",
    "certs.valid": "verified certificates reading Valid",
    "certs.revoked": "certificates revoked",
    "certs.suspended": "certificates suspended",
    "certs.superseded": "certificates superseded",
}

#: Which contract each step kind needs deployed before it.
NEEDS = {
    "enrol": "cash", "fund": "cash", "round": "cash", "sweep": "cash", "suspend": "cash", "reinstate": "cash",
    "remove": "cash",
    "approve_merchants": "cash", "spend": "cash", "redeem": "cash", "wallet_recovery": "cash",
    "register_project": "credits", "issue_credits": "credits", "transfer_credits": "credits",
    "retire_credits": "credits", "freeze_credits": "credits", "accredit_issuer": "certs",
    "issue_certificates": "certs", "issue_certificate_batch": "certs", "verify_certificates": "certs",
    "revoke_certificate": "certs", "suspend_certificate": "certs", "reinstate_certificate": "certs",
    "supersede_certificate": "certs", "revoke_batch_document": "certs",
}
MISUSE_NEEDS = {
    "double_claim": "cash", "claim_after_window": "cash", "replayed_signature": "cash",
    "forged_signature": "cash", "unauthorised_role": "any", "pay_suspended": "cash", "claim_suspended": "cash",
    "self_approval": "cash", "spend_unapproved_merchant": "cash", "overspend_voucher": "cash",
    "paused_payment": "cash", "transfer_retired": "credits", "overlapping_serials": "credits",
    "unaccredited_issuer": "certs", "verify_revoked": "certs", "thief_cancels_recovery": "cash",
    "issuer_squats_batch": "certs",
}


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
class CostPreset:
    name: str
    gas_price_gwei: float
    token_price_usd: float
    token: str = "ETH"
    kind: str = "public L1"
    note: str = ""


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


_AMOUNT_KEYS = {"amount", "per_beneficiary"}
_DURATION_KEYS = {"window", "by", "valid_for"}


def assessment_from(data: dict[str, Any]) -> AssessmentInput:
    return AssessmentInput(
        questions={q: bool(data["questions"][q]) for q in QUESTIONS},
        risks={area: Risk(area, int(r["likelihood"]), int(r["impact"]), str(r["mitigation"]))
               for area, r in ((a, data["risks"][a]) for a in RISK_AREAS)},
        notes=str(data.get("notes", "")),
    )


def from_document(document: Document) -> Scenario:
    """Build the scenario from a schema-valid document, with the checks the schema cannot make."""
    data = document.data
    problems: list[tuple[str, int | None, str]] = []

    def problem(path: tuple[str | int, ...], text: str) -> None:
        problems.append((document.file, document.line(path), f"{show_path(path)}: {text}"))

    meta = data["metadata"]
    metadata = Metadata(meta["region"], meta["agency_type"], meta["use_case"],
                        ModelledOn(**meta["modelled_on"]), meta.get("summary", ""))
    chain_data = data.get("chain", {})
    chain = ChainProfile(
        network=chain_data.get("network", "local"),
        genesis_time=unix_time(chain_data.get("genesis_time", DEFAULT_GENESIS)),
        block_time=int(chain_data.get("block_time", 12)),
        presets=tuple(chain_data.get("presets", ())),
        custom_presets=tuple(CostPreset(**p) for p in chain_data.get("custom_presets", ())),
    )
    from pilotkit.pilots.costs import PRESETS

    for i, name in enumerate(chain.presets):
        if name not in PRESETS:
            problem(("chain", "presets", i), f"unknown cost preset '{name}'; built in: {', '.join(PRESETS)} "
                    "(or describe it under chain.custom_presets)")
    prog = data.get("programme", {})
    programme = Programme(
        currency=prog.get("currency", "tUSD"),
        voucher_mode=bool(prog.get("voucher_mode", False)),
        recovery_delay=duration(prog.get("recovery_delay", "3d")),
        period=duration(prog.get("period", "30d")),
        period_cap=base_units(prog.get("period_cap", 500)),
    )
    if programme.recovery_delay <= 0 or programme.period <= 0:
        problem(("programme",), "recovery_delay and period must be longer than 0 seconds")
    actor_data = data["actors"]
    actors = Actors(actor_data["beneficiaries"], actor_data.get("merchants", 0), actor_data.get("credit_buyers", 0),
                    dict(actor_data.get("full", {})))

    steps: list[Step] = []
    deployed: set[str] = set()
    labels: dict[str, str] = {}
    for i, raw in enumerate(data["steps"]):
        kind = raw["do"]
        params = {k: v for k, v in raw.items() if k not in ("do", "label", "note")}
        for key in _AMOUNT_KEYS & params.keys():
            if kind not in ("transfer_credits", "retire_credits"):
                params[key] = base_units(params[key])
        for key in _DURATION_KEYS & params.keys():
            if not (key == "by" and kind != "advance"):
                params[key] = duration(params[key])
        step = Step(i + 1, kind, params, document.line(("steps", i)), raw.get("label"), raw.get("note", ""))
        needed = NEEDS.get(kind) or (MISUSE_NEEDS.get(params.get("attempt", "")) if kind == "misuse" else None)
        if needed == "any" and not deployed:
            problem(("steps", i), f"'{kind}' needs a deployed contract: deploy one in an earlier step")
        elif needed and needed != "any" and needed not in deployed:
            problem(("steps", i), f"'{kind}' needs the {needed} contract: deploy it in an earlier step "
                    f"(do: deploy, contracts: [{needed}])")
        if kind == "fund" and ("amount" in params) == ("per_beneficiary" in params):
            problem(("steps", i), "give the funding as exactly one of amount or per_beneficiary (scales with --full)")
        if kind == "deploy":
            deployed.update(params["contracts"])
        if kind == "round" and params["kind"] == "claim" and "claim_share" not in params:
            params["claim_share"] = 1.0
        if kind == "round" and params["kind"] != "claim" and ("claim_share" in params or "relayed_share" in params):
            problem(("steps", i), "claim_share and relayed_share apply to claim rounds only")
        if kind in ("spend", "redeem", "approve_merchants") and not programme.voucher_mode:
            problem(("steps", i), f"'{kind}' needs a voucher-mode programme (programme.voucher_mode: true)")
        if kind in ("misuse", "sweep") and "round" in params and params["round"] not in labels:
            problem(("steps", i, "round"), f"no earlier step is labelled '{params['round']}'")
        if step.label:
            if step.label in labels:
                problem(("steps", i, "label"), f"label '{step.label}' is used twice")
            labels[step.label] = kind
        steps.append(step)

    expect = data.get("expect", {}).get("final", {})
    expect_lines: dict[str, int | None] = {}
    for key in expect:
        expect_lines[key] = document.line(("expect", "final", key))
        if key not in METRICS:
            problem(("expect", "final", key), f"unknown measure; known: {', '.join(METRICS)}")
    if problems:
        raise ScenarioError(problems)
    return Scenario(
        name=data["name"], title=data["title"], seed=int(data.get("seed", 0)), metadata=metadata,
        assessment=assessment_from(data["assessment"]), chain=chain, programme=programme, actors=actors,
        steps=tuple(steps), expect_final=dict(expect), expect_lines=expect_lines, file=document.file,
    )


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and type a scenario file (raises `ScenarioError` naming file, line and problem)."""
    return from_document(load_document(path))
