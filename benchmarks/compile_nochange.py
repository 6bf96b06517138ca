"""No-change compile: `pilotkit compile` on an up-to-date tree (target: under 0.15 s; forge's warm build ~0.06 s).

Measures the whole CLI process and the in-process cache check, against a bare interpreter start.
Run: .venv/bin/python benchmarks/compile_nochange.py
"""

from __future__ import annotations

import sys

from _util import REPO, best_of, python_startup, run_process

from pilotkit.compiler.build import Compiler
from pilotkit.config import load_config

RUNS = 15


def main() -> None:
    config = load_config(REPO)
    compiler = Compiler(config)
    compiler.compile()  # make sure the tree is built
    roots = len(list(config.contracts_dir.rglob("*.sol")))
    in_process, _ = best_of(RUNS, compiler.compile)
    baseline, _ = best_of(RUNS, python_startup())
    cli, cli_best = best_of(RUNS, lambda: run_process(sys.executable, "-m", "pilotkit", "compile", "--quiet"))
    print(f"tree: {roots} contract files (+ OpenZeppelin imports)")
    print(f"python -c pass               median {baseline * 1000:7.1f} ms  (baseline)")
    print(f"cache check, in process      median {in_process * 1000:7.1f} ms")
    print(f"pilotkit compile (no change) median {cli * 1000:7.1f} ms  best {cli_best * 1000:.1f} ms  "
          f"ratio {cli / baseline:.2f}x  target < 150 ms: {'PASS' if cli < 0.15 else 'MISS'}")


if __name__ == "__main__":
    main()
