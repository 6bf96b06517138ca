"""Helpers shared by the foundation tests: copying the sample project and watching processes via /proc."""

from __future__ import annotations

import os
import shutil
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SAMPLE = REPO / "tests" / "fixtures" / "sample"
DEV0 = "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266"


def copy_sample(target: Path) -> Path:
    """Copy the sample project (without build output) to `target`, its remapping pointing at the repo."""
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("build", "deployments"))
    config = target / "pilotkit.toml"
    config.write_text(
        config.read_text().replace("../../../node_modules/", f"{REPO.as_posix()}/node_modules/")
    )
    return target


def proc_state(pid: int) -> str | None:
    """The process state letter from /proc (R, S, Z, ...), or None when the pid does not exist."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return stat.rsplit(")", 1)[1].split()[0]


def is_running(pid: int) -> bool:
    """True while `pid` exists and is not a zombie."""
    state = proc_state(pid)
    return state is not None and state != "Z"


def wait_until_gone(pid: int, timeout: float = 10.0) -> bool:
    """Poll until `pid` has exited (or is a zombie nobody reaped yet); False on timeout."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not is_running(pid):
            return True
        time.sleep(0.05)
    return not is_running(pid)


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid` (every thread's children file)."""
    found: list[int] = []
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            found += [int(p) for p in children.read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return sorted(set(found))


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except (FileNotFoundError, ProcessLookupError):
        return ""


def group_members(pgid: int) -> list[int]:
    """Live processes whose process group is `pgid` (what a node's stop must have cleared)."""
    members = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        if int(fields[2]) == pgid and fields[0] != "Z":
            members.append(int(entry.name))
    return members


def chain_children() -> list[tuple[int, str]]:
    """Children of this test process that are chains (anything but the long-lived solc-js bridge)."""
    result = []
    for pid in child_pids(os.getpid()):
        line = cmdline(pid)
        if line and "solcjs_bridge.js" not in line:
            result.append((pid, line))
    return result


class LineReader:
    """Collects a subprocess's output lines on a thread so tests can wait for a line with a deadline."""

    def __init__(self, stream: object) -> None:
        import queue
        import threading

        self.lines: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._thread = threading.Thread(target=self._pump, args=(stream,), daemon=True)
        self._thread.start()

    def _pump(self, stream: object) -> None:
        for line in iter(stream.readline, ""):  # type: ignore[attr-defined]
            self._queue.put(line.rstrip("\n"))
        self._queue.put(None)

    def wait_for(self, marker: str, timeout: float = 60.0) -> str:
        """The first line containing `marker`; AssertionError (with the output so far) on timeout or EOF."""
        import queue

        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                raise AssertionError(f"no line with {marker!r} within {timeout}s:\n" + "\n".join(self.lines))
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                raise AssertionError(f"output ended before {marker!r}:\n" + "\n".join(self.lines))
            self.lines.append(line)
            if marker in line:
                return line

    def rest(self, timeout: float = 10.0) -> str:
        """Everything still to come, once the stream closes."""
        self._thread.join(timeout)
        while not self._queue.empty():
            line = self._queue.get()
            if line is not None:
                self.lines.append(line)
        return "\n".join(self.lines)


def listening_on_loopback_only(pid: int, port: int) -> bool:
    """True when `pid`'s TCP listener on `port` is bound to 127.0.0.1 (from /proc/<pid>/net/tcp)."""
    hexport = f"{port:04X}"
    binds = []
    for table in ("tcp", "tcp6"):
        try:
            rows = Path(f"/proc/{pid}/net/{table}").read_text().splitlines()[1:]
        except FileNotFoundError:
            continue
        for row in rows:
            local, state = row.split()[1], row.split()[3]
            address, _, lport = local.partition(":")
            if lport == hexport and state == "0A":  # LISTEN
                binds.append(address)
    return bool(binds) and all(address == "0100007F" for address in binds)


def kill_if_running(pid: int) -> None:
    """Last-resort cleanup in a failing test: never leave a process behind."""
    import contextlib
    import signal

    if is_running(pid):
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
