"""The scenario format: every catalogue file loads; malformed files get errors naming file, line and problem."""

from __future__ import annotations

from pathlib import Path

import pytest

from pilotkit.pilots import ScenarioError
from pilotkit.pilots.scenario import base_units, duration, load_scenario, unix_time

ROOT = Path(__file__).resolve().parents[2]
CATALOGUE = sorted((ROOT / "pilots").glob("*.yaml"))
BASE = (ROOT / "pilots" / "safety-net-push.yaml").read_text()
ENROLLED = '    cash.enrolled: "= beneficiaries"\n'
PAYMENTS = '    cash.payments: "= 2 * beneficiaries - 2"    # january pays everyone; february skips the two suspended\n'


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "broken.yaml"
    path.write_text(text)
    return path


def line_of(text: str, needle: str, nth: int = 0) -> int:
    lines = [i + 1 for i, line in enumerate(text.splitlines()) if needle in line]
    return lines[nth]


@pytest.mark.parametrize("path", CATALOGUE, ids=lambda p: p.stem)
def test_catalogue_scenarios_load(path: Path) -> None:
    scenario = load_scenario(path)
    assert scenario.name == path.stem
    assert scenario.metadata.modelled_on.pilot and scenario.metadata.modelled_on.reference
    assert scenario.steps


def test_catalogue_has_at_least_eight_scenarios() -> None:
    assert len(CATALOGUE) >= 8


def test_negative_amount_names_file_line_and_problem(tmp_path: Path) -> None:
    text = BASE.replace("    kind: push\n    amount: 25\n", "    kind: push\n    amount: -5\n", 1)
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    message = str(err.value)
    assert f"{path}:{line_of(text, 'amount: -5')}: steps[4].amount: -5 has the wrong form" in message
    assert "token units" in message


def test_unknown_key_points_at_the_key_and_lists_allowed_keys(tmp_path: Path) -> None:
    text = BASE.replace("    window: 7d\n", "    windw: 7d\n", 1)
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert f":{line_of(text, 'windw')}: steps[4].windw: unknown key 'windw' (allowed here:" in str(err.value)


def test_misspelt_step_kind_gets_a_suggestion(tmp_path: Path) -> None:
    text = BASE.replace("do: reinstate", "do: reinstat")
    with pytest.raises(ScenarioError, match=r"'reinstat' is not a step kind; did you mean 'reinstate'\?"):
        load_scenario(write(tmp_path, text))


def test_yaml_syntax_error_has_a_line(tmp_path: Path) -> None:
    text = BASE.replace("seed: 101", "seed: [101")
    with pytest.raises(ScenarioError, match=r"broken.yaml:\d+: not valid YAML"):
        load_scenario(write(tmp_path, text))


def test_duplicate_key_is_an_error(tmp_path: Path) -> None:
    text = BASE.replace("seed: 101", "seed: 101\nseed: 3")
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, text))
    assert f":{line_of(text, 'seed: 3')}: seed: duplicate key (first given on line {line_of(text, 'seed: 101')})" \
        in str(err.value)


def test_risk_out_of_range_and_missing_question(tmp_path: Path) -> None:
    text = BASE.replace("likelihood: 1,", "likelihood: 9,").replace("    public_verifiability: false\n", "")
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, text))
    assert len(err.value.problems) == 2
    message = str(err.value)
    assert "assessment.risks.privileges_and_immunities.likelihood: 9 is greater than the maximum of 5" in message
    assert "assessment.questions: \"public_verifiability\" is a required property" in message


def test_step_before_its_contract_is_deployed(tmp_path: Path) -> None:
    text = BASE.replace("contracts: [cash]", "contracts: [certs]")
    with pytest.raises(ScenarioError, match=r"steps\[2\]: 'enrol' needs the cash contract"):
        load_scenario(write(tmp_path, text))


def test_unknown_expectation_and_round_label(tmp_path: Path) -> None:
    text = BASE.replace("cash.rounds: 2", "cash.roundz: 2").replace("round: february", "round: febuary")
    with pytest.raises(ScenarioError) as err:
        load_scenario(write(tmp_path, text))
    message = str(err.value)
    assert f":{line_of(text, 'cash.roundz')}: expect.final.cash.roundz: unknown measure" in message
    assert "no earlier step is labelled 'febuary'" in message


def test_unreadable_and_empty_files(tmp_path: Path) -> None:
    with pytest.raises(ScenarioError, match="cannot read the file"):
        load_scenario(tmp_path / "missing.yaml")
    with pytest.raises(ScenarioError, match="the file is empty"):
        load_scenario(write(tmp_path, ""))


def test_units() -> None:
    assert duration("7d") == 7 * 86_400 and duration(90) == 90 and duration("30m") == 1800
    assert base_units(25) == 25_000_000 and base_units("12.5") == 12_500_000
    assert unix_time("2026-01-01") == 1_767_225_600 and unix_time("2026-01-01T00:00:10Z") == 1_767_225_610


def test_expectations_as_formulas_and_per_size_values_hold_at_each_size(tmp_path: Path) -> None:
    text = BASE.replace(ENROLLED, "    cash.enrolled: \"= beneficiaries\"\n") \
               .replace(PAYMENTS, "    cash.payments: {small: 598, full: 19998}\n")
    assert text != BASE
    scenario = load_scenario(write(tmp_path, text))
    small, full = scenario.expected_final(full=False), scenario.expected_final(full=True)
    assert (small["cash.enrolled"], full["cash.enrolled"]) == (300, 10_000)
    assert (small["cash.payments"], full["cash.payments"]) == (598, 19_998)
    assert small["cash.rounds"] == full["cash.rounds"] == 2  # a plain value holds at every size


@pytest.mark.parametrize(("written", "problem"), [
    ('"= beneficiaries +"', "not a formula"),
    ('"= households * 2"', "unknown name 'households'; formulas may use beneficiaries, merchants, credit_buyers"),
    ('"= __import__(1)"', "unknown name '__import__'"),
    ('"= beneficiaries // (merchants)"', "division by zero at the small size"),
    ("{small: 300}", "no value for the full size"),
    ("{full: 300}", "no value for the small size"),
    ("{small: 300, full: \"= oops\"}", "unknown name 'oops'"),
])
def test_bad_expectation_formulas_name_the_line(tmp_path: Path, written: str, problem: str) -> None:
    text = BASE.replace(ENROLLED, f"    cash.enrolled: {written}\n")
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert f"{path}:{line_of(text, 'cash.enrolled')}: expect.final.cash.enrolled: " in str(err.value)
    assert problem in str(err.value)


def test_per_size_value_without_a_declared_full_size(tmp_path: Path) -> None:
    text = BASE.replace("  full: {beneficiaries: 10000}\n", "") \
               .replace(ENROLLED, "    cash.enrolled: {small: 300, full: 10000}\n")
    with pytest.raises(ScenarioError, match="no full size is declared"):
        load_scenario(write(tmp_path, text))


def test_unknown_size_key_is_refused_with_its_line(tmp_path: Path) -> None:
    text = BASE.replace(ENROLLED, "    cash.enrolled: {small: 300, huge: 10000}\n")
    path = write(tmp_path, text)
    with pytest.raises(ScenarioError) as err:
        load_scenario(path)
    assert f"{path}:{line_of(text, 'huge')}:" in str(err.value)
