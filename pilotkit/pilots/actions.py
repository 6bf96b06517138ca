"""What a replay does to the chain, behind one interface.

The engine speaks in `Operation`s (contract key, function, arguments, sender, gas limit) and never touches
web3 itself. `DirectActions` sends them straight through the library to a local chain it controls: signed
with the fixed fees of `txs.py`, held in the pool (no automine) and mined together, one block per `flush`, at
the timestamp the scenario's clock gives. `ApiActions` (`actions_api.py`, `--via api`) maps each operation the
backend offers to its endpoint (`POST /v1/programmes/{address}/rounds`, ...) and `flush` waits for the jobs;
the chain control (time, balances) stays on the local node either way.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from pilotkit.pilots import ReplayError
from pilotkit.pilots.txs import FastAbi, ReplaySigner, contract_address

if TYPE_CHECKING:
    from pilotkit.chain.control import ChainControl
    from pilotkit.chain.rpc import RawRpc
    from pilotkit.compiler.artifacts import ArtifactStore
    from pilotkit.contracts.events import Event, EventDecoder
    from pilotkit.contracts.reverts import ErrorDecoder


@dataclass
class Operation:
    """One transaction the scenario asks for. `items` counts the beneficiary-level operations it carries."""

    contract: str
    function: str
    args: tuple[Any, ...]
    sender: ReplaySigner
    gas: int = 1_000_000
    items: int = 1
    expect_revert: bool = False
    #: what an API needs beyond the calldata (e.g. a round's planned beneficiaries); never part of the transaction
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return f"{self.contract}.{self.function}"


@dataclass
class Pending:
    """A submitted operation; filled in when its block is mined."""

    operation: Operation
    tx_hash: str
    data: bytes
    to: str
    ok: bool | None = None
    gas_used: int = 0
    block: int = 0
    timestamp: int = 0
    logs: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    error_values: dict[str, Any] = field(default_factory=dict)
    _decoder: EventDecoder | None = None

    @property
    def events(self) -> list[Event]:
        if self._decoder is None:
            return []
        decoded = (self._decoder.decode_log(_log_bytes(log)) for log in self.logs)
        return [event for event in decoded if event is not None]

    def events_named(self, name: str) -> list[Event]:
        return [event for event in self.events if event.name == name]


class Actions(Protocol):
    """The replay's only way to act on a chain. Implementations: `DirectActions` (library), `ApiActions` (HTTP API)."""

    chain_id: int
    via: str

    def deploy(self, key: str, contract: str, args: tuple[Any, ...], sender: ReplaySigner, timestamp: int) -> str:
        """Deploy `contract` (mined at once, at `timestamp`) and register it under `key`; returns its address."""
        ...

    def address(self, key: str) -> str: ...

    def submit(self, operation: Operation) -> Pending:
        """Queue a transaction for the next block."""
        ...

    def flush(self, timestamp: int) -> list[Pending]:
        """Mine everything queued in one block at `timestamp`; returns the settled operations."""
        ...

    def pending_count(self) -> int: ...

    def call(self, key: str, function: str, *args: Any) -> tuple[Any, ...]:
        """A view call against the latest block."""
        ...

    def fund(self, addresses: list[str], wei: int) -> None:
        """Give gas money to actors (a local-chain balance change, not a transaction)."""
        ...


def _log_bytes(log: dict[str, Any]) -> dict[str, Any]:
    return {
        "topics": [bytes.fromhex(t[2:]) for t in log["topics"]],
        "data": bytes.fromhex(log["data"][2:]),
        "address": log["address"],
        "logIndex": int(log["logIndex"], 16),
        "transactionHash": bytes.fromhex(log["transactionHash"][2:]),
        "blockNumber": int(log["blockNumber"], 16),
    }


