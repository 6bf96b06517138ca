"""The contract suites (cash programme, eco-credits, certificates) pass unchanged on Ganache (Shanghai EVM), as they
do on Anvil (Prague).

Runs the three folders in a separate pytest process with `--pilotkit-network ganache` (contracts are built for
Shanghai into build/shanghai on first use). The stateful tests use the same bounded `ci` hypothesis profile
unless HYPOTHESIS_PROFILE says otherwise. Deselect with `-m "not ganache"`.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
SUITES = ["tests/contracts/cash", "tests/contracts/credits", "tests/contracts/certs"]


def _pytest(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "pytest", *SUITES, "-q", "-p", "no:cacheprovider", *args],
                          capture_output=True, text=True, timeout=1200, cwd=REPO)


@pytest.mark.ganache
def test_contract_suites_pass_on_ganache() -> None:
    collected = _pytest("--collect-only")
    assert collected.returncode == 0, collected.stdout + collected.stderr
    expected = int(re.search(r"(\d+) tests? collected", collected.stdout).group(1))  # type: ignore[union-attr]
    assert expected > 100

    done = _pytest("--pilotkit-network", "ganache")
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    summary = done.stdout.strip().splitlines()[-1]
    passed = re.search(r"(\d+) passed", summary)
    assert passed is not None and int(passed.group(1)) == expected, summary
    assert not re.search(r"\d+ (failed|error|errors|skipped)", summary), summary
