"""Where a running `pilotkit node` (or `pilotkit demo`) says it is, so that `--network local` commands attach to it.

The file is `<project>/.pilotkit/node-<network>.json` (git-ignored): url, ipc, chain id and the owning process id.
It is written when the chain is up and removed when it stops; a file whose process is gone is ignored and removed.
"""

from __future__ import annotations

import contextlib
import json
import os
from pathlib import Path
from typing import Any


def endpoint_path(root: Path, network: str) -> Path:
    return root / ".pilotkit" / f"node-{network}.json"


def publish(root: Path, network: str, url: str, ipc: str | None, chain_id: int, kind: str) -> Path:
    """Record that this process runs `network`'s chain at `url` (atomically)."""
    path = endpoint_path(root, network)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(f".{os.getpid()}.tmp")
    temporary.write_text(json.dumps({"network": network, "kind": kind, "url": url, "ipc": ipc,
                                     "chain_id": chain_id, "pid": os.getpid()}, indent=2) + "\n")
    temporary.replace(path)
    return path


def withdraw(root: Path, network: str) -> None:
    """Remove this process's endpoint file (another process's is left alone)."""
    path = endpoint_path(root, network)
    found = _read(path)
    if found is not None and found.get("pid") == os.getpid():
        with contextlib.suppress(OSError):
            path.unlink()


def find(root: Path, network: str) -> dict[str, Any] | None:
    """The running chain of `network` in this project, or None (a stale file is removed)."""
    path = endpoint_path(root, network)
    found = _read(path)
    if found is None:
        return None
    try:
        os.kill(int(found["pid"]), 0)
    except (OSError, ValueError, KeyError, TypeError):
        with contextlib.suppress(OSError):
            path.unlink()
        return None
    return found


def _read(path: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None
