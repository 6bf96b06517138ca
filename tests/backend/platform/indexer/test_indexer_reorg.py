"""Reorgs on Anvil (`anvil_reorg`, snapshot reverts): the index always converges to a fresh re-index."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import pytest
from _indexer_support import (
    IndexerFactory,
    Minter,
    duplicate_keys,
    fresh_index,
    reference_events,
    snapshot_tables,
    stored_events,
)
from pilotkit_backend.platform.indexer.indexer import FollowedContract, ReorgTooDeep
from sqlalchemy import Engine

from pilotkit.chain.connection import Connection
from pilotkit.chain.control import ChainControl
from pilotkit.contracts.events import EventDecoder
from pilotkit.contracts.handle import ContractHandle

Abis = list[list[dict[str, Any]]]


def reorg(minter: Minter, chain: ChainControl, depth: int, calls_per_block: list[int]) -> None:
    """Replace the newest `depth` blocks by blocks holding fresh mints (`calls_per_block[i]` in block i)."""
    head = chain.block_number()
    nonce = minter.nonce(head - depth)  # the signer's nonce at the fork point
    pairs: list[list[Any]] = []
    for offset, count in enumerate(calls_per_block):
        for raw in minter.signed(minter.mint_calls(count, amount=1000 + offset), nonce):
            pairs.append([raw, offset])
            nonce += 1
    chain.call("anvil_reorg", [depth, pairs])
    assert chain.block_number() == head  # anvil_reorg replaces blocks: same height, new hashes
    minter.token.sender.resync_all()


def assert_converged(engine: Engine, connection: Connection, followed: list[FollowedContract], abis: Abis,
                     tmp_path: Path) -> None:
    """The index equals both a second indexer run from scratch on an empty database and eth_getLogs."""
    head = int(connection.web3.eth.block_number)
    fresh = fresh_index(connection, followed, f"sqlite:///{tmp_path / f'fresh-{head}-{time.time_ns()}.db'}", abis)
    mine = stored_events(engine)
    assert mine == fresh
    assert mine == reference_events(connection, EventDecoder(abis), followed[0].address, followed[0].from_block,
                                    head)
    assert duplicate_keys(engine) == 0


def test_reorg_between_syncs_rolls_back_to_the_common_ancestor(
        make_indexer: IndexerFactory, minter: Minter, engine: Engine, chain: ChainControl,
        pilot_connection: Connection, followed: list[FollowedContract], shared_abis: Abis, tmp_path: Path) -> None:
    minter.mint(300, per_block=50)
    indexer = make_indexer()
    assert indexer.sync_once().events == 302
    old = {e["key"] for e in stored_events(engine)}

    reorg(minter, chain, 3, [10, 0, 25])
    result = indexer.sync_once()
    assert result.reorg_depth == 3  # the checkpoint's own block and the two below it were replaced
    assert result.events_removed == 150 and result.events == 35
    assert_converged(engine, pilot_connection, followed, shared_abis, tmp_path)
    assert len(old - {e["key"] for e in stored_events(engine)}) == 150


def test_reorg_below_the_confirmed_part_with_a_confirmation_depth(
        make_indexer: IndexerFactory, minter: Minter, engine: Engine, chain: ChainControl,
        pilot_connection: Connection, followed: list[FollowedContract], shared_abis: Abis, tmp_path: Path) -> None:
    minter.mint(200, per_block=40)
    indexer = make_indexer(confirmations=2)
    before = indexer.sync_once()
    assert before.checkpoint == chain.block_number() - 1

    reorg(minter, chain, 1, [5])  # only the unconfirmed head block changes: nothing stored is touched
    assert indexer.sync_once().reorg_depth == 0
    reorg(minter, chain, 4, [1, 2, 3, 4])  # now three indexed blocks go
    result = indexer.sync_once()
    assert result.reorg_depth == 3
    chain.mine(1)
    indexer.sync_once()
    assert_converged(engine, pilot_connection, followed, shared_abis, tmp_path)


@pytest.mark.parametrize("at_fetch,prefetch", [(1, True), (3, True), (3, False)])
def test_reorg_while_a_range_is_being_fetched(
        make_indexer: IndexerFactory, minter: Minter, engine: Engine, chain: ChainControl,
        pilot_connection: Connection, followed: list[FollowedContract], shared_abis: Abis, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch, at_fetch: int, prefetch: bool) -> None:
    """The chain moves right after the n-th eth_getLogs answer (with prefetching, that fetch may be running
    on the helper thread for the range after the one being committed)."""
    minter.mint(400, per_block=50)
    indexer = make_indexer(batch_blocks=1, prefetch=prefetch)
    indexer.sync_once(max_blocks=4)
    original = indexer.rpc.batch
    fetches: list[int] = []

    def batch_then_reorg(calls: list[tuple[str, list[Any]]]) -> list[Any]:
        replies = original(calls)
        if any(method == "eth_getLogs" for method, _ in calls):
            fetches.append(1)
            if len(fetches) == at_fetch:  # the logs are in hand; now the chain moves under them
                reorg(minter, chain, 7, [3, 0, 0, 7, 0, 2, 1])
        return replies

    monkeypatch.setattr(indexer.rpc, "batch", batch_then_reorg)
    result = indexer.sync_once()
    assert len(fetches) > at_fetch and result.caught_up
    # Indexed (one block per range) to deployment + 3, then + 4 and + 5 before the third fetch; blocks from
    # deployment + 2 on are replaced, so the common ancestor is deployment + 1.
    assert result.reorg_depth == (2 if at_fetch == 1 else 4)
    assert_converged(engine, pilot_connection, followed, shared_abis, tmp_path)


def _wait_for_tip(indexer: Any, connection: Connection, timeout: float = 30.0) -> None:
    """Until the indexer's checkpoint is the chain's current head block (same number and hash)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        head = connection.web3.eth.get_block("latest")
        checkpoint = indexer.checkpoint()
        if checkpoint is not None and (checkpoint.number, checkpoint.hash) == (head["number"],
                                                                                "0x" + bytes(head["hash"]).hex()):
            return
        time.sleep(0.02)
    raise AssertionError("the indexer did not reach the chain head")