class DirectActions:
    """Operations through the Python library on a local chain: signed locally, packed into blocks."""

    via = "direct"

    def __init__(self, rpc: RawRpc, control: ChainControl, chain_id: int, store: ArtifactStore,
                 errors: ErrorDecoder, events: EventDecoder,
                 on_block: Callable[[list[Pending], float], None] | None = None) -> None:
        self.rpc = rpc
        self.control = control
        self.chain_id = chain_id
        self.store = store
        self.errors = errors
        self.events = events
        self.on_block = on_block
        self._abis: dict[str, FastAbi] = {}
        self._addresses: dict[str, str] = {}
        self._nonces: dict[str, int] = {}
        self._queue: list[Pending] = []
        self.block_number = int(rpc.call("eth_blockNumber"), 16)
        self.blocks_mined = 0
        self.transactions = 0
        self._receipts_by_block = control.kind == "anvil"

    # --- contracts ------------------------------------------------------------------------------------------

    def abi(self, key: str) -> FastAbi:
        return self._abis[key]

    def address(self, key: str) -> str:
        return self._addresses[key]

    def register(self, key: str, contract: str, address: str) -> None:
        artifact = self.store.get(contract)
        self._abis[key] = FastAbi(artifact.contract_name, artifact.abi)
        self._addresses[key] = address

    def deploy(self, key: str, contract: str, args: tuple[Any, ...], sender: ReplaySigner, timestamp: int) -> str:
        artifact = self.store.get(contract)
        fast = FastAbi(artifact.contract_name, artifact.abi)
        nonce = self._next_nonce(sender)
        tx_hash, raw = sender.sign_tx(self.chain_id, nonce, None, fast.deploy_data(artifact.bytecode, *args),
                                      15_000_000)
        self._send(raw)
        address = contract_address(sender.raw_address, nonce)
        pending = Pending(Operation(key, "deploy", args, sender, 15_000_000), tx_hash, b"", "")
        self._queue.append(pending)
        self.flush(timestamp)
        if not pending.ok:
            raise ReplayError(f"deploying {artifact.contract_name} failed in {tx_hash}: {pending.error}")
        self._abis[key] = fast
        self._addresses[key] = address
        return address

    # --- transactions ---------------------------------------------------------------------------------------

    def _next_nonce(self, signer: ReplaySigner) -> int:
        nonce = self._nonces.get(signer.address)
        if nonce is None:
            nonce = int(self.rpc.call("eth_getTransactionCount", [signer.address, "latest"]), 16)
        self._nonces[signer.address] = nonce + 1
        return nonce

    def _send(self, raw: bytes) -> None:
        self.rpc.call("eth_sendRawTransaction", ["0x" + raw.hex()])
        self.transactions += 1

    def submit(self, operation: Operation) -> Pending:
        data = self._abis[operation.contract].encode(operation.function, *operation.args)
        to = self._addresses[operation.contract]
        tx_hash, raw = operation.sender.sign_tx(self.chain_id, self._next_nonce(operation.sender),
                                                bytes.fromhex(to[2:]), data, operation.gas)
        self._send(raw)
        pending = Pending(operation, tx_hash, data, to, _decoder=self.events)
        self._queue.append(pending)
        return pending

    def pending_count(self) -> int:
        return len(self._queue)

    def flush(self, timestamp: int) -> list[Pending]:
        import time

        started = time.perf_counter()
        queue, self._queue = self._queue, []
        self.control.mine(1, timestamp=timestamp)
        self.block_number += 1
        self.blocks_mined += 1
        if not queue:
            if self.on_block:
                self.on_block(queue, time.perf_counter() - started)
            return []
        receipts = self._receipts(queue)
        for pending in queue:
            receipt = receipts.get(pending.tx_hash)
            if receipt is None:
                raise ReplayError(f"{pending.operation.key} ({pending.tx_hash}) was not mined in block "
                                  f"{self.block_number}: the node dropped or delayed it")
            pending.ok = int(receipt["status"], 16) == 1
            pending.gas_used = int(receipt["gasUsed"], 16)
            pending.block = int(receipt["blockNumber"], 16)
            pending.timestamp = timestamp
            pending.logs = receipt["logs"]
            if not pending.ok and pending.data:
                self._explain(pending)
        if self.on_block:
            self.on_block(queue, time.perf_counter() - started)
        return queue

    def _receipts(self, queue: list[Pending]) -> dict[str, dict[str, Any]]:
        if self._receipts_by_block:
            receipts = self.rpc.call("eth_getBlockReceipts", [hex(self.block_number)]) or []
            return {r["transactionHash"]: r for r in receipts}
        found = {}
        for pending in queue:
            receipt = self.rpc.call("eth_getTransactionReceipt", [pending.tx_hash])
            if receipt is not None:
                found[pending.tx_hash] = receipt
        return found

    def _explain(self, pending: Pending) -> None:
        """Name the error of a mined, reverted transaction by re-running it against the block it was in."""
        from pilotkit.chain.rpc import RpcError

        call = {"from": pending.operation.sender.address, "to": pending.to, "data": "0x" + pending.data.hex()}
        try:
            self.rpc.call("eth_call", [call, hex(pending.block)])
        except RpcError as exc:
            data = exc.data.get("data") if isinstance(exc.data, dict) else exc.data
            if isinstance(data, str) and data.startswith("0x"):
                decoded = self.errors.decode(bytes.fromhex(data[2:]), function=pending.operation.key)
                pending.error = decoded.error_name
                pending.error_values = decoded.values
                return
            pending.error = f"reverted: {exc}"
            return
        pending.error = "reverted (out of gas or a state change in the same block)"

    # --- reads and chain control ----------------------------------------------------------------------------

    def call(self, key: str, function: str, *args: Any) -> tuple[Any, ...]:
        fast = self._abis[key]
        data = fast.encode(function, *args)
        result = self.rpc.call("eth_call", [{"to": self._addresses[key], "data": "0x" + data.hex()}, "latest"])
        return fast.decode(function, len(args), bytes.fromhex(result[2:]))

    def fund(self, addresses: list[str], wei: int) -> None:
        for address in addresses:
            self.control.set_balance(address, wei)
