"""Indexing a real TestStablecoin on Anvil: exact match with eth_getLogs, confirmations, restarts, crashes."""

from __future__ import annotations

import json
import threading
from typing import Any

import pytest
from _indexer_support import (
    BIG,
    IndexerFactory,
    Minter,
    duplicate_keys,
    reference_events,
    snapshot_tables,
    stored_events,
)
from pilotkit_backend.platform.indexer.decode import canonical_json
from pilotkit_backend.platform.indexer.indexer import DuplicateEvents, EventIndexer, FollowedContract
from pilotkit_backend.platform.indexer.rpc import JsonRpcClient
from pilotkit_backend.platform.indexer.store import IndexStore
from pilotkit_backend.platform.models.index import IndexedBlock, IndexedEvent
from sqlalchemy import Engine, func, select

from pilotkit.chain.connection import Connection
from pilotkit.chain.control import ChainControl
from pilotkit.contracts.events import EventDecoder
from pilotkit.contracts.handle import ContractHandle
from pilotkit.errors import NetworkError


def _reference(connection: Connection, shared_abis: list[list[dict[str, Any]]], token: ContractHandle,
               to_block: int) -> list[dict[str, Any]]:
    return reference_events(connection, EventDecoder(shared_abis), token.address,
                            int(token.deploy_receipt["blockNumber"]), to_block)


@pytest.mark.parametrize("batch_blocks,prefetch", [(2000, True), (1, True), (1, False)])
def test_index_equals_a_fresh_get_logs(make_indexer: IndexerFactory, minter: Minter, engine: Engine,
                                       pilot_connection: Connection, chain: ChainControl, token: ContractHandle,
                                       shared_abis: list[list[dict[str, Any]]], batch_blocks: int,
                                       prefetch: bool) -> None:
    minter.mint(1500, per_block=300)
    head = chain.block_number()
    result = make_indexer(confirmations=1, batch_blocks=batch_blocks, prefetch=prefetch).sync_once()

    assert result.checkpoint == head and result.caught_up
    assert result.events == 1500 + 2  # the mints plus the two RoleGranted of the constructor
    assert result.reorg_depth == 0
    stored = stored_events(engine)
    assert stored == _reference(pilot_connection, shared_abis, token, head)
    assert {e["name"] for e in stored} == {"RoleGranted", "Transfer"}
    assert all(e["args"]["value"] > BIG for e in stored if e["name"] == "Transfer")  # > 2**200, exact
    assert duplicate_keys(engine) == 0


def test_block_headers_and_timestamps_match_the_chain(make_indexer: IndexerFactory, minter: Minter,
                                                      engine: Engine, pilot_connection: Connection) -> None:
    minter.mint(40, per_block=10)
    make_indexer().sync_once()
    web3 = pilot_connection.web3
    with engine.connect() as conn:
        blocks = conn.execute(select(IndexedBlock.number, IndexedBlock.hash, IndexedBlock.parent_hash,
                                     IndexedBlock.timestamp)).all()
        event_blocks = conn.execute(select(IndexedEvent.block_number, IndexedEvent.block_hash,
                                           IndexedEvent.block_timestamp).distinct()).all()
    assert len(blocks) >= 5
    for number, block_hash, parent_hash, timestamp in blocks:
        on_chain = web3.eth.get_block(number)
        assert (block_hash, parent_hash, timestamp) == (
            "0x" + bytes(on_chain["hash"]).hex(), "0x" + bytes(on_chain["parentHash"]).hex(), on_chain["timestamp"])
    stored_headers = {number: (block_hash, timestamp) for number, block_hash, _, timestamp in blocks}
    for number, block_hash, timestamp in event_blocks:
        assert stored_headers[number] == (block_hash, timestamp)


