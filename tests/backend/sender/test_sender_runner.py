"""The worker process's command line: it never starts a chain of its own, and says what is missing."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from _sender_support import REPO


def test_a_local_network_needs_the_running_nodes_endpoint(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pilotkit_backend.services.sender", "--database-url",
                             f"sqlite:///{tmp_path / 'jobs.db'}", "--project", str(REPO), "--network", "local"],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 2
    assert "pass --rpc" in result.stderr and "Traceback" not in result.stderr
