"""job finality: a settled job is watched until its block is final (`finalized`), reorgs go in `history`.

Revision ID: 0011_job_finality
Revises: 0010_idempotency_owner
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011_job_finality"
down_revision: str | None = "0010_idempotency_owner"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("finalized", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column("history", sa.JSON(), nullable=True))
    # jobs settled before this revision were never watched: treat them as final (as they were treated)
    op.execute("UPDATE jobs SET finalized = true WHERE status IN ('confirmed', 'failed', 'expired', 'cancelled')")


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_column("history")
        batch.drop_column("finalized")