def test_args_are_canonical_json_text(make_indexer: IndexerFactory, minter: Minter, engine: Engine) -> None:
    minter.mint(3, per_block=3)
    make_indexer().sync_once()
    with engine.connect() as conn:
        texts = conn.execute(select(IndexedEvent.args).where(IndexedEvent.name == "Transfer")).scalars().all()
    assert len(texts) == 3
    for text in texts:
        assert text == canonical_json(json.loads(text))  # sorted keys, no whitespace
        assert text.startswith('{"from":"0x0000000000000000000000000000000000000000","to":"0x')
        assert BIG < json.loads(text)["value"] < BIG + 10  # exact beyond 2**63


def test_confirmation_depth_holds_back_the_newest_blocks(make_indexer: IndexerFactory, minter: Minter,
                                                         engine: Engine, chain: ChainControl) -> None:
    minter.mint(30, per_block=10)  # three blocks with ten Transfers each
    head = chain.block_number()
    indexer = make_indexer(confirmations=3)  # a block counts once it has 3 confirmations (1 = mined)
    result = indexer.sync_once()
    assert result.checkpoint == head - 2 and result.safe_head == head - 2
    assert indexer.count(name="Transfer") == 10  # the last two blocks are not confirmed yet

    chain.mine(1)
    assert indexer.sync_once().checkpoint == head - 1
    assert indexer.count(name="Transfer") == 20
    chain.mine(1)
    assert indexer.sync_once().checkpoint == head
    assert indexer.count(name="Transfer") == 30
    checkpoint = indexer.checkpoint()
    assert checkpoint is not None and checkpoint.confirmations == 3


def test_confirmations_zero_and_one_both_index_the_head(make_indexer: IndexerFactory, minter: Minter,
                                                        chain: ChainControl) -> None:
    minter.mint(5, per_block=5)
    assert make_indexer(confirmations=0).sync_once().checkpoint == chain.block_number()


