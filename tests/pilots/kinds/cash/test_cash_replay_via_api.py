"""The cash kind through the backend API (`--via api`): the same payments (push and claim rounds), the API's own
refusals mapped."""

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


def test_claim_round_through_the_api_pays_and_refuses_the_same(replayed: Replayed, via_api: Replayed) -> None:
    """mass-payout-merkle: the claim round is proposed (with its cap of 16 and the suspended beneficiary in the
    tree, so the API's root is the library's), its cap stored, approved and swept through the API, relayed
    claims go to `…/claims`; claims from the beneficiaries' own wallets stay on the library path."""
    direct, api = replayed("mass-payout-merkle"), via_api("mass-payout-merkle")
    assert api["summary"]["verdict"] == "PASS", api["summary"]["failures"]
    assert api["final_state"] == direct["final_state"]
    assert [m["observed"] for m in api["misuse"]] == [m["observed"] for m in direct["misuse"]]
    assert _steps_via(api) == ["library", "api", "library", "api", "api+library", "library", "api", "api",
                               "library", "library", "api"]
    round_step = api["steps"][4]["detail"]
    assert round_step["relayed"] == direct["steps"][4]["detail"]["relayed"] == 120
    assert round_step["claimed"] == direct["steps"][4]["detail"]["claimed"]
    gas = api["gas"]["by_operation"]
    assert gas["cash.claimFor"]["transactions"] == 120  # relayed through the API (misuse refused before sending)
    assert gas["cash.setClaimCap"] == direct["gas"]["by_operation"]["cash.setClaimCap"]  # the same 16-node cap
    # claims carry cap proofs on both paths (no full-proof fallback through the API)
    assert gas["cash.claimFor"]["max"] <= direct["gas"]["by_operation"]["cash.claimFor"]["max"]
    misuse = {m["attempt"]: m for m in api["misuse"]}
    for attempt, status in (("replayed_signature", 409), ("forged_signature", 422)):  # relayed: the API refuses
        assert misuse[attempt]["api"]["status"] == status and misuse[attempt]["on_chain"].startswith("not sent")
    for attempt in ("double_claim", "claim_suspended", "claim_after_window"):  # the beneficiary's own wallet
        assert "api" not in misuse[attempt] and misuse[attempt]["on_chain"] == "reverted"
