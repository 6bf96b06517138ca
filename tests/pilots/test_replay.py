"""The replay engine: determinism, the result document, the command line, Ctrl-C, --via api."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pilotkit.cli import main
from pilotkit.pilots.engine import replay_file
from pilotkit.pilots.report_json import WALL_CLOCK, deterministic_part
from pilotkit.project import Project

from .conftest import PILOTS

Replayed = Callable[..., dict[str, Any]]


def test_same_scenario_and_seed_give_identical_results(project: Project, replayed: Replayed) -> None:
    first = replayed("safety-net-push")
    second = replay_file(PILOTS / "safety-net-push.yaml", project=project)
    assert json.dumps(deterministic_part(first), sort_keys=True) == json.dumps(deterministic_part(second),
                                                                              sort_keys=True)
    assert first[WALL_CLOCK]["started_at"]  # the only part allowed to differ
    assert first["chain"]["final_block_hash"] == second["chain"]["final_block_hash"]


def test_another_seed_gives_other_accounts_and_hashes(replayed: Replayed) -> None:
    base, other = replayed("safety-net-push"), replayed("safety-net-push", seed=7)
    assert base["roles"]["admin"] != other["roles"]["admin"]
    assert base["transactions_digest"] != other["transactions_digest"]
    assert base["final_state"] == other["final_state"]  # the same programme, other keys
    assert other["scenario"]["seed"] == 7


def test_replay_command_writes_json_and_html(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["replay", str(PILOTS / "safety-net-push.yaml"), "--out", str(tmp_path), "--quiet"])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "verdict: PASS" in out
    result = json.loads((tmp_path / "safety-net-push.json").read_text())
    assert result["format"] == "pilotkit-replay/1"
    assert (tmp_path / "safety-net-push.html").read_text().startswith("<!DOCTYPE html>")


def test_remote_network_is_refused(project: Project) -> None:
    from pilotkit.pilots import ReplayError

    with pytest.raises(ReplayError, match="replays need a local chain"):
        replay_file(PILOTS / "safety-net-push.yaml", project=project, network="sepolia")


def test_html_report_is_self_contained_with_every_section(replayed: Replayed) -> None:
    from pilotkit.pilots.report_html import SECTIONS, render

    html = render(replayed("safety-net-push"))
    for section in SECTIONS:
        assert f"id='{section}'" in html, section
    for needle in ("Fit assessment", "Misuse attempts", "SelfApprovalForbidden", "Invariants checked",
                   "Cost per beneficiary by chain", "Cumulative disbursed over time", "<svg", "ethereum-l1"):
        assert needle in html, needle
    lowered = html.lower()
    assert "<script" not in lowered and "http://" not in lowered.replace("http://www.w3.org/2000/svg", "")
    assert "https://" not in lowered and "<link" not in lowered and "src=" not in lowered


def test_compare_shows_what_changed(replayed: Replayed, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    import copy

    from pilotkit.pilots.compare import compare
    from pilotkit.pilots.report_json import write_json

    base = replayed("safety-net-push")
    assert compare(base, copy.deepcopy(base)).deterministic_equal
    changed = copy.deepcopy(base)
    changed["gas"]["by_operation"]["cash.payFlat"]["mean"] += 1000
    changed["final_state"]["cash.active"] = 1
    changed["summary"]["verdict"] = "FAIL"
    diff = compare(base, changed)
    assert not diff.deterministic_equal
    assert {"verdict", "final state", "gas per operation (mean)"} <= set(diff.changes)
    a, b = write_json(base, tmp_path / "a.json"), write_json(changed, tmp_path / "b.json")
    assert main(["compare", str(a), str(b)]) == 0
    out = capsys.readouterr().out
    assert "cash.payFlat" in out and "cash.active: 299 → 1" in out and "PASS → FAIL" in out
    (tmp_path / "c.json").write_text("{}")
    assert main(["compare", str(a), str(tmp_path / "c.json")]) == 1
    assert "not a pilotkit replay result" in capsys.readouterr().err
