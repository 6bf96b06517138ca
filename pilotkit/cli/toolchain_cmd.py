"""`pilotkit toolchain`: report the tools in use; `toolchain solcx-shim` registers solc-js with py-solc-x."""

from __future__ import annotations

import argparse

from pilotkit.cli._common import add_project


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_project(parser)
    parser.add_argument("action", nargs="?", choices=["show", "solcx-shim"], default="show",
                        help="show (default): which binaries are used; solcx-shim: install solc-js as a "
                             "py-solc-x compiler (for Brownie and other py-solc-x users offline)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pilotkit.config import load_config
    from pilotkit.errors import ToolchainNotFound
    from pilotkit.toolchain.discovery import find_anvil, find_ganache

    config = load_config(Path(args.project) if args.project else None)
    version = config.compiler.solc_version
    if args.action == "solcx-shim":
        from pilotkit.toolchain.solcx_shim import install_solcx_shim

        print(f"installed {install_solcx_shim(version, config.root)}")
        return 0
    from pilotkit.toolchain.solc import find_solc

    checks = {
        "anvil": lambda: str(find_anvil(project_root=config.root)),
        "ganache": lambda: " ".join(find_ganache(project_root=config.root)),
        "solc": lambda: (lambda b: f"{b.kind} {b.version} ({b!r})")(find_solc(version, config.root)),
    }
    missing = 0
    for name, check in checks.items():
        try:
            print(f"{name:<8} {check()}")
        except ToolchainNotFound as exc:
            missing += 1
            print(f"{name:<8} MISSING: {exc}")
    return 1 if missing else 0