def test_reorg_during_background_indexing_converges(
        make_indexer: IndexerFactory, minter: Minter, engine: Engine, chain: ChainControl,
        pilot_connection: Connection, followed: list[FollowedContract], shared_abis: Abis, tmp_path: Path,
        caplog: pytest.LogCaptureFixture) -> None:
    indexer = make_indexer(poll_seconds=0.01, batch_blocks=2)
    stop = threading.Event()
    worker = threading.Thread(target=indexer.run_forever, args=(stop,), daemon=True)
    caplog.set_level("INFO", logger="pilotkit.indexer")
    worker.start()
    try:
        for round_ in range(3):
            minter.mint(150, per_block=30)
            _wait_for_tip(indexer, pilot_connection)
            reorg(minter, chain, 2 + round_, [4] * (2 + round_))  # while the indexer keeps polling
            minter.mint(30, per_block=15)  # and the chain grows on the new branch
        _wait_for_tip(indexer, pilot_connection)
    finally:
        stop.set()
        worker.join(10)
    assert not worker.is_alive()
    assert indexer.last_error is None
    rollbacks = [r for r in caplog.records if "rolled back" in r.getMessage()]
    assert len(rollbacks) == 3
    assert_converged(engine, pilot_connection, followed, shared_abis, tmp_path)


def test_chain_rewound_below_the_checkpoint(
        make_indexer: IndexerFactory, minter: Minter, engine: Engine, chain: ChainControl,
        pilot_connection: Connection, followed: list[FollowedContract], shared_abis: Abis, tmp_path: Path) -> None:
    minter.mint(100, per_block=50)
    snapshot = chain.snapshot()
    minter.mint(150, per_block=50)
    indexer = make_indexer()
    indexer.sync_once()

    chain.revert(snapshot)  # the chain is now shorter than the index
    result = indexer.sync_once()
    assert result.reorg_depth == 3 and result.checkpoint == chain.block_number()
    assert_converged(engine, pilot_connection, followed, shared_abis, tmp_path)
    minter.mint(60, per_block=20)
    indexer.sync_once()
    assert_converged(engine, pilot_connection, followed, shared_abis, tmp_path)


def test_reorg_deeper_than_the_stored_window_is_refused_untouched(
        make_indexer: IndexerFactory, minter: Minter, engine: Engine, chain: ChainControl,
        pilot_connection: Connection, followed: list[FollowedContract], shared_abis: Abis, tmp_path: Path) -> None:
    minter.mint(10, per_block=1)  # ten blocks with one event each
    indexer = make_indexer(batch_blocks=1, keep_blocks=2)  # keep headers of the newest 2 blocks only
    indexer.sync_once()
    before = snapshot_tables(engine)
    assert len(before["blocks"]) <= 4

    reorg(minter, chain, 6, [1] * 6)
    with pytest.raises(ReorgTooDeep) as raised:
        indexer.sync_once()
    assert "reset()" in str(raised.value)
    assert snapshot_tables(engine) == before  # a clear error, nothing changed

    rebuilt = make_indexer(batch_blocks=1, keep_blocks=2, on_deep_reorg="reindex").sync_once()
    assert rebuilt.reorg_depth > 0 and rebuilt.caught_up
    assert_converged(engine, pilot_connection, followed, shared_abis, tmp_path)


def test_reset_then_reindex(make_indexer: IndexerFactory, minter: Minter, engine: Engine,
                           pilot_connection: Connection, followed: list[FollowedContract], shared_abis: Abis,
                           tmp_path: Path, token: ContractHandle) -> None:
    minter.mint(50, per_block=25)
    indexer = make_indexer()
    indexer.sync_once()
    assert indexer.reset() == 52
    assert snapshot_tables(engine) == {"events": [], "blocks": [], "checkpoints": []}
    assert indexer.sync_once().events == 52
    assert_converged(engine, pilot_connection, followed, shared_abis, tmp_path)
