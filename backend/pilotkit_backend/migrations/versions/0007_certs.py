"""certs: issuances made through the service (single certificates and Merkle batches), their documents, and
generated subject-hash keys (local chains only). Models in pilotkit_backend.kinds.certs.models.

Revision ID: 0007_certs
Revises: 0006_credits
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from pilotkit_backend.db.types import UTCDateTime

revision: str = "0007_certs"
down_revision: str | None = "0006_credits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _big_id() -> sa.types.TypeEngine[int]:
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "cert_records",
        sa.Column("id", _big_id(), autoincrement=True, nullable=False),
        sa.Column("chain_id", sa.BigInteger(), nullable=False),
        sa.Column("registry_address", sa.String(length=42), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("root", sa.String(length=66), nullable=False),
        sa.Column("doc_hash", sa.String(length=66), nullable=True),
        sa.Column("subject", sa.String(length=66), nullable=True),
        sa.Column("schema_id", sa.String(length=66), nullable=False),
        sa.Column("expires_at", sa.BigInteger(), nullable=False),
        sa.Column("leaf_count", sa.Integer(), nullable=False),
        sa.Column("issuer", sa.String(length=42), nullable=False),
        sa.Column("job_id", sa.String(length=36), nullable=False),
        sa.Column("api_key_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_cert_records")),
        sa.UniqueConstraint("chain_id", "registry_address", "root", name="uq_cert_records_key"),
    )
    op.create_table(
        "cert_documents",
        sa.Column("record_id", _big_id(), autoincrement=False, nullable=False),
        sa.Column("position", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("doc_hash", sa.String(length=66), nullable=False),
        sa.ForeignKeyConstraint(["record_id"], ["cert_records.id"], ondelete="CASCADE",
                                name=op.f("fk_cert_documents_record_id_cert_records")),
        sa.PrimaryKeyConstraint("record_id", "position", name=op.f("pk_cert_documents")),
    )
    op.create_index("ix_cert_documents_doc_hash", "cert_documents", ["doc_hash"], unique=False)
    op.create_table(
        "cert_subject_keys",
        sa.Column("chain_id", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("registry_address", sa.String(length=42), nullable=False),
        sa.Column("secret", sa.String(length=128), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("chain_id", "registry_address", name=op.f("pk_cert_subject_keys")),
    )


def downgrade() -> None:
    op.drop_table("cert_subject_keys")
    op.drop_index("ix_cert_documents_doc_hash", table_name="cert_documents")
    op.drop_table("cert_documents")
    op.drop_table("cert_records")
