"""`pilotkit compile`: build contracts/ for the default EVM version, a network's, or an explicit one."""

from __future__ import annotations

import argparse
import sys
import time

from pilotkit.cli._common import add_network, add_project


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_network(parser)
    add_project(parser)
    parser.add_argument("--evm-version", default=None, help="override the EVM version (e.g. shanghai, cancun, prague)")
    parser.add_argument("--force", action="store_true", help="ignore the cache and compile everything")
    parser.add_argument("--quiet", "-q", action="store_true", help="print errors only")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pilotkit.compiler.build import Compiler
    from pilotkit.compiler.diagnostics import CompilationFailed
    from pilotkit.config import load_config

    config = load_config(Path(args.project) if args.project else None)
    settings = config.compiler_for(args.network)
    if args.evm_version:
        settings = settings.with_evm(args.evm_version)
    started = time.perf_counter()
    try:
        result = Compiler(config, settings).compile(force=args.force)
    except CompilationFailed as failure:
        for diagnostic in failure.diagnostics:
            print(diagnostic, file=sys.stderr)
        errors = sum(1 for d in failure.diagnostics if d.severity == "error")
        print(f"compilation failed: {errors} error(s)", file=sys.stderr)
        return 1
    for warning in result.warnings:
        print(warning, file=sys.stderr)
    if not args.quiet:
        elapsed = time.perf_counter() - started
        target = f"solc {settings.solc_version}, evm {settings.evm_version}"
        if result.from_cache:
            print(f"nothing to compile ({target}); artifacts in {result.output_dir} [{elapsed:.3f}s]")
        else:
            print(f"compiled {len(result.compiled)} file(s) with {result.compiler_version} "
                  f"(evm {settings.evm_version}) into {result.output_dir} [{elapsed:.2f}s]")
    return 0
