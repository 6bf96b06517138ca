"""CLI start-up: `pilotkit --help` against a bare `python -c pass` (target: under 0.3 s).

Run: .venv/bin/python benchmarks/cli_startup.py
"""

from __future__ import annotations

import sys

from _util import best_of, python_startup, run_process

RUNS = 15


def main() -> None:
    baseline, _ = best_of(RUNS, python_startup())
    help_median, help_best = best_of(RUNS, lambda: run_process(sys.executable, "-m", "pilotkit", "--help"))
    version_median, _ = best_of(RUNS, lambda: run_process(sys.executable, "-m", "pilotkit", "--version"))
    print(f"python -c pass          median {baseline * 1000:7.1f} ms  (baseline)")
    print(f"pilotkit --help         median {help_median * 1000:7.1f} ms  best {help_best * 1000:.1f} ms  "
          f"ratio {help_median / baseline:.2f}x  target < 300 ms: {'PASS' if help_median < 0.3 else 'MISS'}")
    print(f"pilotkit --version      median {version_median * 1000:7.1f} ms  ratio {version_median / baseline:.2f}x")


if __name__ == "__main__":
    main()
