"""credits: queued issuances (serial hints), retirement beneficiary names (erasable), local hash secrets.

Revision ID: 0006_credits
Revises: 0005_cash
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pilotkit_backend.db.types import UTCDateTime

revision: str = "0006_credits"
down_revision: str | None = "0005_cash"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "credit_issuances",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("registry_address", sa.String(length=42), nullable=False),
        sa.Column("registry_code", sa.String(length=66), nullable=False),
        sa.Column("project_id", sa.BigInteger(), nullable=False),
        sa.Column("serial_start", sa.String(length=39), nullable=False),
        sa.Column("serial_end", sa.String(length=39), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=True),
        sa.Column("created_by_key", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_issuances")),
    )
    op.create_index("ix_credit_issuances_namespace", "credit_issuances",
                    ["chain_id", "registry_address", "registry_code"], unique=False)
    op.create_index(op.f("ix_credit_issuances_job_id"), "credit_issuances", ["job_id"], unique=False)
    op.create_table(
        "credit_beneficiaries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("registry_address", sa.String(length=42), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("beneficiary_hash", sa.String(length=66), nullable=False),
        sa.Column("display_name", sa.String(length=200), nullable=True),
        sa.Column("salt", sa.String(length=66), nullable=True),
        sa.Column("created_by_key", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("erased_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credit_beneficiaries")),
        sa.UniqueConstraint("job_id", name=op.f("uq_credit_beneficiaries_job_id")),
    )
    op.create_index(op.f("ix_credit_beneficiaries_registry_address"), "credit_beneficiaries", ["registry_address"],
                    unique=False)
    op.create_table(
        "credit_local_secrets",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", name=op.f("pk_credit_local_secrets")),
    )


def downgrade() -> None:
    op.drop_table("credit_local_secrets")
    op.drop_index(op.f("ix_credit_beneficiaries_registry_address"), table_name="credit_beneficiaries")
    op.drop_table("credit_beneficiaries")
    op.drop_index(op.f("ix_credit_issuances_job_id"), table_name="credit_issuances")
    op.drop_index("ix_credit_issuances_namespace", table_name="credit_issuances")
    op.drop_table("credit_issuances")
