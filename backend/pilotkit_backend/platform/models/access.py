"""ORM models for access control: API keys (stored hashed) and Idempotency-Key records.

Key hashing: a key is `pk_<12 hex prefix>_<43 url-safe chars>` with 256 random bits after the prefix. The prefix
finds the row; the row keeps only SHA-256 of the whole token, compared in constant time. A slow KDF (or a pepper)
protects low-entropy passwords against offline guessing; a 256-bit random token cannot be guessed from its hash,
so a plain hash is enough and keeps every request fast.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import (
    JSON,
    CheckConstraint,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from pilotkit_backend.db.base import Base
from pilotkit_backend.db.types import UTCDateTime, utcnow


class Scope(StrEnum):
    """What a key may do. The first seven mirror the contract roles; `admin` manages programmes and registries.

    `admin` does not imply the others: separation of duties (propose vs approve) must survive an admin key.
    """

    registrar = "registrar"
    disburser = "disburser"
    approver = "approver"
    merchant = "merchant"
    issuer = "issuer"
    verifier = "verifier"
    auditor = "auditor"
    admin = "admin"


class BindingKind(StrEnum):
    """Objects a key can be bound to: one cash programme, or one registry (eco-credits or certificates)."""

    programme = "programme"
    registry = "registry"


class IdempotencyState(StrEnum):
    in_progress = "in_progress"
    completed = "completed"


class ApiKey(Base):
    """One API key. The secret itself is never stored: only its SHA-256 (see the module docstring)."""

    __tablename__ = "api_keys"
    __table_args__ = (CheckConstraint("(bound_kind IS NULL) = (bound_id IS NULL)", name="binding_complete"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    prefix: Mapped[str] = mapped_column(String(32), unique=True, comment="public lookup id, part of the token")
    secret_hash: Mapped[str] = mapped_column(String(64), comment="hex SHA-256 of the whole token")
    label: Mapped[str] = mapped_column(String(200))
    scopes: Mapped[list[str]] = mapped_column(JSON)
    bound_kind: Mapped[str | None] = mapped_column(String(32), default=None)
    bound_id: Mapped[str | None] = mapped_column(String(128), default=None, comment="lower-case when an address")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    last_used_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)

    @property
    def is_revoked(self) -> bool:
        return self.revoked_at is not None


class IdempotencyRecord(Base):
    """The first request made with one Idempotency-Key by one API key, and the response it produced.

    `claim_token` changes whenever a request takes the key (first claim, or take-over of a crashed one); the
    response is stored only by the holder of the current token, inside the same transaction as its own writes.
    """

    __tablename__ = "idempotency_records"
    __table_args__ = (
        UniqueConstraint("api_key_id", "key", name="uq_idempotency_records_api_key_id_key"),
        CheckConstraint("state IN ('in_progress', 'completed')", name="state"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    api_key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(String(255))
    method: Mapped[str] = mapped_column(String(16))
    path: Mapped[str] = mapped_column(String(2048))
    body_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[str] = mapped_column(String(16), default=IdempotencyState.in_progress.value)
    claim_token: Mapped[str] = mapped_column(String(64))
    locked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    owner: Mapped[str | None] = mapped_column(
        String(300), default=None, comment="the process holding the claim: worker id, host, pid, start, instance"
    )
    response_status: Mapped[int | None] = mapped_column(Integer, default=None)
    response_headers: Mapped[dict[str, str] | None] = mapped_column(JSON, default=None)
    response_body: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), default=None)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