def test_restart_resumes_from_the_checkpoint(make_indexer: IndexerFactory, minter: Minter, engine: Engine,
                                             pilot_connection: Connection, chain: ChainControl,
                                             token: ContractHandle, shared_abis: list[list[dict[str, Any]]],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    minter.mint(600, per_block=100)
    first = make_indexer(batch_blocks=2)
    partial = first.sync_once(max_blocks=3)
    assert partial.blocks == 3 and not partial.caught_up
    first.close()

    minter.mint(200, per_block=100)
    head = chain.block_number()
    fetched: list[tuple[int, int]] = []
    second = make_indexer(batch_blocks=2)  # a new object on the same database, as after a process restart
    original = second._fetch_range

    def spy(checkpoint: Any, end: int) -> Any:
        fetched.append((checkpoint.number + 1, end))
        return original(checkpoint, end)

    monkeypatch.setattr(second, "_fetch_range", spy)
    resumed = second.sync_once()
    assert fetched[0][0] == partial.checkpoint + 1  # no block fetched twice, none skipped
    assert all(b[0] == a[1] + 1 for a, b in zip(fetched, fetched[1:], strict=False))
    assert resumed.checkpoint == head
    assert stored_events(engine) == _reference(pilot_connection, shared_abis, token, head)
    assert duplicate_keys(engine) == 0


def test_a_crash_inside_the_range_transaction_leaves_no_trace(
        make_indexer: IndexerFactory, minter: Minter, engine: Engine, pilot_connection: Connection,
        chain: ChainControl, token: ContractHandle, shared_abis: list[list[dict[str, Any]]],
        monkeypatch: pytest.MonkeyPatch) -> None:
    minter.mint(200, per_block=50)
    indexer = make_indexer(batch_blocks=2)
    indexer.sync_once(max_blocks=2)
    before = snapshot_tables(engine)
    assert before["events"]

    minter.mint(300, per_block=50)
    original = IndexStore._insert_events

    def insert_then_die(self: IndexStore, conn: Any, events: Any) -> None:
        original(self, conn, events)  # the rows are written inside the open transaction ...
        raise KeyboardInterrupt("killed between fetch and commit")  # ... and the process dies before COMMIT

    monkeypatch.setattr(IndexStore, "_insert_events", insert_then_die)
    with pytest.raises(KeyboardInterrupt):
        indexer.sync_once()
    assert snapshot_tables(engine) == before  # nothing of the interrupted range, checkpoint unmoved

    monkeypatch.setattr(IndexStore, "_insert_events", original)
    head = chain.block_number()
    assert make_indexer().sync_once().checkpoint == head
    assert stored_events(engine) == _reference(pilot_connection, shared_abis, token, head)
    assert duplicate_keys(engine) == 0


def test_a_crash_after_fetching_before_the_transaction(make_indexer: IndexerFactory, minter: Minter,
                                                       engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    minter.mint(100, per_block=50)
    indexer = make_indexer()
    before = snapshot_tables(engine)

    def die(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("crash after fetch")

    monkeypatch.setattr(indexer.store, "commit_range", die)
    with pytest.raises(RuntimeError):
        indexer.sync_once()
    after = snapshot_tables(engine)
    assert after["events"] == before["events"] == []
    monkeypatch.undo()
    assert make_indexer().sync_once().events == 102


def test_two_indexers_sharing_a_checkpoint_never_duplicate(make_indexer: IndexerFactory, minter: Minter,
                                                           engine: Engine, pilot_connection: Connection,
                                                           chain: ChainControl, token: ContractHandle,
                                                           shared_abis: list[list[dict[str, Any]]]) -> None:
    minter.mint(800, per_block=100)
    head = chain.block_number()
    indexers = [make_indexer(batch_blocks=1), make_indexer(batch_blocks=1)]
    errors: list[BaseException] = []

    def run(indexer: EventIndexer) -> None:
        try:
            while not indexer.sync_once().caught_up:
                pass
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(indexer,)) for indexer in indexers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors
    assert stored_events(engine) == _reference(pilot_connection, shared_abis, token, head)
    assert duplicate_keys(engine) == 0


def test_run_forever_follows_new_blocks_until_stopped(make_indexer: IndexerFactory, minter: Minter,
                                                      chain: ChainControl) -> None:
    indexer = make_indexer(poll_seconds=0.05)
    stop = threading.Event()
    worker = threading.Thread(target=indexer.run_forever, args=(stop,), daemon=True)
    worker.start()
    try:
        minter.mint(20, per_block=10)
        head = chain.block_number()
        deadline = threading.Event()
        for _ in range(200):
            checkpoint = indexer.checkpoint()
            if checkpoint is not None and checkpoint.number >= head:
                break
            deadline.wait(0.05)
        assert indexer.count(name="Transfer") == 20
        assert indexer.last_error is None
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive()


def test_a_contract_added_later_is_backfilled_and_a_removed_one_dropped(
        make_indexer: IndexerFactory, minter: Minter, engine: Engine, deploy: Any, accounts: Any,
        followed: list[FollowedContract], chain: ChainControl) -> None:
    second = deploy("TestStablecoin", "Other", "OTH", accounts[0].address)
    other = FollowedContract(second.address, "other", int(second.deploy_receipt["blockNumber"]), second.abi)
    second.mint(accounts[2].address, 7, sender=accounts[0])
    minter.mint(20, per_block=10)

    make_indexer(contracts=followed).sync_once()
    assert {e["contract"] for e in stored_events(engine)} == {followed[0].address}

    both = make_indexer(contracts=[*followed, other]).sync_once()
    assert both.checkpoint == chain.block_number()
    by_contract: dict[str, int] = {}
    for event in stored_events(engine):
        by_contract[event["contract"]] = by_contract.get(event["contract"], 0) + 1
    assert by_contract == {followed[0].address: 22, other.address: 3}
    assert duplicate_keys(engine) == 0

    make_indexer(contracts=[other]).sync_once()
    assert {e["contract"] for e in stored_events(engine)} == {other.address}
    with engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(IndexedEvent)).scalar_one() == 3


def test_one_contract_under_two_indexer_names_is_refused(make_indexer: IndexerFactory, minter: Minter,
                                                        engine: Engine) -> None:
    minter.mint(10, per_block=10)
    make_indexer(name="first").sync_once()
    before = snapshot_tables(engine)
    second = make_indexer(name="second")
    with pytest.raises(DuplicateEvents, match="another indexer name"):
        second.sync_once()
    assert snapshot_tables(engine)["events"] == before["events"]
    checkpoint = second.checkpoint()
    assert checkpoint is not None and checkpoint.number == second.contracts[0].from_block - 1  # never moved


class FlakyRpc:
    """Fails the first `failures` eth_getLogs batches with a transport error, then behaves."""

    def __init__(self, inner: Any, failures: int) -> None:
        self.inner, self.failures = inner, failures

    def call(self, method: str, params: list[Any]) -> Any:
        return self.inner.call(method, params)

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        if self.failures and any(method == "eth_getLogs" for method, _ in calls):
            self.failures -= 1
            raise NetworkError("eth_getLogs over IPC failed: connection reset")
        return list(self.inner.batch(calls))

    def close(self) -> None:
        self.inner.close()


def test_run_forever_survives_node_errors(make_indexer: IndexerFactory, minter: Minter, chain: ChainControl,
                                          pilot_connection: Connection, caplog: pytest.LogCaptureFixture) -> None:
    node = pilot_connection.node
    assert node is not None
    minter.mint(20, per_block=10)
    indexer = make_indexer(rpc=FlakyRpc(JsonRpcClient(ipc_path=node.ipc_path), 2), poll_seconds=0.01)
    stop = threading.Event()
    worker = threading.Thread(target=indexer.run_forever, args=(stop,), daemon=True)
    worker.start()
    try:
        for _ in range(500):
            checkpoint = indexer.checkpoint()
            if checkpoint is not None and checkpoint.number == chain.block_number():
                break
            stop.wait(0.01)
    finally:
        stop.set()
        worker.join(10)
    assert indexer.count(name="Transfer") == 20 and indexer.last_error is None
    warnings = [r.getMessage() for r in caplog.records if r.name == "pilotkit.indexer" and r.levelname == "WARNING"]
    assert len(warnings) == 2 and all("NetworkError" in w and "Traceback" not in w for w in warnings)


def test_from_connection_takes_the_network_settings(engine: Engine, pilot_connection: Connection,
                                                    followed: list[FollowedContract], minter: Minter,
                                                    tmp_path: Any, token: ContractHandle,
                                                    pilot_deployer: Any) -> None:
    from pilotkit_backend.core.config import Settings
    from pilotkit_backend.platform.indexer.indexer import contracts_from_record

    from pilotkit.deploy.records import DeployedContract, DeploymentRecord

    record = DeploymentRecord(tmp_path / "record.json", pilot_connection.chain_id, "local")
    record.complete(DeployedContract("usd", "TestStablecoin", token.address, "0x", followed[0].from_block, "0x",
                                     [], "", "prague", ""))
    minter.mint(5, per_block=5)
    contracts = contracts_from_record(record, pilot_deployer.store)
    assert [(c.address, c.name, c.from_block) for c in contracts] == [(token.address, "usd", followed[0].from_block)]
    indexer = EventIndexer.from_connection(engine, pilot_connection, contracts,
                                           Settings(indexer_batch_blocks=7, indexer_poll_seconds=0.2))
    try:
        assert (indexer.confirmations, indexer.batch_blocks, indexer.poll_seconds, indexer.on_deep_reorg) == \
            (pilot_connection.network.confirmations, 7, 0.2, "reindex")
        assert indexer.sync_once().events == 7
        assert {e.contract_name for e in indexer.queries.iterate()} == {"usd"}
    finally:
        indexer.close()
