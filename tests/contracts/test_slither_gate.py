"""The Slither gate: no High or Medium finding outside the committed triage file (slither-triage.json).

Slither runs over a Hardhat-style build-info written from pilotkit's own compile (no compiler download);
mocks and node_modules are excluded. About 30 s on one core; `make lint-contracts` runs the same by hand.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from pilotkit.analysis.slither_gate import Finding, load_triage, run_slither, untriaged

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(importlib.util.find_spec("slither") is None,
                                reason="slither-analyzer not installed (pip install -e '.[dev]')")


def test_every_high_or_medium_finding_is_triaged(tmp_path: Path) -> None:
    findings, seconds = run_slither(ROOT, tmp_path)
    open_findings = untriaged(findings, load_triage(ROOT))
    assert open_findings == [], "untriaged Slither findings:\n" + "\n".join(map(str, open_findings))
    assert seconds < 180, f"the Slither gate took {seconds:.0f} s"


def test_triage_entries_need_a_reason(tmp_path: Path) -> None:
    (tmp_path / "slither-triage.json").write_text('{"accepted": [{"detector": "x", "key": "C.f", "reason": " "}]}')
    with pytest.raises(ValueError, match="no reason"):
        load_triage(tmp_path)


def test_an_unlisted_finding_fails_the_gate() -> None:
    finding = Finding("reentrancy-eth", "High", "CashProgramme.sweep", "made up")
    assert untriaged([finding], load_triage(ROOT)) == [finding]
