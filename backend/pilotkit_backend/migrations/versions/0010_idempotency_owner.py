"""idempotency owner: which process holds an in-progress Idempotency-Key claim, so a restart can free it.

Revision ID: 0010_idempotency_owner
Revises: 0009_index_scope
Create Date: 2026-12-01
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_idempotency_owner"
down_revision: str | None = "0009_index_scope"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("idempotency_records") as batch:
        batch.add_column(sa.Column("owner", sa.String(length=300), nullable=True,
                                   comment="the process holding the claim: worker id, host, pid, start, instance"))


def downgrade() -> None:
    with op.batch_alter_table("idempotency_records") as batch:
        batch.drop_column("owner")
