"""Per-test isolation overhead of the pytest plugin (target: under 2 ms per test on a local Anvil).

Two measurements in one run:
1. bare `evm_snapshot` + `evm_revert` pairs over IPC and over HTTP (the floor);
2. a real pytest run of N tests that use the `chain` fixture (snapshot/revert around each) versus N tests
   that do not, in the sample project; overhead per test = (t_chain - t_plain) / N.
Run: .venv/bin/python benchmarks/isolation_overhead.py
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _util import REPO

from pilotkit.chain.local import AnvilNode
from pilotkit.chain.rpc import RawRpc

PAIRS = 500
TESTS = 300


def bare_pairs(rpc: RawRpc) -> float:
    started = time.perf_counter()
    for _ in range(PAIRS):
        rpc.call("evm_revert", [rpc.call("evm_snapshot")])
    return (time.perf_counter() - started) / PAIRS


def pytest_seconds(project: Path, test_file: Path) -> float:
    env = {**os.environ, "PILOTKIT_NODE_MODULES": str(REPO / "node_modules")}
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "pytest", str(test_file), "-q", "-p", "no:cacheprovider",
                    "--pilotkit-project", str(project)], cwd=project, env=env, check=True, capture_output=True)
    return time.perf_counter() - started


def main() -> None:
    with AnvilNode(project_root=REPO) as node:
        ipc = bare_pairs(RawRpc(ipc_path=node.ipc_path))
        http = bare_pairs(RawRpc(url=node.url))
    print(f"bare snapshot+revert over IPC   {ipc * 1000:6.3f} ms per pair")
    print(f"bare snapshot+revert over HTTP  {http * 1000:6.3f} ms per pair  (IPC is {http / ipc:.1f}x faster)")

    with tempfile.TemporaryDirectory(prefix="pk-bench-") as tmp:
        project = Path(tmp) / "sample"
        shutil.copytree(REPO / "tests" / "fixtures" / "sample", project,
                        ignore=shutil.ignore_patterns("build", "deployments", "tests"))
        config = project / "pilotkit.toml"
        config.write_text(config.read_text().replace("../../../node_modules/", f"{REPO.as_posix()}/node_modules/"))
        chain_tests = project / "test_chain.py"
        plain_tests = project / "test_plain.py"
        warmup = "def test_warm(chain):\n    pass\n"
        chain_tests.write_text(warmup + "".join(f"def test_{i}(chain):\n    pass\n" for i in range(TESTS)))
        plain_tests.write_text(warmup + "".join(f"def test_{i}():\n    pass\n" for i in range(TESTS)))
        pytest_seconds(project, chain_tests)  # compile once, warm caches
        with_chain = min(pytest_seconds(project, chain_tests) for _ in range(3))
        without = min(pytest_seconds(project, plain_tests) for _ in range(3))
    per_test = (with_chain - without) / TESTS
    # both files start with one chain test, so both runs pay the Anvil start and the compile check once
    print(f"pytest, {TESTS} tests with chain isolation  {with_chain:.2f} s")
    print(f"pytest, {TESTS} tests without (baseline)    {without:.2f} s")
    print(f"isolation overhead per test: {per_test * 1000:.2f} ms  "
          f"= {per_test / ipc:.1f}x a bare IPC pair; target < 2 ms: {'PASS' if per_test < 0.002 else 'MISS'}")


if __name__ == "__main__":
    main()
