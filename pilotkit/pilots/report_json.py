"""The replay result as one JSON document.

Everything outside `wall_clock` is deterministic: the same scenario and seed give byte-identical JSON for it
(`deterministic_part(result)`). `wall_clock` holds what depends on the machine: start time, durations,
throughput and latency.
"""

from __future__ import annotations

import json
import statistics
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from pilotkit.pilots import registry
from pilotkit.pilots.assess import assess
from pilotkit.pilots.costs import cost_table, presets_for

if TYPE_CHECKING:
    from pilotkit.pilots.kit import ReplayLog as Replay

FORMAT = "pilotkit-replay/1"
WALL_CLOCK = "wall_clock"


def _gas_summary(engine: Replay) -> dict[str, dict[str, Any]]:
    summary = {}
    for key, samples in sorted(engine.gas.items()):
        gas = [g for g, _ in samples]
        items = sum(n for _, n in samples)
        summary[key] = {"transactions": len(gas), "total": sum(gas), "mean": round(sum(gas) / len(gas)),
                        "min": min(gas), "max": max(gas), "items": items,
                        "per_item": round(sum(gas) / items) if items else None}
    return summary


def _served(engine: Replay) -> tuple[str, int]:
    """Whom the cost is divided by: the first kind's answer (the cash kind: beneficiaries; certs: certificates),
    else a fallback kind's (credits: credit holders); each kind's `served`, in registration order."""
    kinds = [k for k in registry.KINDS if not k.served_fallback] + [k for k in registry.KINDS if k.served_fallback]
    for kind in kinds:
        answer = kind.served(engine) if kind.served is not None else None
        if answer is not None:
            return answer
    return "replay", 1


def build_result(engine: Replay, measured: dict[str, Any], chain: dict[str, Any],
                 wall: dict[str, Any]) -> dict[str, Any]:
    scenario = engine.scenario
    assessment = assess(scenario.assessment)
    gas = _gas_summary(engine)
    total_gas = sum(s["total"] for s in gas.values())
    unit, served = _served(engine)
    presets = presets_for(scenario.chain.presets, scenario.chain.custom_presets)
    steps: list[dict[str, Any]] = [{
        "step": r.step.number, "do": r.step.kind, "label": r.step.label, "line": r.step.line, "note": r.step.note,
        "ok": r.ok, "transactions": r.transactions, "gas": r.gas, "detail": r.detail, "problems": r.problems,
    } for r in engine.records]
    operations = sum(s["items"] for s in gas.values())
    failures = [f"step {s['step']} ({s['do']}): {p}" for s in steps for p in s["problems"]]
    failures += [f"invariant failed: {i['name']}: {i['detail']}" for i in measured["invariants"] if not i["ok"]]
    failures += [f"expected {e['measure']} = {e['expected']}, got {e['actual']}"
                 for e in measured["expectations"] if not e["ok"]]
    misuse = engine.misuse
    refused = sum(1 for m in misuse if m["refused_as_expected"])
    verdict = "PASS" if not failures else "FAIL"
    headline = (f"{sum(s['ok'] for s in steps)}/{len(steps)} steps ok, {refused}/{len(misuse)} misuse attempts "
                f"refused as expected, {sum(i['ok'] for i in measured['invariants'])}/{len(measured['invariants'])} "
                f"invariants hold, {sum(e['ok'] for e in measured['expectations'])}/{len(measured['expectations'])} "
                f"expectations met; fit assessment: {assessment.label}")
    costs = cost_table(gas, total_gas, served, presets)
    for row in costs:
        row["per_unit"] = unit
    block_seconds = sorted(engine.block_seconds)
    replay_seconds = wall.get("replay_seconds") or 0
    wall = {**wall,
            "transactions_per_second": round(chain["transactions"] / replay_seconds, 1) if replay_seconds else None,
            "operations_per_second": round(operations / replay_seconds, 1) if replay_seconds else None,
            "block_latency_ms": {
                "median": round(statistics.median(block_seconds) * 1000, 2) if block_seconds else None,
                "p95": round(block_seconds[int(0.95 * (len(block_seconds) - 1))] * 1000, 2) if block_seconds else None,
                "max": round(block_seconds[-1] * 1000, 2) if block_seconds else None,
            },
            "step_seconds": {str(r.step.number): round(r.seconds, 3) for r in engine.records}}
    meta = scenario.metadata
    return {
        "format": FORMAT,
        "scenario": {
            "name": scenario.name, "title": scenario.title, "file": Path(scenario.file).name, "seed": engine.seed,
            "full_size": engine.full, "region": meta.region, "agency_type": meta.agency_type,
            "use_case": meta.use_case, "summary": meta.summary,
            "modelled_on": {"pilot": meta.modelled_on.pilot, "reference": meta.modelled_on.reference,
                            "what_is_modelled": meta.modelled_on.what_is_modelled,
                            "note": "a model with synthetic data, not the real pilot's data or figures"},
            "actors": {"beneficiaries": engine.actors.beneficiaries, "merchants": engine.actors.merchants,
                       "credit_buyers": engine.actors.credit_buyers},
        },
        "summary": {"verdict": verdict, "headline": headline, "failures": failures,
                    "recommendation": assessment.recommendation,
                    "fit_warning": None if assessment.uses_blockchain else
                    f"The fit assessment recommends {assessment.label.lower()}, not a blockchain: this replay only "
                    "shows what running the pilot on a chain would cost, for comparison."},
        "assessment": assessment.to_dict(),
        "chain": chain,
        "roles": {label: signer.address for label, signer in engine.role.items()},
        "contracts": {key: engine.actions.address(key) for key in registry.CONTRACT_KEYS
                      if key in _deployed(engine)},
        "steps": steps,
        "misuse": misuse,
        "invariants": measured["invariants"],
        "expectations": measured["expectations"],
        "final_state": measured["final_state"],
        "gas": {"by_operation": gas, "total": total_gas},
        "costs": {"served_unit": unit, "served": served, "presets": costs},
        "throughput": {"transactions": chain["transactions"], "operations": operations, "blocks": chain["blocks"],
                       "chain_seconds": engine.clock.now - scenario.chain.genesis_time},
        "timeline": [list(point) for point in engine.timeline],
        "transactions_digest": "0x" + keccak(text="".join(engine.hashes)).hex(),
        WALL_CLOCK: wall,
    }


def _deployed(engine: Replay) -> set[str]:
    """The contract keys the deployed kinds put on chain."""
    return {key for kind in registry.kinds_deployed(engine.scenario.contracts) for key in kind.contract_keys}


def deterministic_part(result: dict[str, Any]) -> dict[str, Any]:
    """The result without its wall-clock section: identical across runs of the same scenario and seed."""
    return {k: v for k, v in result.items() if k != WALL_CLOCK}


def write_json(result: dict[str, Any], path: Path) -> Path:
    path.write_text(json.dumps(result, indent=2, default=str) + "\n", encoding="utf-8")
    return path
