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
    """Moved from test_via_api's catalogue parametrization (eco-credits stay on the library path)."""
    direct, api = replayed("climate-eco-credits"), via_api("climate-eco-credits")
    assert api["summary"]["verdict"] == "PASS", api["summary"]["failures"]
    assert api["final_state"] == direct["final_state"]
    assert [m["observed"] for m in api["misuse"]] == [m["observed"] for m in direct["misuse"]]
