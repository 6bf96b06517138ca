"""Reading the event index: keyset-paginated event lists, counts and exact totals of an argument.

Pages are ordered by chain position (block number, log index); the cursor is that position of the last item
("<block>.<log index>"), so pages stay stable while the indexer appends.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, cast

from sqlalchemy import ColumnElement, Engine, Table, and_, func, or_, select

from pilotkit_backend.platform.models.index import IndexedEvent

EVENTS = cast(Table, IndexedEvent.__table__)
MAX_PAGE = 1000


class InvalidCursor(ValueError):
    """A pagination cursor that this module did not produce."""


@dataclass(frozen=True)
class StoredEvent:
    """One indexed event as read back (args decoded from their canonical JSON)."""

    block_number: int
    block_hash: str
    block_timestamp: int
    tx_hash: str
    tx_index: int
    log_index: int
    contract: str
    contract_name: str
    name: str | None
    args: dict[str, Any]

    @property
    def key(self) -> tuple[str, str, int]:
        """The identity of the log: (block hash, tx hash, log index)."""
        return self.block_hash, self.tx_hash, self.log_index

    @property
    def cursor(self) -> str:
        return f"{self.block_number}.{self.log_index}"


@dataclass(frozen=True)
class EventPage:
    items: list[StoredEvent]
    next_cursor: str | None


def parse_cursor(cursor: str) -> tuple[int, int]:
    try:
        block, log_index = cursor.split(".")
        position = int(block), int(log_index)
    except ValueError:
        raise InvalidCursor(f"invalid cursor {cursor[:40]!r}") from None
    if position[0] < 0 or position[1] < 0:
        raise InvalidCursor(f"invalid cursor {cursor[:40]!r}")
    return position


class EventQuery:
    """Read helpers over `indexed_events`, optionally scoped to one chain and/or one indexer."""

    def __init__(self, engine: Engine, chain_id: int | None = None, indexer: str | None = None) -> None:
        self.engine = engine
        self.chain_id = chain_id
        self.indexer = indexer

    def _where(self, contract: str | None, name: str | None, from_block: int | None = None,
               to_block: int | None = None, tx_hash: str | None = None) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = []
        if self.chain_id is not None:
            conditions.append(EVENTS.c.chain_id == self.chain_id)
        if self.indexer is not None:
            conditions.append(EVENTS.c.indexer == self.indexer)
        if contract is not None:
            from eth_utils import to_checksum_address

            conditions.append(EVENTS.c.contract == to_checksum_address(contract))
        if name is not None:
            conditions.append(EVENTS.c.name == name)
        if from_block is not None:
            conditions.append(EVENTS.c.block_number >= from_block)
        if to_block is not None:
            conditions.append(EVENTS.c.block_number <= to_block)
        if tx_hash is not None:
            conditions.append(EVENTS.c.tx_hash == tx_hash.lower())
        return conditions

    def page(self, contract: str | None = None, name: str | None = None, *, after: str | None = None,
             limit: int = 100, descending: bool = False, from_block: int | None = None,
             to_block: int | None = None, tx_hash: str | None = None) -> EventPage:
        """Up to `limit` events after the cursor; `next_cursor` is None on the last page."""
        limit = max(1, min(limit, MAX_PAGE))
        conditions = self._where(contract, name, from_block, to_block, tx_hash)
        if after is not None:
            block, log_index = parse_cursor(after)
            if descending:
                conditions.append(or_(EVENTS.c.block_number < block,
                                      and_(EVENTS.c.block_number == block, EVENTS.c.log_index < log_index)))
            else:
                conditions.append(or_(EVENTS.c.block_number > block,
                                      and_(EVENTS.c.block_number == block, EVENTS.c.log_index > log_index)))
        order = (EVENTS.c.block_number.desc(), EVENTS.c.log_index.desc()) if descending else \
            (EVENTS.c.block_number, EVENTS.c.log_index)
        statement = select(EVENTS).where(*conditions).order_by(*order).limit(limit + 1)
        with self.engine.connect() as conn:
            rows = conn.execute(statement).all()
        items = [_stored(row) for row in rows[:limit]]
        return EventPage(items, items[-1].cursor if len(rows) > limit else None)

    def iterate(self, contract: str | None = None, name: str | None = None, *, page_size: int = 1000,
                **filters: Any) -> Iterator[StoredEvent]:
        """Every matching event in chain order, fetched page by page."""
        cursor: str | None = None
        while True:
            page = self.page(contract, name, after=cursor, limit=page_size, **filters)
            yield from page.items
            if page.next_cursor is None:
                return
            cursor = page.next_cursor

    def count(self, contract: str | None = None, name: str | None = None, **filters: Any) -> int:
        statement = select(func.count()).select_from(EVENTS).where(*self._where(contract, name, **filters))
        with self.engine.connect() as conn:
            return int(conn.execute(statement).scalar_one())

    def counts_by_name(self, contract: str | None = None) -> dict[str | None, int]:
        """How many events of each name (None: logs no ABI decoded)."""
        statement = select(EVENTS.c.name, func.count()).where(*self._where(contract, None)).group_by(EVENTS.c.name)
        with self.engine.connect() as conn:
            return {name: int(count) for name, count in conn.execute(statement).all()}

    def total(self, contract: str | None, name: str, field: str, *, group_by: str | None = None,
              **filters: Any) -> int | dict[Any, int]:
        """Exact sum of an integer argument (uint256-safe: summed in Python, not in SQL), optionally grouped."""
        statement = select(EVENTS.c.args).where(*self._where(contract, name, **filters))
        overall = 0
        groups: dict[Any, int] = {}
        with self.engine.connect() as conn:
            for (text,) in conn.execution_options(yield_per=5000).execute(statement):
                args = json.loads(text)
                value = int(args[field])
                if group_by is None:
                    overall += value
                else:
                    key = args[group_by]
                    groups[key] = groups.get(key, 0) + value
        return overall if group_by is None else groups


def _stored(row: Any) -> StoredEvent:
    return StoredEvent(row.block_number, row.block_hash, row.block_timestamp, row.tx_hash, row.tx_index,
                       row.log_index, row.contract, row.contract_name, row.name, json.loads(row.args))
