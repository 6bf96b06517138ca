"""registry: the contracts the service manages, and which API key and contract each job belongs to.

Revision ID: 0004_registry
Revises: 0003_index
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pilotkit_backend.db.types import UTCDateTime

revision: str = "0004_registry"
down_revision: str | None = "0003_index"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "registered_contracts",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("label", sa.String(length=120), nullable=False),
        sa.Column("deploy_block", sa.BigInteger(), nullable=False),
        sa.Column("created_by_key", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "address", name=op.f("pk_registered_contracts")),
    )
    with op.batch_alter_table("jobs") as batch:
        batch.add_column(sa.Column("api_key_id", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("object_address", sa.String(length=42), nullable=True))
        batch.create_index(batch.f("ix_jobs_object_address"), ["object_address"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch:
        batch.drop_index(batch.f("ix_jobs_object_address"))
        batch.drop_column("object_address")
        batch.drop_column("api_key_id")
    op.drop_table("registered_contracts")
