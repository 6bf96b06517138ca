"""The README's main job: `pilotkit demo` compiles, starts a chain, deploys the core contracts, stops."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORE = ("TestStablecoin", "CashProgramme", "EcoCreditRegistry", "CertificateRegistry")


def test_demo_deploys_the_core_contracts_and_leaves_nothing_running(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pilotkit", "demo"], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    table = {line.split()[0]: line.split()[1] for line in done.stdout.splitlines() if line.startswith(CORE)}
    assert set(table) == set(CORE)
    assert all(address.startswith("0x") and len(address) == 42 for address in table.values())
    chain_line = next(line for line in done.stdout.splitlines() if line.startswith("chain: anvil"))
    ipc_path = Path(chain_line.split(" at ")[1].split(" ")[0])
    assert not ipc_path.exists(), "the demo's Anvil should be stopped and its IPC socket removed"
