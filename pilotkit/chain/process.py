"""Child processes that can never outlive pilotkit: own session, parent-death signal, atexit sweep."""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import os
import signal
import socket
import subprocess
import threading
from collections import deque
from collections.abc import Callable

_PR_SET_PDEATHSIG = 1
_LIVE: set[ManagedProcess] = set()


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago (used where a tool cannot take port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _child_setup() -> None:
    os.setsid()
    if os.uname().sysname == "Linux":
        try:
            libc = ctypes.CDLL(None, use_errno=True)
            libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)
        except OSError:
            pass


class ManagedProcess:
    """A child process whose output is drained into a small ring buffer and which is always reaped.

    The child runs in its own session (Ctrl-C in the terminal reaches pilotkit, which then stops it
    in order) and, on Linux, receives SIGTERM if pilotkit dies without cleaning up.
    """

    def __init__(self, argv: list[str], on_line: Callable[[str], None] | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.argv = argv
        self.output: deque[str] = deque(maxlen=200)
        self._on_line = on_line
        # prctl(PDEATHSIG) fires when the *thread* that forked exits, so only use it from the main thread.
        preexec = _child_setup if threading.current_thread() is threading.main_thread() else os.setsid
        self.popen = subprocess.Popen(
            argv,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            preexec_fn=preexec,
            env=env,
        )
        _LIVE.add(self)
        self._reader = threading.Thread(target=self._drain, name=f"drain-{self.popen.pid}", daemon=True)
        self._reader.start()

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def recent_output(self) -> str:
        return "\n".join(self.output)

    def _drain(self) -> None:
        stream = self.popen.stdout
        if stream is None:
            return
        for raw in iter(stream.readline, b""):
            line = raw.decode("utf-8", "replace").rstrip()
            self.output.append(line)
            if self._on_line is not None:
                self._on_line(line)
        stream.close()

    def stop(self, timeout: float = 5.0) -> None:
        """Terminate the whole process group, escalating to SIGKILL; idempotent."""
        _LIVE.discard(self)
        if self.popen.poll() is None:
            _signal_group(self.popen.pid, signal.SIGTERM)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.popen.pid, signal.SIGKILL)
                self.popen.wait()
        else:
            _signal_group(self.popen.pid, signal.SIGKILL)  # stray grandchildren, if any
        self._reader.join(timeout=2)


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


@atexit.register
def _stop_all() -> None:
    for process in list(_LIVE):
        process.stop(timeout=2)
