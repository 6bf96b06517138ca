"""ORM models: durable transaction jobs, every signed attempt of each, and the per-signer nonce counter.

A job is one contract call the service promised to make exactly once. It gets one nonce for life; every
transaction signed for it (the original, fee-bumped replacements, a cancelling no-op) is a `JobAttempt` at
that nonce, stored before it is broadcast, so whichever of them is mined can be recognised after a crash.

Finality: a job settled from the chain (`confirmed`, or `failed` / `expired` / `cancelled` by a mined
transaction at its nonce) is *watched* (`finalized` false) until the block that settled it is final: at or
below the node's `finalized` block where it offers that tag, else `finality_depth` blocks deep. A watched
job whose transaction a reorg removes or moves goes back to `sent` (the reorg is recorded in `history`) and
its stored signed transaction is broadcast again. A job settled without sending anything is final at once.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from pilotkit_backend.db.base import Base
from pilotkit_backend.db.types import UTCDateTime, utcnow


class JobStatus(StrEnum):
    """Where a job is: queued → signed → sent → confirmed | failed | expired | cancelled."""

    QUEUED = "queued"  # stored, no nonce yet
    SIGNED = "signed"  # nonce assigned, first attempt stored, not yet accepted by the node
    SENT = "sent"  # accepted by the node, waiting to be mined and confirmed
    CONFIRMED = "confirmed"  # its effect is on chain (mined with status 1, or observed by effect_check)
    FAILED = "failed"  # reverted (at estimation or mined), or its nonce was used by someone else
    EXPIRED = "expired"  # past expires_at: never sent, or its nonce was used by a cancelling no-op
    CANCELLED = "cancelled"  # cancelled on request, the same way

    @property
    def is_final(self) -> bool:
        return self in FINAL_STATUSES


FINAL_STATUSES = frozenset({JobStatus.CONFIRMED, JobStatus.FAILED, JobStatus.EXPIRED, JobStatus.CANCELLED})
IN_FLIGHT_STATUSES = frozenset({JobStatus.SIGNED, JobStatus.SENT})
UNFINISHED_STATUSES = frozenset({JobStatus.QUEUED, *IN_FLIGHT_STATUSES})


class AttemptKind(StrEnum):
    """Why an attempt was signed."""

    ORIGINAL = "original"
    REPLACEMENT = "replacement"  # same call, same nonce, higher fees
    CANCEL = "cancel"  # 0-value self-transfer at the job's nonce


def new_job_id() -> str:
    return str(uuid.uuid4())


class Job(Base):
    """One contract call to make exactly once, with its state, its nonce and its outcome."""

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("chain_id", "signer", "nonce", name="uq_jobs_chain_id_signer_nonce"),
        Index("ix_jobs_work", "chain_id", "signer", "status", "created_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_job_id)
    chain_id: Mapped[int] = mapped_column(BigInteger)
    kind: Mapped[str] = mapped_column(String(64))
    signer: Mapped[str] = mapped_column(String(42))
    to_address: Mapped[str] = mapped_column(String(42))
    calldata: Mapped[str] = mapped_column(Text, default="0x")  # 0x-hex
    value: Mapped[str] = mapped_column(String(78), default="0")  # wei, decimal digits (uint256 fits no SQL int)
    status: Mapped[str] = mapped_column(String(16), default=JobStatus.QUEUED.value)
    nonce: Mapped[int | None] = mapped_column(BigInteger)
    tx_hash: Mapped[str | None] = mapped_column(String(66))  # the latest attempt (the mined one once final)
    gas_limit: Mapped[int | None] = mapped_column(BigInteger)
    cancel_reason: Mapped[str | None] = mapped_column(String(16))  # "expired" / "cancelled": no-op requested
    error_name: Mapped[str | None] = mapped_column(String(128))  # decoded custom error name of a failure
    last_error: Mapped[str | None] = mapped_column(Text)  # latest transient problem (retried), for operators
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # receipt summary / decoded revert / reason
    effect_check: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # {"to", "data", "expect"} view call
    idempotency_ref: Mapped[str | None] = mapped_column(String(255), unique=True)
    api_key_id: Mapped[int | None] = mapped_column(Integer)  # the API key that asked for it (None: internal)
    object_address: Mapped[str | None] = mapped_column(String(42), index=True)  # registered contract it acts on
    lease_owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    not_before: Mapped[datetime | None] = mapped_column(UTCDateTime)  # retry back-off
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # settled and past the chain's finality (no reorg can undo it); false while watched or unfinished
    finalized: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # reorgs that undid a settlement: old / new block, status before (SQL NULL until the first)
    history: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON(none_as_null=True))

    attempts: Mapped[list[JobAttempt]] = relationship(
        back_populates="job", order_by="JobAttempt.seq", cascade="all, delete-orphan", passive_deletes=True,
    )

    @property
    def job_status(self) -> JobStatus:
        return JobStatus(self.status)

    @property
    def is_final(self) -> bool:
        """Settled (a final status); it may still be undone by a reorg until `finalized`."""
        return self.job_status.is_final

    @property
    def is_irreversible(self) -> bool:
        """Settled and final on chain (the API's `final`)."""
        return self.job_status.is_final and bool(self.finalized)

    @property
    def value_wei(self) -> int:
        return int(self.value)

    def __repr__(self) -> str:
        return f"Job({self.id}, {self.kind}, {self.status}, nonce={self.nonce})"


class JobAttempt(Base):
    """One signed transaction for a job (stored before broadcast). Any attempt of a job may be the mined one."""

    __tablename__ = "job_attempts"
    __table_args__ = (UniqueConstraint("job_id", "seq", name="uq_job_attempts_job_id_seq"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    job_id: Mapped[str] = mapped_column(ForeignKey("jobs.id", ondelete="CASCADE"), index=True)
    seq: Mapped[int] = mapped_column(Integer)  # 1, 2, ... within the job
    kind: Mapped[str] = mapped_column(String(16))
    nonce: Mapped[int] = mapped_column(BigInteger)
    tx_hash: Mapped[str] = mapped_column(String(66), unique=True)
    raw_tx: Mapped[str] = mapped_column(Text)  # 0x-hex signed bytes, re-broadcast as they are
    gas_limit: Mapped[int] = mapped_column(BigInteger)
    max_fee_per_gas: Mapped[int | None] = mapped_column(BigInteger)
    max_priority_fee_per_gas: Mapped[int | None] = mapped_column(BigInteger)
    gas_price: Mapped[int | None] = mapped_column(BigInteger)  # legacy networks
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # first time a node accepted it

    job: Mapped[Job] = relationship(back_populates="attempts")

    @property
    def fees(self) -> dict[str, int]:
        """The fee fields it was signed with (EIP-1559 or legacy)."""
        if self.gas_price is not None:
            return {"gasPrice": self.gas_price}
        return {"maxFeePerGas": int(self.max_fee_per_gas or 0),
                "maxPriorityFeePerGas": int(self.max_priority_fee_per_gas or 0)}

    def __repr__(self) -> str:
        return f"JobAttempt({self.job_id}#{self.seq}, {self.kind}, nonce={self.nonce}, {self.tx_hash})"


class SignerNonce(Base):
    """The next nonce to hand out for one signer on one chain (read from the chain once, then only counted)."""

    __tablename__ = "signer_nonces"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    signer: Mapped[str] = mapped_column(String(42), primary_key=True)
    next_nonce: Mapped[int] = mapped_column(BigInteger)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)
