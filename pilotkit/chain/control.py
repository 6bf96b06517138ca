"""Chain control for development nodes: snapshots, time travel and mining, on Anvil, Ganache and any node that
speaks Hardhat's dialect (Hardhat's node, and Anvil or Ganache reached as an rpc network); `probe` finds which."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pilotkit.chain.rpc import RawRpc
from pilotkit.errors import NetworkError

#: what a replay needs of a chain, and the methods that give it in each dialect (the first answering one is used)
CONTROLS: dict[str, dict[str, str]] = {
    "snapshots": {"anvil": "evm_snapshot", "hardhat": "evm_snapshot", "ganache": "evm_snapshot"},
    "reverts": {"anvil": "evm_revert", "hardhat": "evm_revert", "ganache": "evm_revert"},
    "block timestamps": {"anvil": "evm_setNextBlockTimestamp", "hardhat": "evm_setNextBlockTimestamp",
                         "ganache": "evm_setTime"},
    "mining on demand": {"anvil": "anvil_mine", "hardhat": "hardhat_mine", "ganache": "evm_mine"},
    "holding transactions": {"anvil": "evm_setAutomine", "hardhat": "evm_setAutomine", "ganache": "miner_stop"},
    "balances": {"anvil": "anvil_setBalance", "hardhat": "hardhat_setBalance", "ganache": "evm_setAccountBalance"},
}
_MISSING_CODES = (-32601, -32004)  # "method not found", "method not supported"


#: how each method is asked when probing: bad parameters, so a node that has the method refuses the parameters and
#: changes nothing; a snapshot is taken for real (and reverted, which probes evm_revert)
_PROBE_PARAMS: dict[str, list[Any]] = {"evm_setAutomine": [True], "miner_stop": [], "evm_snapshot": []}
_PROBE_AS = {"miner_stop": "miner_start"}  # asking miner_stop would stop a running chain's mining


def probe(rpc: RawRpc) -> tuple[str | None, list[str]]:
    """Which dialect a chain speaks (`anvil`, `hardhat`, `ganache`), or None and the controls it lacks (named with
    the method a replay would call). Nothing changes on the chain: the methods are asked with parameters they
    refuse, a node lacking one answers "method not found"."""
    from pilotkit.chain.rpc import RpcError

    answers: dict[str, bool] = {}
    snapshot: Any = None

    def has(method: str) -> bool:
        nonlocal snapshot
        if method == "evm_revert":
            if snapshot is None:
                return False
            method_params: list[Any] = [snapshot]
        else:
            method_params = _PROBE_PARAMS.get(method, ["pilotkit-probe"])
        asked = _PROBE_AS.get(method, method)
        if asked not in answers:
            try:
                result = rpc.call(asked, method_params)
                answers[asked] = True
                if asked == "evm_snapshot":
                    snapshot = result
            except RpcError as exc:
                text = str(exc).lower()
                answers[asked] = not (exc.code in _MISSING_CODES or "not found" in text or "not supported" in text
                                      or "does not exist" in text or "unsupported" in text
                                      or "not available" in text)
        return answers[asked]

    best: tuple[int, str, list[str]] | None = None
    for dialect in ("anvil", "hardhat", "ganache"):
        missing = [f"{need} ({methods[dialect]})" for need, methods in CONTROLS.items() if not has(methods[dialect])]
        if not missing:
            return dialect, []
        if best is None or len(missing) < best[0]:
            best = (len(missing), dialect, missing)
    assert best is not None
    return None, best[2]


class ChainControl:
    """Development-node RPCs behind one interface: local chains, or any development chain `probe` recognises."""

    def __init__(self, rpc: RawRpc, kind: str) -> None:
        if kind not in ("anvil", "ganache", "hardhat"):
            raise NetworkError(f"chain control needs a development chain (anvil, ganache, or one answering Hardhat's "
                               f"controls), not '{kind}'")
        self.rpc = rpc
        self.kind = kind
        self._on_revert: list[Callable[[], None]] = []

    def on_revert(self, callback: Callable[[], None]) -> None:
        """Run `callback` after every revert (e.g. to forget cached nonces)."""
        self._on_revert.append(callback)

    def snapshot(self) -> str:
        """Take a snapshot of the whole chain state; returns its id."""
        return str(self.rpc.call("evm_snapshot"))

    def revert(self, snapshot_id: str) -> None:
        """Return to a snapshot (the snapshot is consumed; take a new one to return again)."""
        if not self.rpc.call("evm_revert", [snapshot_id]):
            raise NetworkError(f"snapshot {snapshot_id} could not be reverted (already used or unknown)")
        for callback in self._on_revert:
            callback()

    @contextmanager
    def isolated(self) -> Iterator[None]:
        """Everything done inside the block is undone on exit."""
        snapshot = self.snapshot()
        try:
            yield
        finally:
            self.revert(snapshot)

    def block_number(self) -> int:
        return int(self.rpc.call("eth_blockNumber"), 16)

    def time(self) -> int:
        """Timestamp of the latest block."""
        return int(self.rpc.call("eth_getBlockByNumber", ["latest", False])["timestamp"], 16)

    def mine(self, blocks: int = 1, timestamp: int | None = None) -> None:
        """Mine `blocks` blocks (the first at `timestamp` when given)."""
        if timestamp is not None:
            self.set_next_timestamp(timestamp)
        if self.kind == "anvil":
            self.rpc.call("anvil_mine", [hex(blocks)])
        elif self.kind == "hardhat":
            self.rpc.call("hardhat_mine", [hex(blocks)])
        else:
            for _ in range(blocks):
                self.rpc.call("evm_mine")

    def sleep(self, seconds: int) -> int:
        """Advance chain time by `seconds` and mine a block at the new time; returns that timestamp."""
        target = self.time() + int(seconds)
        self.mine(1, timestamp=target)
        return target

    def window_start(self, length: int, period: int) -> int:
        """A start time at which `[start, start + length)` lies inside one `period`-long period.

        Contracts that cap amounts per period (e.g. CashProgramme's rounds) refuse windows that straddle a
        period boundary; when the current period has less than `length` left, this mines a block at the
        next period's first second and returns that time.
        """
        now = self.time()
        period_end = (now // period + 1) * period
        if period_end - now < length:
            self.mine(1, timestamp=period_end)
            now = self.time()
        return now

    def set_next_timestamp(self, timestamp: int) -> None:
        if self.kind in ("anvil", "hardhat"):
            self.rpc.call("evm_setNextBlockTimestamp", [hex(int(timestamp))])
        else:
            self.rpc.call("evm_setTime", [int(timestamp) * 1000])

    def set_automine(self, enabled: bool) -> None:
        """Mine each transaction on arrival (default), or hold them until `mine()`."""
        if self.kind in ("anvil", "hardhat"):
            self.rpc.call("evm_setAutomine", [enabled])
        else:
            self.rpc.call("miner_start" if enabled else "miner_stop")

    @contextmanager
    def no_automine(self) -> Iterator[None]:
        """Queue transactions inside the block; mine them together with `mine()`."""
        self.set_automine(False)
        try:
            yield
        finally:
            self.set_automine(True)

    def reorg(self, depth: int, transactions: list[tuple[str, int]] | None = None) -> None:
        """Anvil only: replace the last `depth` blocks; `transactions` are (raw signed tx hex, block offset).

        Cached nonces are forgotten afterwards (the on-revert callbacks run), since the replaced blocks'
        transactions are gone.
        """
        if self.kind != "anvil":
            raise NetworkError("reorgs can only be injected on Anvil")
        self.rpc.call("anvil_reorg", [int(depth), [[raw, int(offset)] for raw, offset in transactions or []]])
        for callback in self._on_revert:
            callback()

    def set_balance(self, address: str, wei: int) -> None:
        method = {"anvil": "anvil_setBalance", "hardhat": "hardhat_setBalance"}.get(self.kind, "evm_setAccountBalance")
        self.rpc.call(method, [address, hex(wei)])

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        """Any other RPC (e.g. anvil_reorg, anvil_dropTransaction)."""
        return self.rpc.call(method, params)
