"""ORM models of cash disbursement rounds (migration 0008_rounds).

A `CashRound` is a round proposed through the API: who proposed and approved it (API key ids and labels), its
parameters as sent on chain, and its distribution plan (the indexes and amounts the approver reviewed, from
which Merkle trees and proofs are rebuilt after a restart). `chain_round_id` is learnt from the proposal's
receipt once it is mined. Each payment job of a round (a push batch, a single payment, a relayed claim) is a
`CashRoundPayment` listing the indexes it pays, so disbursing again only queues what is not queued yet.
Amounts are decimal strings: token amounts can exceed SQL integers.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilotkit_backend.db.base import Base
from pilotkit_backend.db.types import UTCDateTime, utcnow


class RoundKind(StrEnum):
    """`ICashProgramme.RoundKind` (the value is the enum's position on chain)."""

    flat_push = "flat_push"
    list_push = "list_push"
    merkle_claim = "merkle_claim"

    @property
    def chain_value(self) -> int:
        return {"flat_push": 0, "list_push": 1, "merkle_claim": 2}[self.value]


class PaymentKind(StrEnum):
    batch = "batch"  # payFlat / payList of up to MAX_BATCH indexes
    payment = "payment"  # payFlat of one index
    claim = "claim"  # claimFor relayed with the wallet's signature


class CashRound(Base):
    """One round proposed through the API, on one programme."""

    __tablename__ = "cash_rounds"
    __table_args__ = (Index("ix_cash_rounds_programme", "chain_id", "programme", "id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    programme: Mapped[str] = mapped_column(String(42))  # checksummed
    chain_round_id: Mapped[int | None] = mapped_column(BigInteger)  # from the proposal's receipt
    kind: Mapped[str] = mapped_column(String(16))
    amount: Mapped[str] = mapped_column(String(40))  # flat amount, or the cap on any one amount
    budget: Mapped[str] = mapped_column(String(40))
    opens_at: Mapped[int] = mapped_column(BigInteger)  # unix seconds, as on chain
    closes_at: Mapped[int] = mapped_column(BigInteger)
    root: Mapped[str | None] = mapped_column(String(66))
    plan_hash: Mapped[str] = mapped_column(String(66))
    funder: Mapped[str] = mapped_column(String(42))
    plan: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"indexes": [...], "amounts": [...] | None, "batches"?}
    beneficiary_count: Mapped[int] = mapped_column(Integer)
    proposer_key_id: Mapped[int] = mapped_column(Integer)
    proposer_label: Mapped[str] = mapped_column(String(120))
    approver_key_id: Mapped[int | None] = mapped_column(Integer)
    approver_label: Mapped[str | None] = mapped_column(String(120))
    propose_job_id: Mapped[str] = mapped_column(String(36))
    funding_job_id: Mapped[str | None] = mapped_column(String(36))  # the approver's token allowance
    approve_job_id: Mapped[str | None] = mapped_column(String(36))
    cancel_job_id: Mapped[str | None] = mapped_column(String(36))
    sweep_job_id: Mapped[str | None] = mapped_column(String(36))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    payments: Mapped[list[CashRoundPayment]] = relationship(
        back_populates="round", order_by="CashRoundPayment.id", cascade="all, delete-orphan", passive_deletes=True,
    )

    @property
    def round_kind(self) -> RoundKind:
        return RoundKind(self.kind)


class CashRoundPayment(Base):
    """One payment job of a round and the beneficiary indexes it pays."""

    __tablename__ = "cash_round_payments"
    __table_args__ = (Index("ix_cash_round_payments_span", "round_pk", "first_index", "last_index"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("cash_rounds.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    batch_position: Mapped[int | None] = mapped_column(Integer)  # ListPush: the batch's leaf in the plan tree
    indexes: Mapped[list[int]] = mapped_column(JSON)
    first_index: Mapped[int] = mapped_column(BigInteger)  # smallest and largest of `indexes`: finds the jobs
    last_index: Mapped[int] = mapped_column(BigInteger)  # that may pay one index without reading them all
    total: Mapped[str] = mapped_column(String(40))  # what the job pays if every index is paid
    job_id: Mapped[str] = mapped_column(String(36), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    round: Mapped[CashRound] = relationship(back_populates="payments")
