"""The cash kind through the backend API (`--via api`): the same payments, the API's own refusals mapped."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Replayed = Callable[..., dict[str, Any]]


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
