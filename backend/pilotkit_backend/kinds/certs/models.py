"""ORM models of the certs area (migration 0007_certs): issuances made through the service and their documents.

A `CertRecord` is one issuance as the contract sees it: a single certificate (record key `leafOf(docHash)`) or a
Merkle batch (record key = root). Its documents (`CertDocument`, one row per leaf, in tree order) let the service
rebuild the tree and serve each document's proof, so status changes and public verification need no proof from
the caller. Only hashes are stored: document hashes, the subject's keyed hash, the schema id. Uploaded documents
are hashed while they stream in and never stored.

`CertSubjectKey` holds the per-registry key for subject hashes on local chains when no
`PILOTKIT_API_IDENTITY_KEY` is set (real networks must set it; see `kinds.certs.services.subjects`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pilotkit_backend.db.base import Base
from pilotkit_backend.db.types import UTCDateTime, utcnow

HASH_LEN = 66  # 0x + 64 lowercase hex digits
ADDRESS_LEN = 42
BigId = BigInteger().with_variant(Integer(), "sqlite")


class CertRecord(Base):
    """One issuance (single certificate or Merkle batch) requested through the service."""

    __tablename__ = "cert_records"
    __table_args__ = (UniqueConstraint("chain_id", "registry_address", "root", name="uq_cert_records_key"),)

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    registry_address: Mapped[str] = mapped_column(String(ADDRESS_LEN))  # checksummed
    kind: Mapped[str] = mapped_column(String(8))  # "single" | "batch"
    root: Mapped[str] = mapped_column(String(HASH_LEN))  # the record key on chain
    doc_hash: Mapped[str | None] = mapped_column(String(HASH_LEN))  # single certificates only
    subject: Mapped[str | None] = mapped_column(String(HASH_LEN))  # keyed hash; single certificates only
    schema_id: Mapped[str] = mapped_column(String(HASH_LEN))
    expires_at: Mapped[int] = mapped_column(BigInteger)  # unix seconds, 0 = never
    leaf_count: Mapped[int] = mapped_column(Integer)
    issuer: Mapped[str] = mapped_column(String(ADDRESS_LEN))  # the signer that sends the issuance
    job_id: Mapped[str] = mapped_column(String(36))
    api_key_id: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CertDocument(Base):
    """A document of an issuance, at its leaf position (0 for a single certificate)."""

    __tablename__ = "cert_documents"
    __table_args__ = (Index("ix_cert_documents_doc_hash", "doc_hash"),)

    record_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("cert_records.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    position: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=False)
    doc_hash: Mapped[str] = mapped_column(String(HASH_LEN))


class CertSubjectKey(Base):
    """A generated subject-hash key for one registry (local chains without an identity key only)."""

    __tablename__ = "cert_subject_keys"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    registry_address: Mapped[str] = mapped_column(String(ADDRESS_LEN), primary_key=True)
    secret: Mapped[str] = mapped_column(String(128))  # hex; never logged or returned
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
