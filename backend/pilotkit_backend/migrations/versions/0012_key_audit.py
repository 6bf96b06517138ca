"""key audit: who created or revoked which API key, when (`api_key_events`).

Revision ID: 0012_key_audit
Revises: 0011_job_finality
Create Date: 2026-12-02
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012_key_audit"
down_revision: str | None = "0011_job_finality"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "api_key_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("key_id", sa.Integer(), nullable=False),
        sa.Column("actor_key_id", sa.Integer(), nullable=True,
                  comment="the API key that made the change; null: the `pilotkit api-key` command on the server"),
        sa.Column("actor", sa.String(length=64), nullable=False, comment="'api-key <id> (<prefix>)' or 'cli'"),
        sa.Column("detail", sa.JSON(), nullable=False,
                  comment="label, scopes and binding of the key at that moment (never its secret)"),
        sa.CheckConstraint("action IN ('created', 'revoked')", name=op.f("ck_api_key_events_action")),
        sa.ForeignKeyConstraint(["key_id"], ["api_keys.id"], name=op.f("fk_api_key_events_key_id_api_keys"),
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["actor_key_id"], ["api_keys.id"],
                                name=op.f("fk_api_key_events_actor_key_id_api_keys"), ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_key_events")),
    )
    op.create_index(op.f("ix_api_key_events_at"), "api_key_events", ["at"], unique=False)
    op.create_index(op.f("ix_api_key_events_key_id"), "api_key_events", ["key_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_api_key_events_key_id"), table_name="api_key_events")
    op.drop_index(op.f("ix_api_key_events_at"), table_name="api_key_events")
    op.drop_table("api_key_events")
