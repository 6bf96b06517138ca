"""Typed scenarios: `load_scenario(path)` validates a YAML file and returns a `Scenario`.

Amounts are converted to the settlement token's base units (6 decimals), durations to seconds and dates to
UNIX seconds here, once, so the engine works with integers only. Checks the schema cannot express (a step
that needs a contract no earlier step deployed, a misuse attempt naming an unknown round, an unknown
expectation) are reported with the step's line too.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pilotkit.pilots import ScenarioError, registry
from pilotkit.pilots.costs import PRESETS, CostPreset
from pilotkit.pilots.fragments import converter
from pilotkit.pilots.misuse import NEEDS as MISUSE_NEEDS
from pilotkit.pilots.model import (
    DEFAULT_GENESIS,
    TOKEN_DECIMALS,
    UNIT,
    Actors,
    AssessmentInput,
    ChainProfile,
    FormulaError,
    Metadata,
    ModelledOn,
    Programme,
    Risk,
    Scenario,
    Step,
    base_units,
    duration,
    evaluate_formula,
    is_formula,
    unix_time,
)
from pilotkit.pilots.schema import QUESTIONS, RISK_AREAS, STEP_SCHEMAS, Document, load_document, show_path

__all__ = ["DEFAULT_GENESIS", "METRICS", "NEEDS", "TOKEN_DECIMALS", "UNIT", "Actors", "AssessmentInput",
           "ChainProfile", "CostPreset", "Metadata", "ModelledOn", "Programme", "Risk", "Scenario", "Step",
           "assessment_from", "base_units", "duration", "from_document", "load_scenario", "unix_time"]

#: What `expect.final` may name (each kind's measures); the engine measures each of these after the last step.
METRICS: dict[str, str] = registry.METRICS

#: Which contract each step kind needs deployed before it (a kind's steps need the kind's contract).
NEEDS: dict[str, str] = {step: kind.name for step, (kind, _) in registry.STEPS.items()}


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
        properties = STEP_SCHEMAS[kind]["properties"]
        for key in params:  # amounts to base units, durations to seconds, as the step's schema types them
            convert = converter(properties[key]) if key in properties else None
            if convert == "amount":
                params[key] = base_units(params[key])
            elif convert == "duration":
                params[key] = duration(params[key])
        step = Step(i + 1, kind, params, document.line(("steps", i)), raw.get("label"), raw.get("note", ""))
        needed = NEEDS.get(kind) or (MISUSE_NEEDS.get(params.get("attempt", "")) if kind == "misuse" else None)
        if needed == "any" and not deployed:
            problem(("steps", i), f"'{kind}' needs a deployed contract: deploy one in an earlier step")
        elif needed and needed != "any" and needed not in deployed:
            problem(("steps", i), f"'{kind}' needs the {needed} contract: deploy it in an earlier step "
                    f"(do: deploy, contracts: [{needed}])")
        owner = registry.STEPS[kind][0] if kind in registry.STEPS else None
        if owner is not None and owner.check_step is not None:
            def step_problem(text: str, i: int = i) -> None:
                problem(("steps", i), text)

            owner.check_step(kind, params, programme, step_problem)
        if kind == "deploy":
            deployed.update(params["contracts"])
        if "round" in params and params["round"] not in labels:  # a `round:` names an earlier labelled step
            problem(("steps", i, "round"), f"no earlier step is labelled '{params['round']}'")
        if step.label:
            if step.label in labels:
                problem(("steps", i, "label"), f"label '{step.label}' is used twice")
            labels[step.label] = kind
        steps.append(step)

    expect = data.get("expect", {}).get("final", {})
    expect_lines: dict[str, int | None] = {}
    for key, written in expect.items():
        expect_lines[key] = document.line(("expect", "final", key))
        if key not in METRICS:
            problem(("expect", "final", key), f"unknown measure; known: {', '.join(METRICS)}")
        check_expectation(written, actors, lambda text, key=key: problem(("expect", "final", key), text))
    if problems:
        raise ScenarioError(problems)
    return Scenario(
        name=data["name"], title=data["title"], seed=int(data.get("seed", 0)), metadata=metadata,
        assessment=assessment_from(data["assessment"]), chain=chain, programme=programme, actors=actors,
        steps=tuple(steps), expect_final=dict(expect), expect_lines=expect_lines, file=document.file,
    )


def check_expectation(written: Any, actors: Actors, problem: Any) -> None:
    """An expectation must give a value at every size the scenario declares, and its formulas must evaluate."""
    sizes = ("small", "full") if actors.full else ("small",)
    if isinstance(written, dict):
        if "full" in written and not actors.full:
            problem("a value for the full size, but no full size is declared (actors.full); give one plain value")
            return
        missing = [size for size in sizes if size not in written]
        if missing:
            problem(f"no value for the {' and '.join(missing)} size: give one per size ({', '.join(sizes)}), "
                    "one plain value, or a formula such as \"= beneficiaries - 1\"")
            return
    for size in sizes:
        value = written[size] if isinstance(written, dict) else written
        if is_formula(value):
            try:
                evaluate_formula(value, actors.scaled(size == "full").counts)
            except FormulaError as exc:
                problem(f"{exc}" + ("" if "division" not in str(exc) else f" at the {size} size"))
                return


def load_scenario(path: str | Path) -> Scenario:
    """Read, validate and type a scenario file (raises `ScenarioError` naming file, line and problem)."""
    return from_document(load_document(path))
