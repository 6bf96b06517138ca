"""The credits kind replayed directly and through the backend API (pilots/climate-eco-credits.yaml)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Replayed = Callable[..., dict[str, Any]]


def test_credits_replay_issues_transfers_and_retires(replayed: Replayed) -> None:
    result = replayed("climate-eco-credits")
    assert result["summary"]["verdict"] == "PASS", result["summary"]["failures"]
    final = result["final_state"]
    assert final["credits.circulating"] == final["credits.issued"] - final["credits.retired"]
    assert final["credits.batches"] >= 1 and final["credits.retired"] > 0
    assert [i["name"] for i in result["invariants"]] == ["credits: issued = held + retired, per batch"]
    assert {"credits.issueBatch", "credits.retire", "credits.safeTransferFrom"} <= set(result["gas"]["by_operation"])
    assert set(result["contracts"]) == {"credits"}
    assert {m["attempt"] for m in result["misuse"]} >= {"transfer_retired", "overlapping_serials"}


def test_credits_scenario_through_the_api(replayed: Replayed, via_api: Replayed) -> None:
    """Projects and batches go through the API; the holders' own transfers and retirements stay theirs."""
    direct, api = replayed("climate-eco-credits"), via_api("climate-eco-credits")
    assert api["summary"]["verdict"] == "PASS", api["summary"]["failures"]
    assert api["final_state"] == direct["final_state"]
    assert [m["observed"] for m in api["misuse"]] == [m["observed"] for m in direct["misuse"]]


def test_credit_operations_the_api_offers_go_through_it(via_api: Replayed) -> None:
    result = via_api("climate-eco-credits")
    via = {(s["do"], s["detail"].get("via")) for s in result["steps"] if s["do"] != "misuse"}
    assert {("register_project", "api"), ("issue_credits", "api")} <= via
    # the API moves credits only out of its own custody: the developer's and buyers' transactions are theirs
    assert {("transfer_credits", "library"), ("retire_credits", "library")} <= via
    assert not {d for d, v in via if v == "api"} & {"transfer_credits", "retire_credits"}
    assert result["api"]["operations"]["api"] >= 3 and result["api"]["jobs"] >= 3
    overlapping = next(m for m in result["misuse"] if m["attempt"] == "overlapping_serials")
    assert overlapping["api"]["title"] == "SerialRangeOverlaps"  # refused by the API before anything was sent
