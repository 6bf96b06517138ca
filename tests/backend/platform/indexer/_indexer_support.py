"""Helpers for the indexer tests: a token with thousands of Transfers, the reference view from eth_getLogs."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pilotkit_backend.db.base import Base
from pilotkit_backend.db.engine import make_engine
from pilotkit_backend.platform.indexer.indexer import EventIndexer, FollowedContract
from pilotkit_backend.platform.indexer.queries import EventQuery
from pilotkit_backend.platform.indexer.rpc import JsonRpcClient
from pilotkit_backend.platform.models.index import IndexedBlock, IndexedEvent, IndexerCheckpoint
from sqlalchemy import Engine, func, select

from pilotkit.contracts.events import EventDecoder

if TYPE_CHECKING:
    from pilotkit.accounts.signer import Signer
    from pilotkit.chain.connection import Connection
    from pilotkit.chain.control import ChainControl
    from pilotkit.contracts.handle import ContractHandle

#: The `make_indexer` fixture: builds an EventIndexer on the test database (options as EventIndexer's).
IndexerFactory = Callable[..., EventIndexer]
TABLES = [IndexedBlock.__table__, IndexedEvent.__table__, IndexerCheckpoint.__table__]
MINT = "0x40c10f19"
TRANSFER = "0xa9059cbb"
BIG = 2**200 + 12345  # far beyond 2**63: must survive storage exactly


def create_index_tables(url: str) -> Engine:
    """An engine on `url` with the indexer's tables (created from the models)."""
    engine = make_engine(url)
    Base.metadata.create_all(engine, tables=TABLES)  # type: ignore[arg-type]
    return engine


def word(value: int | str) -> str:
    if isinstance(value, str):
        return value[2:].lower().rjust(64, "0")
    return f"{value:064x}"


@dataclass
class Minter:
    """Sends many pre-signed token calls per block: no estimate, no wait, one JSON-RPC batch per block."""

    connection: Connection
    chain: ChainControl
    token: ContractHandle
    signer: Signer

    def __post_init__(self) -> None:
        node = self.connection.node
        assert node is not None
        self.rpc = JsonRpcClient(ipc_path=node.ipc_path, url=None if node.ipc_path else node.url)
        self.serial = 0

    def nonce(self, block: str | int = "pending") -> int:
        web3: Any = self.connection.web3
        return int(web3.eth.get_transaction_count(self.signer.address, block))

    def signed(self, calls: list[str], first_nonce: int) -> list[str]:
        raws = []
        fees = self.token.sender.fees()  # full blocks raise the base fee: price each batch afresh
        for offset, data in enumerate(calls):
            tx = {"chainId": self.connection.chain_id, "to": self.token.address, "value": 0, "gas": 150_000,
                  "nonce": first_nonce + offset, "data": data, **fees}
            raws.append("0x" + self.token.sender.sign(self.signer, tx)[1].hex())
        return raws

    def mint_calls(self, count: int, amount: int | None = None) -> list[str]:
        """`count` mint calls to fresh recipients (a new address each, as with new beneficiaries)."""
        calls = []
        for _ in range(count):
            self.serial += 1
            value = amount if amount is not None else BIG + self.serial
            calls.append(MINT + word(0x10_0000 + self.serial) + word(value))
        return calls

    def mine_calls(self, calls: list[str], per_block: int = 250) -> None:
        """Send the calls packed `per_block` to a block, mining each block."""
        nonce = self.nonce()
        with self.chain.no_automine():
            for start in range(0, len(calls), per_block):
                chunk = calls[start:start + per_block]
                replies = self.rpc.batch([("eth_sendRawTransaction", [raw]) for raw in self.signed(chunk, nonce)])
                failed = [reply for reply in replies if isinstance(reply, Exception)]
                assert not failed, failed[:3]
                nonce += len(chunk)
                self.chain.mine()

    def mint(self, count: int, per_block: int = 250) -> None:
        self.mine_calls(self.mint_calls(count), per_block)

    def close(self) -> None:
        self.rpc.close()


def reference_events(connection: Connection, decoder: EventDecoder, address: str, from_block: int,
                     to_block: int) -> list[dict[str, Any]]:
    """What a fresh eth_getLogs says, decoded with the project's EventDecoder."""
    web3: Any = connection.web3
    logs = web3.eth.get_logs({"fromBlock": from_block, "toBlock": to_block, "address": address})
    found = []
    for log in logs:
        event = decoder.decode_log(log)
        found.append({
            "key": ("0x" + bytes(log["blockHash"]).hex(), "0x" + bytes(log["transactionHash"]).hex(),
                    int(log["logIndex"])),
            "block_number": int(log["blockNumber"]),
            "contract": log["address"],
            "name": event.name if event else None,
            "args": event.args if event else None,
        })
    return found


def stored_events(engine: Engine, indexer: str | None = None) -> list[dict[str, Any]]:
    """The index's events in chain order, in the same shape as `reference_events`."""
    return [{"key": e.key, "block_number": e.block_number, "contract": e.contract, "name": e.name, "args": e.args}
            for e in EventQuery(engine, indexer=indexer).iterate(page_size=700)]


def snapshot_tables(engine: Engine) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the three tables (ids left out for events), for before/after comparisons."""
    with engine.connect() as conn:
        events = conn.execute(select(*[c for c in IndexedEvent.__table__.c if c.name != "id"]).order_by(
            IndexedEvent.block_number, IndexedEvent.log_index)).all()
        blocks = conn.execute(select(IndexedBlock.__table__).order_by(IndexedBlock.number)).all()
        checkpoints = conn.execute(select(
            IndexerCheckpoint.name, IndexerCheckpoint.chain_id, IndexerCheckpoint.block_number,
            IndexerCheckpoint.block_hash, IndexerCheckpoint.contracts)).all()
    return {"events": [tuple(r) for r in events], "blocks": [tuple(r) for r in blocks],
            "checkpoints": [tuple(r) for r in checkpoints]}


def duplicate_keys(engine: Engine) -> int:
    """How many stored events share (block hash, tx hash, log index) or chain position with another one."""
    table = IndexedEvent.__table__
    with engine.connect() as conn:
        total = conn.execute(select(func.count()).select_from(table)).scalar_one()
        positions = conn.execute(select(func.count()).select_from(
            select(table.c.block_number, table.c.log_index).distinct().subquery())).scalar_one()
    return int(total) - int(positions)


def fresh_index(connection: Connection, contracts: list[FollowedContract], url: str,
                shared_abis: list[list[dict[str, Any]]], confirmations: int = 1) -> list[dict[str, Any]]:
    """Index the same contracts from scratch into another, empty database; return its events."""
    engine = create_index_tables(url)
    node = connection.node
    assert node is not None
    indexer = EventIndexer(engine, JsonRpcClient(ipc_path=node.ipc_path), contracts, chain_id=connection.chain_id,
                           name="fresh", confirmations=confirmations, shared_abis=shared_abis)
    try:
        indexer.sync_once()
        return stored_events(engine)
    finally:
        indexer.close()
        engine.dispose()
