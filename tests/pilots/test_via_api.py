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

from .conftest import PILOTS

Replayed = Callable[..., dict[str, Any]]


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
                                  "single-agency-payroll"])
def test_the_rest_of_the_catalogue_through_the_api(name: str, replayed: Replayed, via_api: Replayed) -> None:
    """Every scenario passes through the API with the direct path's final state and misuse observations (claims
    from beneficiaries' wallets, list rounds, voucher spending and pausing stay on the library path: see
    docs/pilots.md)."""
    direct, api = replayed(name), via_api(name)
    assert api["summary"]["verdict"] == "PASS", api["summary"]["failures"]
    assert api["final_state"] == direct["final_state"]
    assert [m["observed"] for m in api["misuse"]] == [m["observed"] for m in direct["misuse"]]
