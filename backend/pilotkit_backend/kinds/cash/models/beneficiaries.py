"""ORM models of the cash area: the off-chain beneficiary records and the local identity secret (0005_cash).

No raw identifier is ever stored: a record holds the keyed hash (also on chain), the index the chain gave it,
the wallet (personal data, deleted on erasure), a mirror of the on-chain status and the jobs that changed it.
After erasure the row stays as a tombstone keyed by the hash, so the service refuses to link that hash to a
person again.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from pilotkit_backend.db.base import Base
from pilotkit_backend.db.types import UTCDateTime, utcnow


class BeneficiaryState(StrEnum):
    """Status mirror: the on-chain statuses, plus `pending` (enrol job not final) and `failed` (never enrolled)."""

    pending = "pending"
    active = "active"
    suspended = "suspended"
    removed = "removed"
    failed = "failed"


#: ICashProgramme.BeneficiaryStatus values → mirror status.
CHAIN_STATUS = {1: BeneficiaryState.active, 2: BeneficiaryState.suspended, 3: BeneficiaryState.removed}


class IdentitySecret(Base):
    """The master identity key generated for a local chain (real networks must set PILOTKIT_API_IDENTITY_KEY)."""

    __tablename__ = "cash_identity_secrets"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    secret_hex: Mapped[str] = mapped_column(String(130))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)


class BeneficiaryRecord(Base):
    """One person enrolled (or being enrolled) in one programme, by keyed hash only."""

    __tablename__ = "cash_beneficiaries"
    __table_args__ = (
        UniqueConstraint("chain_id", "programme", "beneficiary_id", name="uq_cash_beneficiaries_hash"),
        Index("ix_cash_beneficiaries_index", "chain_id", "programme", "beneficiary_index"),
        Index("ix_cash_beneficiaries_wallet", "chain_id", "programme", "wallet"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    programme: Mapped[str] = mapped_column(String(42))  # checksummed
    beneficiary_id: Mapped[str] = mapped_column(String(66))  # 0x-hex keyed hash
    beneficiary_index: Mapped[int | None] = mapped_column(BigInteger)  # set once the enrolment is on chain
    wallet: Mapped[str | None] = mapped_column(String(42))  # checksummed; NULL once erased
    status: Mapped[str] = mapped_column(String(16))  # BeneficiaryState
    enrol_job_id: Mapped[str | None] = mapped_column(String(36), index=True)
    enrol_position: Mapped[int] = mapped_column(Integer, default=0)  # position in its enrolBatch call
    pending_job_id: Mapped[str | None] = mapped_column(String(36))  # last status/wallet change not yet settled
    created_by_key: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    erased_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    @property
    def erased(self) -> bool:
        return self.erased_at is not None
