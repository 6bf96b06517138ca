"""ORM models: the event index (canonical blocks seen, decoded events, one checkpoint per indexer).

Hashes are 0x-prefixed lowercase hex, contract addresses are checksummed. Event arguments are stored as
canonical JSON text (sorted keys, no spaces): byte-for-byte deterministic on SQLite and PostgreSQL alike, and
integers of any size (uint256) round-trip exactly through Python's `json`.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pilotkit_backend.db.base import Base

#: An auto-incrementing 64-bit key (SQLite only auto-increments a column declared INTEGER PRIMARY KEY).
BigId = BigInteger().with_variant(Integer(), "sqlite")

HASH_LEN = 66
ADDRESS_LEN = 42
NAME_LEN = 64


class IndexedBlock(Base):
    """A block header the indexer relied on: the block at each range end and every block holding an event.

    Rows above the checkpoint never exist; a reorg deletes the rows above the common ancestor.
    """

    __tablename__ = "indexed_blocks"

    indexer: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    number: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    hash: Mapped[str] = mapped_column(String(HASH_LEN), nullable=False)
    parent_hash: Mapped[str] = mapped_column(String(HASH_LEN), nullable=False)
    timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)


class IndexedEvent(Base):
    """One log of a followed contract, decoded; unique on (block hash, tx hash, log index)."""

    __tablename__ = "indexed_events"
    __table_args__ = (
        UniqueConstraint("block_hash", "tx_hash", "log_index", name="uq_indexed_events_log"),
        # covers the read paths' filters (contract, name, indexer, chain) so counts never touch the table rows
        Index("ix_indexed_events_contract_name_scope", "contract", "name", "indexer", "chain_id", "block_number",
              "log_index"),
        Index("ix_indexed_events_stream_position", "indexer", "chain_id", "block_number", "log_index"),
        Index("ix_indexed_events_tx_hash", "tx_hash"),
    )

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    indexer: Mapped[str] = mapped_column(String(NAME_LEN), nullable=False)
    chain_id: Mapped[int] = mapped_column(BigInteger, nullable=False)
    block_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    block_hash: Mapped[str] = mapped_column(String(HASH_LEN), nullable=False)
    block_timestamp: Mapped[int] = mapped_column(BigInteger, nullable=False)
    tx_hash: Mapped[str] = mapped_column(String(HASH_LEN), nullable=False)
    tx_index: Mapped[int] = mapped_column(Integer, nullable=False)
    log_index: Mapped[int] = mapped_column(Integer, nullable=False)
    contract: Mapped[str] = mapped_column(String(ADDRESS_LEN), nullable=False)
    contract_name: Mapped[str] = mapped_column(String(128), nullable=False)
    #: The event's name; NULL for a log no known ABI decodes (its args then hold the raw topics and data).
    name: Mapped[str | None] = mapped_column(String(128), nullable=True)
    args: Mapped[str] = mapped_column(Text, nullable=False)


class IndexerCheckpoint(Base):
    """Where one indexer stands on one chain: the last block whose events are all stored."""

    __tablename__ = "indexer_checkpoints"

    name: Mapped[str] = mapped_column(String(NAME_LEN), primary_key=True)
    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    #: Last indexed block (-1 before the first block when following from genesis).
    block_number: Mapped[int] = mapped_column(BigInteger, nullable=False)
    #: Hash of that block; NULL only when block_number is -1.
    block_hash: Mapped[str | None] = mapped_column(String(HASH_LEN), nullable=True)
    confirmations: Mapped[int] = mapped_column(Integer, nullable=False)
    #: Canonical JSON list of the followed contracts ({"address", "from_block"}), to notice a changed set.
    contracts: Mapped[str] = mapped_column(Text, nullable=False)
    #: When the checkpoint last moved (set by the indexer; informational).
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), nullable=False)
