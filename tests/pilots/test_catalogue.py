"""Every catalogue scenario replays green at its CI size, one also at full size (the rest: PILOTKIT_PILOTS_FULL=1)."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Any

import pytest

from pilotkit.pilots.scenario import load_scenario

from .conftest import PILOTS

NAMES = sorted(p.stem for p in PILOTS.glob("*.yaml"))
Replayed = Callable[..., dict[str, Any]]


@pytest.mark.parametrize("name", NAMES)
def test_scenario_replays_green(name: str, replayed: Replayed) -> None:
    result = replayed(name)
    assert result["summary"]["verdict"] == "PASS", "\n".join(result["summary"]["failures"])
    assert all(step["ok"] for step in result["steps"])
    assert all(m["refused"] and m["refused_as_expected"] for m in result["misuse"])
    assert result["invariants"] and all(i["ok"] for i in result["invariants"])
    assert result["expectations"] and all(e["ok"] for e in result["expectations"])
    assert result["scenario"]["modelled_on"]["pilot"]


#: Replayed at its full size in every run (the fastest full size, about 7 s); the others need PILOTKIT_PILOTS_FULL=1.
ALWAYS_FULL = "safety-net-push"
FULL_SIZED = [name for name in NAMES if load_scenario(PILOTS / f"{name}.yaml").actors.full]
_FLAG = pytest.mark.skipif(not os.environ.get("PILOTKIT_PILOTS_FULL"), reason="full sizes: set PILOTKIT_PILOTS_FULL=1")


@pytest.mark.parametrize("name", [name if name == ALWAYS_FULL else pytest.param(name, marks=[pytest.mark.slow, _FLAG])
                                  for name in FULL_SIZED])
def test_scenario_replays_green_at_full_size(name: str, project: Any) -> None:
    from pilotkit.pilots.engine import replay_file

    result = replay_file(PILOTS / f"{name}.yaml", project=project, full=True)
    assert result["scenario"]["full_size"]
    assert result["summary"]["verdict"] == "PASS", "\n".join(result["summary"]["failures"])
    assert all(step["ok"] for step in result["steps"]) and all(i["ok"] for i in result["invariants"])
    assert all(m["refused_as_expected"] for m in result["misuse"])
    assert result["expectations"] and all(e["ok"] for e in result["expectations"])  # they hold at the full size


def test_every_size_a_scenario_declares_has_its_expectations() -> None:
    assert ALWAYS_FULL in FULL_SIZED and len(FULL_SIZED) >= 3
    for name in FULL_SIZED:
        scenario = load_scenario(PILOTS / f"{name}.yaml")
        small, full = scenario.expected_final(full=False), scenario.expected_final(full=True)
        assert small.keys() == full.keys() and small != full, name  # the full size's values differ, per size


def test_catalogue_covers_the_issue(replayed: Replayed) -> None:
    results = {name: replayed(name) for name in NAMES}
    attempts = {m["attempt"] for r in results.values() for m in r["misuse"]}
    assert attempts >= {"double_claim", "claim_after_window", "replayed_signature", "forged_signature",
                        "unauthorised_role", "pay_suspended", "transfer_retired", "verify_revoked",
                        "issuer_squats_batch"}
    steps = {s["do"] for r in results.values() for s in r["steps"]}
    assert steps >= {"deploy", "enrol", "fund", "round", "spend", "redeem", "issue_credits", "transfer_credits",
                     "retire_credits", "issue_certificates", "issue_certificate_batch", "verify_certificates",
                     "revoke_certificate", "supersede_certificate", "wallet_recovery", "pause"}
    kinds = {s["detail"].get("kind") for r in results.values() for s in r["steps"] if s["do"] == "round"}
    assert kinds >= {"push", "claim"}
    recommendations = {r["summary"]["recommendation"] for r in results.values()}
    assert "no_blockchain" in recommendations  # the tool can say no


def test_the_no_blockchain_pilot_says_so(replayed: Replayed) -> None:
    result = replayed("single-agency-payroll")
    assert result["assessment"]["recommendation"] == "no_blockchain"
    assert not result["assessment"]["uses_blockchain"]
    assert "not a blockchain" in result["summary"]["fit_warning"]


def test_critical_health_data_risk_keeps_certificates_off_public_chains(replayed: Replayed) -> None:
    result = replayed("vaccination-certificates")
    assert result["assessment"]["matrix_recommendation"] == "public_chain_or_l2"
    assert result["assessment"]["recommendation"] == "permissioned_chain"
