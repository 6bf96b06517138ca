"""ORM models of the credits area (migration 0006_credits).

Credits, batches and retirements live on chain; these tables keep only what the chain must not or cannot hold:
- `credit_issuances`: the serial range of each batch the service queued, so the serial hint of the next batch
  accounts for batches whose jobs are not mined yet (and a range already queued is refused at once);
- `credit_beneficiaries`: the readable beneficiary name of a retirement made through the service, with the salt
  of its on-chain keyed hash; erasure clears both, after which nobody (the operator included) can tie the
  on-chain hash to the name;
- `credit_local_secrets`: on local chains without `identity_key`, the generated secret the beneficiary-hash key
  is derived from.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pilotkit_backend.db.base import Base
from pilotkit_backend.db.types import UTCDateTime, utcnow


class CreditIssuance(Base):
    """A batch issuance the service queued: its registry code (serial namespace) and serial range."""

    __tablename__ = "credit_issuances"
    __table_args__ = (Index("ix_credit_issuances_namespace", "chain_id", "registry_address", "registry_code"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    registry_address: Mapped[str] = mapped_column(String(42))  # the EcoCreditRegistry, checksummed
    registry_code: Mapped[str] = mapped_column(String(66))  # bytes32 0x-hex: the serial namespace
    project_id: Mapped[int] = mapped_column(BigInteger)
    serial_start: Mapped[str] = mapped_column(String(39))  # uint128, decimal digits
    serial_end: Mapped[str] = mapped_column(String(39))
    job_id: Mapped[str | None] = mapped_column(String(36), index=True)  # set in the same transaction
    created_by_key: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class CreditBeneficiary(Base):
    """The off-chain half of a retirement made through the service: who it is for, readable, erasable."""

    __tablename__ = "credit_beneficiaries"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    registry_address: Mapped[str] = mapped_column(String(42), index=True)
    job_id: Mapped[str] = mapped_column(String(36), unique=True)  # the retire job (its tx names the retirement)
    beneficiary_hash: Mapped[str] = mapped_column(String(66))  # what the chain holds
    display_name: Mapped[str | None] = mapped_column(String(200))  # None once erased
    salt: Mapped[str | None] = mapped_column(String(66))  # None once erased
    created_by_key: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)


class CreditLocalSecret(Base):
    """Local chains only: a generated secret standing in for `identity_key` (never returned or logged)."""

    __tablename__ = "credit_local_secrets"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    secret: Mapped[str] = mapped_column(String(64))  # 32 bytes, hex
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
