"""Local chains pilotkit starts and stops itself: Anvil (default) and Ganache, on 127.0.0.1 only."""

from __future__ import annotations

import re
import shutil
import tempfile
import threading
import time
from pathlib import Path
from types import TracebackType

from pilotkit.chain.process import ManagedProcess, free_port
from pilotkit.chain.rpc import RawRpc
from pilotkit.errors import NodeStartError, PilotkitError
from pilotkit.toolchain.discovery import find_anvil, find_ganache

#: The well-known development mnemonic (Anvil's and Hardhat's default). Never use it on a real network.
DEV_MNEMONIC = "test test test test test test test test test test test junk"
HOST = "127.0.0.1"
_LISTENING = re.compile(r"Listening on (?:https?://)?([0-9.]+):(\d+)")


class LocalNode:
    """A local chain process; use it as a context manager so it is always stopped."""

    kind = "local"

    def __init__(self, chain_id: int, accounts: int, balance_ether: int, mnemonic: str,
                 startup_timeout: float) -> None:
        self.chain_id = chain_id
        self.accounts = accounts
        self.balance_ether = balance_ether
        self.mnemonic = mnemonic
        self.startup_timeout = startup_timeout
        self.port: int | None = None
        self.ipc_path: str | None = None
        self.process: ManagedProcess | None = None
        self._ready = threading.Event()

    @property
    def url(self) -> str:
        if self.port is None:
            raise PilotkitError(f"{self.kind} is not running")
        return f"http://{HOST}:{self.port}"

    @property
    def endpoint(self) -> str:
        """The fastest way in: the IPC socket when there is one, else the HTTP URL."""
        return self.ipc_path or self.url

    def rpc(self) -> RawRpc:
        return RawRpc(url=None if self.ipc_path else self.url, ipc_path=self.ipc_path)

    def start(self) -> LocalNode:
        raise NotImplementedError

    def stop(self) -> None:
        if self.process is not None:
            self.process.stop()
            self.process = None
        self.port = None

    def __enter__(self) -> LocalNode:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    def _await_ready(self, process: ManagedProcess) -> None:
        deadline = time.monotonic() + self.startup_timeout
        while not self._ready.wait(0.02):
            if not process.alive():
                raise NodeStartError(f"{self.kind} exited during start-up:\n{process.recent_output()[-2000:]}")
            if time.monotonic() > deadline:
                process.stop()
                raise NodeStartError(f"{self.kind} did not start within {self.startup_timeout:.0f}s:\n"
                                     f"{process.recent_output()[-2000:]}")
        rpc = self.rpc()
        while True:
            try:
                answered = int(rpc.call("eth_chainId"), 16)
                break
            except PilotkitError:
                if time.monotonic() > deadline:
                    process.stop()
                    raise NodeStartError(f"{self.kind} is not answering JSON-RPC on {self.endpoint}") from None
                time.sleep(0.02)
            finally:
                rpc.close()
        if answered != self.chain_id:
            process.stop()
            raise NodeStartError(f"{self.kind} answered chain id {answered}, expected {self.chain_id}")


class AnvilNode(LocalNode):
    """Foundry's Anvil on a free port of 127.0.0.1, with an IPC socket in a private temp folder."""

    kind = "anvil"

    def __init__(self, chain_id: int = 31337, accounts: int = 10, balance_ether: int = 10_000,
                 mnemonic: str = DEV_MNEMONIC, hardfork: str | None = None, block_time: float | None = None,
                 ipc: bool = True, anvil_path: str | None = None, project_root: Path | None = None,
                 extra_args: list[str] | None = None, startup_timeout: float = 30.0) -> None:
        super().__init__(chain_id, accounts, balance_ether, mnemonic, startup_timeout)
        self.hardfork = hardfork
        self.block_time = block_time
        self.use_ipc = ipc
        self.binary = find_anvil(anvil_path, project_root)
        self.extra_args = extra_args or []
        self._tmpdir: str | None = None

    def start(self) -> AnvilNode:
        if self.process is not None:
            return self
        argv = [
            str(self.binary), "--host", HOST, "--port", "0", "--chain-id", str(self.chain_id),
            "--accounts", str(self.accounts), "--balance", str(self.balance_ether), "--mnemonic", self.mnemonic,
        ]
        if self.use_ipc:
            self._tmpdir = tempfile.mkdtemp(prefix="pk-anvil-")
            self.ipc_path = str(Path(self._tmpdir) / "anvil.ipc")
            argv += ["--ipc", self.ipc_path]
        if self.hardfork:
            argv += ["--hardfork", self.hardfork]
        if self.block_time:
            argv += ["--block-time", str(self.block_time)]
        argv += self.extra_args
        self._ready.clear()
        self.process = ManagedProcess(argv, on_line=self._watch)
        try:
            self._await_ready(self.process)
        except BaseException:
            self.stop()
            raise
        return self

    def _watch(self, line: str) -> None:
        match = _LISTENING.search(line)
        if match:
            self.port = int(match.group(2))
            self._ready.set()

    def stop(self) -> None:
        super().stop()
        if self._tmpdir:
            shutil.rmtree(self._tmpdir, ignore_errors=True)
            self._tmpdir = None
        self.ipc_path = None


class GanacheNode(LocalNode):
    """Ganache on 127.0.0.1 (HTTP only); it implements EVM rules up to Shanghai."""

    kind = "ganache"

    def __init__(self, chain_id: int = 1337, accounts: int = 10, balance_ether: int = 10_000,
                 mnemonic: str = DEV_MNEMONIC, hardfork: str = "shanghai", ganache_cmd: str | None = None,
                 project_root: Path | None = None, extra_args: list[str] | None = None,
                 startup_timeout: float = 60.0) -> None:
        super().__init__(chain_id, accounts, balance_ether, mnemonic, startup_timeout)
        self.hardfork = hardfork
        self.command = find_ganache(ganache_cmd, project_root)
        self.extra_args = extra_args or []

    def start(self) -> GanacheNode:
        if self.process is not None:
            return self
        for attempt in range(3):
            self.port = free_port()
            argv = [
                *self.command, "--server.host", HOST, "--server.port", str(self.port),
                "--chain.chainId", str(self.chain_id), "--chain.networkId", str(self.chain_id),
                "--chain.hardfork", self.hardfork, "--wallet.mnemonic", self.mnemonic,
                "--wallet.totalAccounts", str(self.accounts), "--wallet.defaultBalance", str(self.balance_ether),
                "--miner.instamine", "eager", *self.extra_args,
            ]
            self._ready.clear()
            self.process = ManagedProcess(argv, on_line=self._watch)
            try:
                self._await_ready(self.process)
                return self
            except NodeStartError:
                output = self.process.recent_output() if self.process else ""
                self.stop()
                if "EADDRINUSE" not in output or attempt == 2:
                    raise
        return self

    def _watch(self, line: str) -> None:
        if _LISTENING.search(line):
            self._ready.set()
