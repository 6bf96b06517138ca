"""The cash kind replayed directly: push rounds, vouchers, Merkle claims (pilots/safety-net-push.yaml, ...)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Replayed = Callable[..., dict[str, Any]]


def test_push_batch_result_document(replayed: Replayed) -> None:
    result = replayed("safety-net-push")
    assert result["summary"]["verdict"] == "PASS", result["summary"]["failures"]
    assert result["final_state"]["cash.payments"] == 598
    gas = result["gas"]["by_operation"]
    assert gas["cash.payFlat"]["items"] == 300 + 300 + 1 and gas["cash.payFlat"]["per_item"] < 40_000
    assert {row["preset"]["name"] for row in result["costs"]["presets"]} >= {"ethereum-l1", "permissioned-besu"}
    permissioned = next(r for r in result["costs"]["presets"] if r["preset"]["name"] == "permissioned-besu")
    assert permissioned["per_beneficiary_usd"] == 0
    assert result["timeline"][-1][1] == 14_950 * 10**6
    assert [m["observed"] for m in result["misuse"]] == [
        {"error": "SelfApprovalForbidden"}, {"error": "AccessControlUnauthorizedAccount"}, {"skipped": "NotActive"}]
    assert all(i["ok"] for i in result["invariants"])
    assert result["chain"]["genesis_time"] == 1_767_571_200


def test_voucher_money_invariant_and_relayed_operations(replayed: Replayed) -> None:
    result = replayed("refugee-food-vouchers")
    assert result["invariants"][0]["name"].startswith("cash: money conserved (voucher mode)")
    assert "cash.spendFor" in result["gas"]["by_operation"] and "cash.redeem" in result["gas"]["by_operation"]
    claims = replayed("mass-payout-merkle")["gas"]["by_operation"]
    assert claims["cash.claim"]["mean"] < 90_000 and claims["cash.claimFor"]["transactions"] > 50
