"""Install solc-js as a `solc-v<version>` "binary" in a py-solc-x folder, for tools such as Brownie.

py-solc-x (and so Brownie) only runs native compilers it finds as `solc-v<version>` in
`$SOLCX_BINARY_PATH` (default `~/.solcx`) and downloads missing ones, which fails offline. The shim
is a small sh script that execs Node on `solcjs_cli.js` with the project's `node_modules/solc`, so
those tools compile with the same pinned compiler pilotkit uses, without a download.

pilotkit itself never runs the shim: its own discovery skips files carrying `SHIM_MARKER` and talks
to solc-js through its long-lived bridge instead.

Command line: `python -m pilotkit.toolchain.solcx_shim <version> [project_root] [target_dir]`.
"""

from __future__ import annotations

import json
import os
import shlex
import stat
import subprocess
import sys
from pathlib import Path

from pilotkit.errors import ToolchainNotFound
from pilotkit.toolchain.discovery import find_node, node_modules_dir
from pilotkit.toolchain.solc import SHIM_MARKER

SOLCX_ENV = "SOLCX_BINARY_PATH"
_CLI = Path(__file__).with_name("solcjs_cli.js")


def default_solcx_dir() -> Path:
    """The folder py-solc-x reads: `$SOLCX_BINARY_PATH`, else `~/.solcx`."""
    explicit = os.environ.get(SOLCX_ENV)
    return Path(explicit) if explicit else Path.home() / ".solcx"


def install_solcx_shim(version: str, project_root: Path, target_dir: Path | None = None) -> Path:
    """Write an executable `solc-v<version>` wrapper around solc-js and return its path.

    `version` is the bare version ("0.8.30", a leading "v" is accepted); it must equal the version of
    `node_modules/solc` found at or above `project_root`. `target_dir` defaults to py-solc-x's folder.
    An existing native binary of that name is never overwritten; an older shim is replaced.
    """
    version = version.strip().removeprefix("v")
    module = _solc_module(project_root, version)
    node = find_node().resolve()
    folder = (target_dir if target_dir is not None else default_solcx_dir()).expanduser().resolve()
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"solc-v{version}"
    if target.exists() and not is_solcx_shim(target):
        raise FileExistsError(
            f"{target} exists and is not a pilotkit shim (a native solc?): leaving it alone"
        )
    script = (
        "#!/bin/sh\n"
        f"# {SHIM_MARKER}: solc {version} as solc-js (the official compiler built to wasm), for py-solc-x\n"
        "# and Brownie. Written by pilotkit.toolchain.solcx_shim; delete this file to remove it.\n"
        f'exec {shlex.quote(str(node))} {shlex.quote(str(_CLI))} {shlex.quote(str(module))} "$@"\n'
    )
    partial = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    partial.write_text(script)
    partial.chmod(partial.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    partial.replace(target)
    _check_version(target, version)
    return target


def is_solcx_shim(path: Path) -> bool:
    """True when `path` is a wrapper from `install_solcx_shim` (marker in its first 512 bytes)."""
    try:
        with path.open("rb") as handle:
            return SHIM_MARKER.encode() in handle.read(512)
    except OSError:
        return False


def _solc_module(project_root: Path, version: str) -> Path:
    modules = node_modules_dir(project_root)
    package = modules / "solc" / "package.json" if modules is not None else None
    if package is None or not package.is_file():
        raise ToolchainNotFound(f"no node_modules/solc at or above {project_root}: run `npm install` there")
    found = json.loads(package.read_text()).get("version")
    if found != version:
        raise ToolchainNotFound(
            f"node_modules/solc is {found}, not {version}: the shim only wraps that exact version"
        )
    return package.parent.resolve()


def _check_version(shim: Path, version: str) -> None:
    try:
        done = subprocess.run(
            [str(shim), "--version"], capture_output=True, text=True, timeout=60, check=False
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ToolchainNotFound(f"the solc-js shim {shim} does not run: {exc}") from None
    if done.returncode != 0 or f"Version: {version}+commit." not in done.stdout:
        raise ToolchainNotFound(
            f"the solc-js shim {shim} answered unexpectedly: {(done.stderr or done.stdout)[-400:]}"
        )


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: install the shim and print its path."""
    args = sys.argv[1:] if argv is None else argv
    if not 1 <= len(args) <= 3:
        print(
            "usage: python -m pilotkit.toolchain.solcx_shim <version> [project_root] [target_dir]",
            file=sys.stderr,
        )
        return 2
    root = Path(args[1]) if len(args) > 1 else Path.cwd()
    target = Path(args[2]) if len(args) > 2 else None
    print(install_solcx_shim(args[0], root, target))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
