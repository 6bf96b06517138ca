"""The worker process's command line: it never starts a chain of its own, and says what is missing."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from _sender_support import REPO, Chain


def test_a_local_network_needs_the_running_nodes_endpoint(tmp_path: Path) -> None:
    result = subprocess.run([sys.executable, "-m", "pilotkit_backend.platform.sender", "--database-url",
                             f"sqlite:///{tmp_path / 'jobs.db'}", "--project", str(REPO), "--network", "local"],
                            capture_output=True, text=True, timeout=120, cwd=REPO)
    assert result.returncode == 2
    assert "pass --rpc" in result.stderr and "Traceback" not in result.stderr


def _run(argv: list[str], until_ready: bool) -> tuple[int, str]:
    process = subprocess.Popen([sys.executable, "-m", "pilotkit_backend.platform.sender", "--project", str(REPO),
                                "--signer", "dev1", "--log-level", "WARNING", *argv],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=REPO)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if until_ready:
            assert "sender ready" in line
            process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        return process.returncode, err
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()


def test_an_unmigrated_database_is_refused_and_migrate_fixes_it(token_chain: Chain, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'jobs.db'}"
    code, err = _run(["--database-url", url, "--rpc", token_chain.node.url], until_ready=False)
    assert code == 2 and "migrate it first" in err
    code, err = _run(["--database-url", url, "--rpc", token_chain.node.url, "--migrate"], until_ready=True)  # HTTP
    assert code == 0, err
