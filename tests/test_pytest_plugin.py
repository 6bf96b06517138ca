"""The pytest plugin as a pilot team uses it: a separate pytest run over the sample project's tests."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def _run_sample_suite(project: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pytest", str(project / "tests"), "-q", "-p", "no:cacheprovider",
         "--pilotkit-project", str(project), *extra],
        capture_output=True, text=True, timeout=600, cwd=project,
    )


def test_sample_suite_passes_on_anvil(sample_project: Path) -> None:
    done = _run_sample_suite(sample_project)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "7 passed" in done.stdout


@pytest.mark.ganache
def test_sample_suite_passes_on_ganache(sample_project: Path) -> None:
    done = _run_sample_suite(sample_project, "--pilotkit-network", "ganache")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "7 passed" in done.stdout
