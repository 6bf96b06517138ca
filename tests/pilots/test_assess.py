"""The fit assessment: the matrix can say no, the risk register moves and conditions the answer, the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pilotkit.cli import main
from pilotkit.pilots import ScenarioError
from pilotkit.pilots.assess import (
    NO_BLOCKCHAIN,
    PERMISSIONED_CHAIN,
    PUBLIC_CHAIN,
    SHARED_DATABASE,
    answers_yaml,
    assess,
    interview,
    load_answers,
)
from pilotkit.pilots.scenario import AssessmentInput, Risk
from pilotkit.pilots.schema import QUESTIONS, RISK_AREAS

ROOT = Path(__file__).resolve().parents[2]


def answers(risk: tuple[int, int] = (2, 2), **overrides: bool) -> AssessmentInput:
    questions = dict.fromkeys(QUESTIONS, True) | {"trusted_online_party_suffices": False,
                                                  "writers_trusted": False} | overrides
    return AssessmentInput(questions, {a: Risk(a, risk[0], risk[1], "m") for a in RISK_AREAS})


@pytest.mark.parametrize(("overrides", "expected"), [
    ({"needs_shared_state": False}, NO_BLOCKCHAIN),
    ({"multiple_writers": False}, NO_BLOCKCHAIN),
    ({"trusted_online_party_suffices": True}, SHARED_DATABASE),
    ({"writers_known": False}, PUBLIC_CHAIN),
    ({"writers_trusted": True}, SHARED_DATABASE),
    ({"public_verifiability": True}, PUBLIC_CHAIN),
    ({"public_verifiability": False}, PERMISSIONED_CHAIN),
])
def test_matrix(overrides: dict[str, bool], expected: str) -> None:
    result = assess(answers(**overrides))
    assert result.recommendation == expected
    assert result.reasons and len(result.trail) == 6 and len(result.risks) == 6
    assert result.uses_blockchain == (expected in (PERMISSIONED_CHAIN, PUBLIC_CHAIN))


def test_critical_data_protection_moves_public_to_permissioned() -> None:
    base = answers(public_verifiability=True)
    risks = dict(base.risks) | {"data_protection": Risk("data_protection", 5, 5, "none")}
    result = assess(AssessmentInput(base.questions, risks))
    assert result.matrix_recommendation == PUBLIC_CHAIN
    assert result.recommendation == PERMISSIONED_CHAIN
    assert result.overall_risk == "critical"
    assert any("data protection risk is critical" in r for r in result.reasons)
    assert any("mitigate it below critical" in c for c in result.conditions)


def test_risk_levels() -> None:
    result = assess(answers(risk=(4, 4)))
    assert {r.level for r in result.risks} == {"high"} and result.risks[0].score == 16


def test_interactive_interview_round_trips_through_yaml(tmp_path: Path) -> None:
    replies = iter(["maybe", "y", "y", "n", "y", "n", "n"] + ["9", "2", "3", "keyed hashes"] * 1
                   + ["1", "1", ""] * 5)
    said: list[str] = []
    result = interview(ask=lambda prompt: next(replies), say=said.append)
    assert result.questions["needs_shared_state"] and not result.questions["public_verifiability"]
    assert result.risks["privileges_and_immunities"].likelihood == 2
    assert result.risks["data_protection"].mitigation == "none stated"
    assert any("please answer y or n" in s for s in said) and any("1 (lowest)" in s for s in said)
    path = tmp_path / "answers.yaml"
    path.write_text(answers_yaml(result))
    assert load_answers(str(path)) == result
    assert assess(result).recommendation == PERMISSIONED_CHAIN


def test_assess_cli_from_scenario(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["assess", str(ROOT / "pilots" / "safety-net-push.yaml"), "--json"]) == 0
    result = json.loads(capsys.readouterr().out)
    assert result["recommendation"] == PERMISSIONED_CHAIN and result["uses_blockchain"] is True
    assert [r["area"] for r in result["risks"]] == list(RISK_AREAS)


def test_assess_cli_reports_a_bad_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "a.yaml"
    path.write_text("assessment:\n  questions: {}\n  risks: {}\n  extra: 1\n")
    assert main(["assess", str(path)]) == 1
    err = capsys.readouterr().err
    assert f"{path}:4: assessment.extra: unknown key 'extra'" in err
    with pytest.raises(ScenarioError):
        load_answers(str(path))


def test_interactive_assess_at_end_of_input_says_what_to_do() -> None:
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "pilotkit", "assess"], input="y\nn\n", capture_output=True,
                          text=True, timeout=60, cwd=ROOT)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr and "EOFError" not in done.stderr
    assert "the input ended before every question was answered" in done.stderr
    assert "pilotkit assess pilots/NAME.yaml" in done.stderr
