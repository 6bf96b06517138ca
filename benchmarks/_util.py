"""Small timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def best_of(runs: int, action: Callable[[], object]) -> tuple[float, float]:
    """(median, best) wall time in seconds of `runs` calls."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), min(samples)


def run_process(*argv: str, cwd: Path = REPO) -> None:
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)


def python_startup() -> Callable[[], None]:
    """Baseline: a bare interpreter start."""
    return lambda: run_process(sys.executable, "-c", "pass")
