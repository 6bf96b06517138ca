"""The repository is also a valid Brownie project: compile and deploy with eth-brownie in its own venv.

Runs tools/brownie_check.sh, which builds .brownie-venv/ on first use (about a minute and a half) and
starts and stops its own Anvil on 127.0.0.1. Select it with `pytest -m brownie`.
"""

from __future__ import annotations

import os
import re
import signal
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
CHECK = REPO / "tools" / "brownie_check.sh"
TIMEOUT_S = 900


def _run_check() -> tuple[int, str]:
    """Run the check in its own process group, so a timeout also stops the Anvil it started."""
    process = subprocess.Popen(
        ["bash", str(CHECK)],
        cwd=REPO,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGTERM)  # the script's trap stops Anvil and prints its verdict
        try:
            output, _ = process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            output, _ = process.communicate()
        pytest.fail(f"tools/brownie_check.sh took over {TIMEOUT_S} s:\n{output[-6000:]}")
    return process.returncode, output


@pytest.mark.brownie
def test_brownie_compiles_and_deploys_against_anvil() -> None:
    code, output = _run_check()
    assert code == 0, output[-6000:]
    assert "BROWNIE CHECK PASSED" in output, output[-6000:]
    deployed = re.search(r"DEPLOYED EcoCreditRegistry (0x[0-9a-fA-F]{40})", output)
    assert deployed is not None, output[-6000:]
    assert f"at {deployed.group(1)} on Anvil" in output
