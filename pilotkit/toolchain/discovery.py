"""Find executables: an explicit setting or env var first, then PATH, then the project's node_modules."""

from __future__ import annotations

import os
import platform
import shutil
from pathlib import Path

from pilotkit.errors import ToolchainNotFound

ANVIL_ENV = "PILOTKIT_ANVIL"
GANACHE_ENV = "PILOTKIT_GANACHE"
NODE_ENV = "PILOTKIT_NODE"
NODE_MODULES_ENV = "PILOTKIT_NODE_MODULES"


def node_modules_dir(project_root: Path | None) -> Path | None:
    """$PILOTKIT_NODE_MODULES, else the nearest node_modules at or above the project root (or cwd)."""
    explicit = os.environ.get(NODE_MODULES_ENV)
    if explicit:
        return Path(explicit) if Path(explicit).is_dir() else None
    start = (project_root or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        candidate = folder / "node_modules"
        if candidate.is_dir():
            return candidate
    return None


def find_node() -> Path:
    """The Node.js executable (needed for solc-js and Ganache)."""
    explicit = os.environ.get(NODE_ENV)
    found = explicit or shutil.which("node")
    if not found or not Path(found).exists():
        raise ToolchainNotFound(
            "Node.js not found: install Node 20+ (Debian: apt-get install nodejs) or set PILOTKIT_NODE"
        )
    return Path(found)


def _platform_tag() -> str:
    system = {"Linux": "linux", "Darwin": "darwin", "Windows": "win32"}.get(platform.system(), "linux")
    machine = platform.machine().lower()
    arch = "arm64" if machine in ("arm64", "aarch64") else "amd64"
    return f"{system}-{arch}"


def find_anvil(explicit: str | os.PathLike[str] | None = None, project_root: Path | None = None) -> Path:
    """Locate the Anvil binary: explicit path, $PILOTKIT_ANVIL, PATH, then node_modules.

    From node_modules the native binary of `@foundry-rs/anvil-<os>-<arch>` is preferred over the
    Node wrapper script, so that stopping the node stops the real process and nothing is orphaned.
    """
    for candidate in (explicit, os.environ.get(ANVIL_ENV)):
        if candidate:
            path = Path(candidate)
            if not path.is_file():
                raise ToolchainNotFound(
                    f"anvil not found at {path} (set by argument or ${ANVIL_ENV}): fix the path, or unset it "
                    "and run `npm install` in the project (package.json pins @foundry-rs/anvil) or install "
                    "Foundry (foundryup)"
                )
            return path
    on_path = shutil.which("anvil")
    if on_path and not _is_node_wrapper(Path(on_path)):
        return Path(on_path)
    modules = node_modules_dir(project_root)
    if modules is not None:
        native = modules / "@foundry-rs" / f"anvil-{_platform_tag()}" / "bin" / "anvil"
        if native.is_file():
            return native
    if on_path:
        return Path(on_path)
    raise ToolchainNotFound(
        "anvil not found: install Foundry (foundryup) or run `npm install` in the project "
        "(package.json pins @foundry-rs/anvil), or set $PILOTKIT_ANVIL to the binary"
    )


def find_ganache(explicit: str | os.PathLike[str] | None = None, project_root: Path | None = None) -> list[str]:
    """Command prefix that starts Ganache: explicit path, $PILOTKIT_GANACHE, node_modules, then PATH.

    Ganache is a Node program; it is run as `node <cli.js>` so that the process pilotkit stops is the
    chain itself rather than a shell wrapper.
    """
    for candidate in (explicit, os.environ.get(GANACHE_ENV)):
        if candidate:
            path = Path(candidate)
            if not path.is_file():
                raise ToolchainNotFound(
                    f"ganache not found at {path} (set by argument or ${GANACHE_ENV}): fix the path, or unset "
                    "it and run `npm install` in the project (package.json pins ganache)"
                )
            return _node_command(path)
    modules = node_modules_dir(project_root)
    if modules is not None:
        cli = modules / "ganache" / "dist" / "node" / "cli.js"
        if cli.is_file():
            return [str(find_node()), str(cli)]
    on_path = shutil.which("ganache")
    if on_path:
        return _node_command(Path(on_path))
    raise ToolchainNotFound(
        "ganache not found: run `npm install` in the project (package.json pins ganache), "
        "or set $PILOTKIT_GANACHE to its cli.js"
    )


def _node_command(path: Path) -> list[str]:
    if path.suffix in (".js", ".mjs", ".cjs") or _is_node_wrapper(path):
        return [str(find_node()), str(path.resolve())]
    return [str(path)]


def _is_node_wrapper(path: Path) -> bool:
    """True when `path` is a Node script (npm's bin shims) rather than a native binary."""
    try:
        with path.resolve().open("rb") as handle:
            head = handle.read(64)
    except OSError:
        return False
    return head.startswith(b"#!") and b"node" in head.split(b"\n", 1)[0]
