"""rounds: the tables of cash disbursement rounds (models in pilotkit_backend.kinds.cash.models.rounds).

Revision ID: 0008_rounds
Revises: 0007_certs
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pilotkit_backend.db.types import UTCDateTime

revision: str = "0008_rounds"
down_revision: str | None = "0007_certs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "cash_rounds",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("programme", sa.String(length=42), nullable=False),
        sa.Column("chain_round_id", sa.BigInteger(), nullable=True),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("amount", sa.String(length=40), nullable=False),
        sa.Column("budget", sa.String(length=40), nullable=False),
        sa.Column("opens_at", sa.BigInteger(), nullable=False),
        sa.Column("closes_at", sa.BigInteger(), nullable=False),
        sa.Column("root", sa.String(length=66), nullable=True),
        sa.Column("plan_hash", sa.String(length=66), nullable=False),
        sa.Column("funder", sa.String(length=42), nullable=False),
        sa.Column("plan", sa.JSON(), nullable=False),
        sa.Column("beneficiary_count", sa.Integer(), nullable=False),
        sa.Column("proposer_key_id", sa.Integer(), nullable=False),
        sa.Column("proposer_label", sa.String(length=120), nullable=False),
        sa.Column("approver_key_id", sa.Integer(), nullable=True),
        sa.Column("approver_label", sa.String(length=120), nullable=True),
        sa.Column("propose_job_id", sa.String(length=36), nullable=False),
        sa.Column("funding_job_id", sa.String(length=36), nullable=True),
        sa.Column("approve_job_id", sa.String(length=36), nullable=True),
        sa.Column("cancel_job_id", sa.String(length=36), nullable=True),
        sa.Column("sweep_job_id", sa.String(length=36), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_rounds")),
    )
    op.create_index("ix_cash_rounds_programme", "cash_rounds", ["chain_id", "programme", "id"], unique=False)
    op.create_table(
        "cash_round_payments",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("round_pk", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("batch_position", sa.Integer(), nullable=True),
        sa.Column("indexes", sa.JSON(), nullable=False),
        sa.Column("first_index", sa.BigInteger(), nullable=False),
        sa.Column("last_index", sa.BigInteger(), nullable=False),
        sa.Column("total", sa.String(length=40), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["round_pk"], ["cash_rounds.id"],
                                name=op.f("fk_cash_round_payments_round_pk_cash_rounds"), ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cash_round_payments")),
    )
    op.create_index(op.f("ix_cash_round_payments_round_pk"), "cash_round_payments", ["round_pk"], unique=False)
    op.create_index(op.f("ix_cash_round_payments_job_id"), "cash_round_payments", ["job_id"], unique=False)
    op.create_index("ix_cash_round_payments_span", "cash_round_payments", ["round_pk", "first_index", "last_index"],
                    unique=False)


def downgrade() -> None:
    op.drop_index("ix_cash_round_payments_span", table_name="cash_round_payments")
    op.drop_index(op.f("ix_cash_round_payments_job_id"), table_name="cash_round_payments")
    op.drop_index(op.f("ix_cash_round_payments_round_pk"), table_name="cash_round_payments")
    op.drop_table("cash_round_payments")
    op.drop_index("ix_cash_rounds_programme", table_name="cash_rounds")
    op.drop_table("cash_rounds")
