"""cash: off-chain beneficiary records (keyed hash, index, wallet, status mirror) and the local identity secret.

Revision ID: 0005_cash
Revises: 0004_registry
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pilotkit_backend.db.types import UTCDateTime

revision: str = "0005_cash"
down_revision: str | None = "0004_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cash_beneficiaries",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("programme", sa.String(length=42), nullable=False),
        sa.Column("beneficiary_id", sa.String(length=66), nullable=False),
        sa.Column("beneficiary_index", sa.BigInteger(), nullable=True),
        sa.Column("wallet", sa.String(length=42), nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("enrol_job_id", sa.String(length=36), nullable=True),
        sa.Column("enrol_position", sa.Integer(), nullable=False),
        sa.Column("pending_job_id", sa.String(length=36), nullable=True),
        sa.Column("created_by_key", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("erased_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_beneficiaries")),
        sa.UniqueConstraint("chain_id", "programme", "beneficiary_id", name="uq_cash_beneficiaries_hash"),
    )
    op.create_index(op.f("ix_cash_beneficiaries_enrol_job_id"), "cash_beneficiaries", ["enrol_job_id"], unique=False)
    op.create_index("ix_cash_beneficiaries_index", "cash_beneficiaries", ["chain_id", "programme", "beneficiary_index"],
                    unique=False)
    op.create_index("ix_cash_beneficiaries_wallet", "cash_beneficiaries", ["chain_id", "programme", "wallet"],
                    unique=False)
    op.create_table(
        "cash_identity_secrets",
        sa.Column("name", sa.String(length=32), nullable=False),
        sa.Column("secret_hex", sa.String(length=130), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cash_identity_secrets")),
    )


def downgrade() -> None:
    op.drop_table("cash_identity_secrets")
    op.drop_index("ix_cash_beneficiaries_wallet", table_name="cash_beneficiaries")
    op.drop_index("ix_cash_beneficiaries_index", table_name="cash_beneficiaries")
    op.drop_index(op.f("ix_cash_beneficiaries_enrol_job_id"), table_name="cash_beneficiaries")
    op.drop_table("cash_beneficiaries")
