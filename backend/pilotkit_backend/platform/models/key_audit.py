"""ORM model: the audit trail of API keys (who created or revoked which key, when). Never a secret or its hash."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pilotkit_backend.db.base import Base
from pilotkit_backend.db.types import UTCDateTime, utcnow


class KeyAuditEvent(Base):
    """One change to an API key: `created` or `revoked`, by another key (`actor_key_id`) or by the CLI (null)."""

    __tablename__ = "api_key_events"
    __table_args__ = (CheckConstraint("action IN ('created', 'revoked')", name="action"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)
    action: Mapped[str] = mapped_column(String(16))
    key_id: Mapped[int] = mapped_column(ForeignKey("api_keys.id", ondelete="CASCADE"), index=True)
    actor_key_id: Mapped[int | None] = mapped_column(
        ForeignKey("api_keys.id", ondelete="SET NULL"), default=None,
        comment="the API key that made the change; null: the `pilotkit api-key` command on the server")
    actor: Mapped[str] = mapped_column(String(64), comment="'api-key <id> (<prefix>)' or 'cli'")
    detail: Mapped[dict[str, object]] = mapped_column(
        JSON, default=dict, comment="label, scopes and binding of the key at that moment (never its secret)")
