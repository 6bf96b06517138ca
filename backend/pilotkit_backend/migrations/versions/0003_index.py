"""index: the event indexer's canonical blocks, decoded events and per-indexer checkpoints.

Revision ID: 0003_index
Revises: 0002_jobs
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003_index"
down_revision: str | None = "0002_jobs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "indexed_blocks",
        sa.Column("indexer", sa.String(length=64), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("number", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("parent_hash", sa.String(length=66), nullable=False),
        sa.Column("timestamp", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("indexer", "chain_id", "number", name=op.f("pk_indexed_blocks")),
    )
    op.create_table(
        "indexed_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("indexer", sa.String(length=64), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=False),
        sa.Column("block_timestamp", sa.BigInteger(), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("tx_index", sa.Integer(), nullable=False),
        sa.Column("log_index", sa.Integer(), nullable=False),
        sa.Column("contract", sa.String(length=42), nullable=False),
        sa.Column("contract_name", sa.String(length=128), nullable=False),
        sa.Column("name", sa.String(length=128), nullable=True),
        sa.Column("args", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_indexed_events")),
        sa.UniqueConstraint("block_hash", "tx_hash", "log_index", name="uq_indexed_events_log"),
    )
    op.create_index("ix_indexed_events_contract_name_position", "indexed_events",
                    ["contract", "name", "block_number", "log_index"], unique=False)
    op.create_index("ix_indexed_events_stream_position", "indexed_events",
                    ["indexer", "chain_id", "block_number", "log_index"], unique=False)
    op.create_index("ix_indexed_events_tx_hash", "indexed_events", ["tx_hash"], unique=False)
    op.create_table(
        "indexer_checkpoints",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("block_number", sa.BigInteger(), nullable=False),
        sa.Column("block_hash", sa.String(length=66), nullable=True),
        sa.Column("confirmations", sa.Integer(), nullable=False),
        sa.Column("contracts", sa.Text(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name", "chain_id", name=op.f("pk_indexer_checkpoints")),
    )


def downgrade() -> None:
    op.drop_table("indexer_checkpoints")
    op.drop_index("ix_indexed_events_tx_hash", table_name="indexed_events")
    op.drop_index("ix_indexed_events_stream_position", table_name="indexed_events")
    op.drop_index("ix_indexed_events_contract_name_position", table_name="indexed_events")
    op.drop_table("indexed_events")
    op.drop_table("indexed_blocks")
