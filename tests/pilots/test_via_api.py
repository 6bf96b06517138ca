"""`pilotkit replay --via api`: the same scenarios through the backend HTTP API give the same on-chain outcome.

The API signs with its own role accounts, so transaction hashes differ; the final state read from the chain
(counts, statuses, amounts, certificate statuses) is compared. One documented difference: the API plans a push
round over the beneficiaries active when it is proposed, the library over every enrolled one (the contract then
skips the suspended), so a round proposed while some are suspended has a smaller budget and nothing to sweep.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pilotkit.cli import main
from pilotkit.pilots.engine import replay_file
from pilotkit.project import Project

from .conftest import PILOTS

Replayed = Callable[..., dict[str, Any]]


@pytest.fixture(scope="module")
def via_api(project: Project) -> Replayed:
    """`via_api("safety-net-push")` → the result of replaying it through the API (cached per module)."""
    cache: dict[str, dict[str, Any]] = {}

    def run(name: str) -> dict[str, Any]:
        if name not in cache:
            cache[name] = replay_file(PILOTS / f"{name}.yaml", project=project, via="api")
        return cache[name]

    return run


def _steps_via(result: dict[str, Any]) -> list[str]:
    return [step["detail"]["via"] for step in result["steps"]]


def test_cash_push_batch_through_the_api_pays_the_same(replayed: Replayed, via_api: Replayed) -> None:
    direct, api = replayed("safety-net-push"), via_api("safety-net-push")
    assert api["summary"]["verdict"] == "PASS", api["summary"]["failures"]
    assert api["chain"]["via"] == "api" and direct["chain"]["via"] == "direct"
    suspended_in_february = 2 * 25  # beneficiaries 3 and 4 were suspended when the February round was proposed
    expected = dict(direct["final_state"])
    expected["cash.funded"] -= suspended_in_february
    expected["cash.swept"] -= suspended_in_february
    assert api["final_state"] == expected
    assert api["final_state"]["cash.payments"] == 598 and api["final_state"]["cash.paid"] == 14_950
    assert all(i["ok"] for i in api["invariants"])
    assert _steps_via(api) == ["library", "api", "library", "api", "api", "library", "api", "read", "api", "api",
                               "read", "api", "api"]
    assert api["transactions_digest"] != direct["transactions_digest"]  # the API's own signers
    summary = api["api"]
    assert summary["jobs"] >= 10 and summary["requests"] > summary["jobs"]
    assert summary["operations"]["api"] > 0 and summary["operations"]["library"] > 0


def test_misuse_refused_by_the_api_is_mapped_and_recorded(via_api: Replayed) -> None:
    misuse = {m["attempt"]: m for m in via_api("safety-net-push")["misuse"]}
    self_approval = misuse["self_approval"]
    assert self_approval["refused_as_expected"] and self_approval["observed"] == {"error": "SelfApprovalForbidden"}
    assert self_approval["api"]["status"] == 403 and "maker-checker" in self_approval["api"]["detail"]
    assert self_approval["on_chain"].startswith("not sent") and "tx_hash" not in self_approval
    suspended = misuse["pay_suspended"]
    assert suspended["observed"] == {"skipped": "NotActive"} and suspended["api"]["status"] == 422
    assert "not in this round's approved plan" in suspended["mapped_from"]
    stranger = misuse["unauthorised_role"]  # a third party's own call stays on the library path: the contract refuses
    assert stranger["observed"] == {"error": "AccessControlUnauthorizedAccount"} and "api" not in stranger


def test_certificates_through_the_api_end_in_the_same_statuses(replayed: Replayed, via_api: Replayed) -> None:
    direct, api = replayed("vaccination-certificates"), via_api("vaccination-certificates")
    assert api["summary"]["verdict"] == "PASS", api["summary"]["failures"]
    assert api["final_state"] == direct["final_state"]
    by_kind = {step["do"]: step["detail"]["via"] for step in api["steps"]}
    assert by_kind["issue_certificates"] == "api+library"  # relayed issuance (issuer's signature) stays on chain
    assert by_kind["revoke_certificate"] == by_kind["supersede_certificate"] == "api"
    assert by_kind["accredit_issuer"] == "library"
    assert [m["observed"] for m in api["misuse"]] == [m["observed"] for m in direct["misuse"]]


def test_certificate_batch_through_the_api(replayed: Replayed, via_api: Replayed) -> None:
    direct, api = replayed("university-diplomas"), via_api("university-diplomas")
    assert api["summary"]["verdict"] == "PASS", api["summary"]["failures"]
    assert api["final_state"] == direct["final_state"]
    batch = next(step for step in api["steps"] if step["do"] == "issue_certificate_batch")
    assert batch["detail"]["via"] == "api"
    assert batch["detail"]["root"] == next(s for s in direct["steps"]
                                           if s["do"] == "issue_certificate_batch")["detail"]["root"]


def test_replay_command_via_api(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["replay", str(PILOTS / "vaccination-certificates.yaml"), "--via", "api", "--out", str(tmp_path),
                 "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "via api" in out
    result = json.loads((tmp_path / "vaccination-certificates.json").read_text())
    assert result["chain"]["via"] == "api" and result["api"]["jobs"] > 0
    html = (tmp_path / "vaccination-certificates.html").read_text()
    assert "via: api" in html


@pytest.mark.parametrize("name", ["wallet-recovery-drill", "refugee-food-vouchers", "mass-payout-merkle",
                                  "climate-eco-credits", "single-agency-payroll"])
def test_the_rest_of_the_catalogue_through_the_api(name: str, replayed: Replayed, via_api: Replayed) -> None:
    """Every scenario passes through the API with the direct path's final state (claim and list rounds, voucher
    spending, pausing and eco-credits stay on the library path: see docs/pilots.md)."""
    direct, api = replayed(name), via_api(name)
    assert api["summary"]["verdict"] == "PASS", api["summary"]["failures"]
    assert api["final_state"] == direct["final_state"]
    assert [m["observed"] for m in api["misuse"]] == [m["observed"] for m in direct["misuse"]]
