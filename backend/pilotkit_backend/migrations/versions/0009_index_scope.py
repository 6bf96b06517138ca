"""index scope: the (contract, name) index also covers indexer and chain id, so counts are index-only.

Revision ID: 0009_index_scope
Revises: 0008_rounds
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009_index_scope"
down_revision: str | None = "0008_rounds"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_index("ix_indexed_events_contract_name_scope", "indexed_events",
                    ["contract", "name", "indexer", "chain_id", "block_number", "log_index"], unique=False)
    op.drop_index("ix_indexed_events_contract_name_position", table_name="indexed_events")


def downgrade() -> None:
    op.create_index("ix_indexed_events_contract_name_position", "indexed_events",
                    ["contract", "name", "block_number", "log_index"], unique=False)
    op.drop_index("ix_indexed_events_contract_name_scope", table_name="indexed_events")
