"""The indexer's writes: each one a single database transaction guarded by a compare-and-set on the checkpoint.

Every write first moves the checkpoint with `UPDATE ... WHERE block_number = <expected> AND block_hash =
<expected>`; if another process moved it in the meantime the update matches no row and the whole
transaction is abandoned (`CheckpointMoved`). Events, block headers and the checkpoint therefore always
change together, and a crash leaves either all of a range or none of it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Connection, Engine, Table, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from pilotkit_backend.platform.indexer.decode import canonical_json
from pilotkit_backend.platform.indexer.errors import CheckpointMoved, DuplicateEvents
from pilotkit_backend.platform.models.index import IndexedBlock, IndexedEvent, IndexerCheckpoint

__all__ = ["EVENT_COLUMNS", "BlockHeader", "Checkpoint", "IndexStore", "canonical_json"]

BLOCKS = cast(Table, IndexedBlock.__table__)
EVENTS = cast(Table, IndexedEvent.__table__)
CHECKPOINTS = cast(Table, IndexerCheckpoint.__table__)
#: Column order of the event tuples `commit_range` takes.
EVENT_COLUMNS = ("indexer", "chain_id", "block_number", "block_hash", "block_timestamp", "tx_hash", "tx_index",
                 "log_index", "contract", "contract_name", "name", "args")
_MARKERS = {"qmark": "?", "format": "%s", "pyformat": "%s"}


@dataclass(frozen=True)
class Checkpoint:
    """The stored position of one indexer on one chain."""

    name: str
    chain_id: int
    number: int
    hash: str | None
    confirmations: int
    contracts: str


@dataclass(frozen=True)
class BlockHeader:
    """The parts of a block header the index keeps."""

    number: int
    hash: str
    parent_hash: str
    timestamp: int

    @classmethod
    def from_rpc(cls, block: dict[str, Any]) -> BlockHeader:
        return cls(int(block["number"], 16), str(block["hash"]).lower(), str(block["parentHash"]).lower(),
                   int(block["timestamp"], 16))


class IndexStore:
    """Reads and writes the rows of one indexer (name, chain id)."""

    def __init__(self, engine: Engine, name: str, chain_id: int) -> None:
        self.engine = engine
        self.name = name
        self.chain_id = chain_id
        self._copy = engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"
        #: Raw driver errors (COPY bypasses SQLAlchemy's wrapping) next to SQLAlchemy's own.
        self._integrity_errors: tuple[type[BaseException], ...] = (
            IntegrityError, getattr(engine.dialect.loaded_dbapi, "IntegrityError", IntegrityError))
        marker = _MARKERS.get(engine.dialect.paramstyle)
        placeholders = ", ".join([marker] * len(EVENT_COLUMNS)) if marker else ""
        self._insert_sql = f"INSERT INTO {EVENTS.name} ({', '.join(EVENT_COLUMNS)}) VALUES ({placeholders})" \
            if marker else None

    def _block_rows(self, headers: Sequence[BlockHeader]) -> list[dict[str, Any]]:
        return [{"indexer": self.name, "chain_id": self.chain_id, "number": h.number, "hash": h.hash,
                 "parent_hash": h.parent_hash, "timestamp": h.timestamp} for h in headers]

    def load(self) -> Checkpoint | None:
        with self.engine.connect() as conn:
            row = conn.execute(select(CHECKPOINTS).where(
                CHECKPOINTS.c.name == self.name, CHECKPOINTS.c.chain_id == self.chain_id)).first()
        if row is None:
            return None
        return Checkpoint(row.name, row.chain_id, row.block_number, row.block_hash, row.confirmations, row.contracts)

    def create(self, base: BlockHeader | None, confirmations: int, contracts: str) -> Checkpoint:
        """The first checkpoint: just below the earliest deployment block (or -1 from genesis)."""
        number, block_hash = (base.number, base.hash) if base else (-1, None)
        try:
            with self.engine.begin() as conn:
                conn.execute(insert(CHECKPOINTS).values(
                    name=self.name, chain_id=self.chain_id, block_number=number, block_hash=block_hash,
                    confirmations=confirmations, contracts=contracts, updated_at=datetime.now(UTC)))
                if base is not None:
                    conn.execute(insert(BLOCKS), self._block_rows([base]))
        except IntegrityError:
            raise CheckpointMoved("another process created this indexer's checkpoint first") from None
        return Checkpoint(self.name, self.chain_id, number, block_hash, confirmations, contracts)

    def _move(self, conn: Connection, current: Checkpoint, number: int, block_hash: str | None,
              confirmations: int | None = None, contracts: str | None = None) -> Checkpoint:
        values: dict[str, Any] = {"block_number": number, "block_hash": block_hash, "updated_at": datetime.now(UTC)}
        if confirmations is not None:
            values["confirmations"] = confirmations
        if contracts is not None:
            values["contracts"] = contracts
        result = conn.execute(update(CHECKPOINTS).where(
            CHECKPOINTS.c.name == self.name, CHECKPOINTS.c.chain_id == self.chain_id,
            CHECKPOINTS.c.block_number == current.number,
            CHECKPOINTS.c.block_hash.is_(None) if current.hash is None else CHECKPOINTS.c.block_hash == current.hash,
        ).values(**values))
        if result.rowcount != 1:
            raise CheckpointMoved(f"checkpoint of indexer '{self.name}' moved under us (another process indexes it)")
        return Checkpoint(self.name, self.chain_id, number, block_hash,
                          current.confirmations if confirmations is None else confirmations,
                          current.contracts if contracts is None else contracts)

    def commit_range(self, current: Checkpoint, end: BlockHeader, headers: Sequence[BlockHeader],
                     events: Sequence[tuple[Any, ...]], confirmations: int) -> Checkpoint:
        """Store one verified range (its headers and event tuples, see EVENT_COLUMNS) and move the checkpoint."""
        try:
            with self.engine.begin() as conn:
                moved = self._move(conn, current, end.number, end.hash, confirmations=confirmations)
                if headers:
                    conn.execute(insert(BLOCKS), self._block_rows(headers))
                if events:
                    self._insert_events(conn, events)
        except self._integrity_errors:
            raise DuplicateEvents(
                f"indexer '{self.name}': blocks {current.number + 1}..{end.number} hold events that are already "
                "stored (is another indexer name following the same contract in this database?)") from None
        return moved

    def _insert_events(self, conn: Connection, events: Sequence[tuple[Any, ...]]) -> None:
        """Bulk insert: COPY on PostgreSQL (psycopg 3), else the driver's executemany (SQLite loops in C)."""
        if self._copy:
            dbapi = conn.connection.dbapi_connection
            assert dbapi is not None
            with dbapi.cursor() as cursor, cursor.copy(  # type: ignore[attr-defined]
                    f"COPY {EVENTS.name} ({', '.join(EVENT_COLUMNS)}) FROM STDIN") as copy:
                for row in events:
                    copy.write_row(row)
        elif self._insert_sql is not None:
            conn.exec_driver_sql(self._insert_sql, list(events))
        else:  # a driver with another parameter style: let SQLAlchemy bind
            conn.execute(insert(EVENTS), [dict(zip(EVENT_COLUMNS, row, strict=True)) for row in events])

    def rewind(self, current: Checkpoint, number: int, block_hash: str | None, header: BlockHeader | None = None,
               contracts: str | None = None, drop_contracts: Sequence[str] = ()) -> tuple[Checkpoint, int]:
        """Delete everything above block `number`, move the checkpoint there; one transaction.

        `header` (the block at `number`) is stored if missing; `contracts` replaces the followed set and the
        events of `drop_contracts` go too. Returns the new checkpoint and the number of events removed.
        """
        with self.engine.begin() as conn:
            moved = self._move(conn, current, number, block_hash, contracts=contracts)
            mine = (EVENTS.c.indexer == self.name, EVENTS.c.chain_id == self.chain_id)
            removed = conn.execute(delete(EVENTS).where(*mine, EVENTS.c.block_number > number)).rowcount or 0
            if drop_contracts:
                removed += conn.execute(delete(EVENTS).where(
                    *mine, EVENTS.c.contract.in_(list(drop_contracts)))).rowcount or 0
            here = (BLOCKS.c.indexer == self.name, BLOCKS.c.chain_id == self.chain_id)
            conn.execute(delete(BLOCKS).where(*here, BLOCKS.c.number > number))
            if header is not None:
                stored = conn.execute(select(BLOCKS.c.hash).where(*here, BLOCKS.c.number == header.number)).scalar()
                if stored is None:
                    conn.execute(insert(BLOCKS), self._block_rows([header]))
                elif stored != header.hash:
                    conn.execute(update(BLOCKS).where(*here, BLOCKS.c.number == header.number).values(
                        hash=header.hash, parent_hash=header.parent_hash, timestamp=header.timestamp))
        return moved, int(removed)

    def stored_blocks(self, at_or_below: int, limit: int) -> list[tuple[int, str]]:
        """(number, hash) of stored headers at or below a height, newest first."""
        with self.engine.connect() as conn:
            rows = conn.execute(select(BLOCKS.c.number, BLOCKS.c.hash).where(
                BLOCKS.c.indexer == self.name, BLOCKS.c.chain_id == self.chain_id,
                BLOCKS.c.number <= at_or_below).order_by(BLOCKS.c.number.desc()).limit(limit)).all()
        return [(int(number), str(block_hash)) for number, block_hash in rows]

    def prune_blocks(self, below: int) -> int:
        """Forget stored headers under a height (bounds the reorg window; see EventIndexer.keep_blocks)."""
        with self.engine.begin() as conn:
            return int(conn.execute(delete(BLOCKS).where(
                BLOCKS.c.indexer == self.name, BLOCKS.c.chain_id == self.chain_id, BLOCKS.c.number < below)).rowcount
                or 0)

    def reset(self) -> int:
        """Delete this indexer's checkpoint, headers and events (the next sync starts from scratch)."""
        with self.engine.begin() as conn:
            removed = conn.execute(delete(EVENTS).where(
                EVENTS.c.indexer == self.name, EVENTS.c.chain_id == self.chain_id)).rowcount
            conn.execute(delete(BLOCKS).where(BLOCKS.c.indexer == self.name, BLOCKS.c.chain_id == self.chain_id))
            conn.execute(delete(CHECKPOINTS).where(
                CHECKPOINTS.c.name == self.name, CHECKPOINTS.c.chain_id == self.chain_id))
        return int(removed or 0)
