"""Reading the index: keyset pagination, counts and exact uint256 totals."""

from __future__ import annotations

from typing import Any

import pytest
from _indexer_support import BIG, IndexerFactory, Minter, stored_events
from pilotkit_backend.platform.indexer.queries import EventQuery, InvalidCursor
from sqlalchemy import Engine

from pilotkit.contracts.handle import ContractHandle


@pytest.fixture
def indexed(make_indexer: IndexerFactory, minter: Minter) -> Any:
    minter.mint(250, per_block=50)
    indexer = make_indexer()
    indexer.sync_once()
    return indexer


def test_keyset_pages_walk_every_event_once_in_chain_order(indexed: Any, engine: Engine) -> None:
    everything = stored_events(engine)
    seen: list[Any] = []
    cursor = None
    pages = 0
    while True:
        page = indexed.events(after=cursor, limit=33)
        seen.extend(page.items)
        pages += 1
        if page.next_cursor is None:
            break
        cursor = page.next_cursor
    assert pages == 8 and len(seen) == len(everything) == 252
    assert [e.key for e in seen] == [e["key"] for e in everything]
    positions = [(e.block_number, e.log_index) for e in seen]
    assert positions == sorted(positions)


def test_descending_pages_and_filters(indexed: Any, token: ContractHandle) -> None:
    newest = indexed.events(token.address.lower(), "Transfer", limit=10, descending=True)
    assert len(newest.items) == 10 and newest.next_cursor is not None
    following = indexed.events(token.address, "Transfer", limit=10, descending=True, after=newest.next_cursor)
    assert (following.items[0].block_number, following.items[0].log_index) < \
        (newest.items[-1].block_number, newest.items[-1].log_index)
    assert indexed.events(name="RoleGranted").next_cursor is None
    assert len(indexed.events(name="RoleGranted").items) == 2
    assert indexed.events("0x" + "00" * 20).items == []


def test_counts_and_exact_totals(indexed: Any, engine: Engine, token: ContractHandle) -> None:
    queries = EventQuery(engine)
    assert indexed.count() == 252 and indexed.count(token.address, "Transfer") == 250
    assert queries.counts_by_name(token.address) == {"Transfer": 250, "RoleGranted": 2}
    expected = sum(BIG + serial for serial in range(1, 251))
    assert queries.total(token.address, "Transfer", "value") == expected  # far beyond 2**63, exact
    by_sender = queries.total(token.address, "Transfer", "value", group_by="from")
    assert by_sender == {"0x0000000000000000000000000000000000000000": expected}
    first = indexed.events(name="Transfer", limit=1).items[0]
    assert queries.count(tx_hash=first.tx_hash) == 1


def test_invalid_cursors_are_rejected(indexed: Any) -> None:
    for cursor in ("", "abc", "1", "1.2.3", "-1.0", "x.y"):
        with pytest.raises(InvalidCursor):
            indexed.events(after=cursor)
