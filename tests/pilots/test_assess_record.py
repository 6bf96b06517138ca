"""`pilotkit assess FILE --network N` stores the result in that network's deployment record."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]


def test_assessment_is_stored_in_the_deployment_record(sample_project: Path) -> None:
    scenario = REPO / "pilots" / "single-agency-payroll.yaml"
    done = subprocess.run([sys.executable, "-m", "pilotkit", "assess", str(scenario), "--network", "local",
                           "--project", str(sample_project), "--json"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    printed = json.loads(done.stdout)
    record = json.loads((sample_project / "deployments" / "local" / "local-31337.json").read_text())
    stored = record["extra"]["assessment"]
    assert stored["recommendation"] == printed["recommendation"] and stored["uses_blockchain"] is False
    assert stored["assessed_at"] and record["chainId"] == 31337
