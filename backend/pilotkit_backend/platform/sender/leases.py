"""Which jobs a sender worker may touch: leases claimed, renewed, taken over and re-checked in the database.

A worker only works jobs whose `lease_owner` is its id. Queued jobs are claimed up to the room a signer has
(`FOR UPDATE SKIP LOCKED` on PostgreSQL, so two workers never claim the same job; SQLite has one writer at a
time via `BEGIN IMMEDIATE`). Leases are renewed every third of their length; an in-flight job whose lease ran
out (a dead worker) is taken over, and so is a settled job still watched for reorgs (not final yet). Every
write transaction re-checks ownership with `fence` first, so a worker that lost a lease while paused cannot
change the job any more.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update
from sqlalchemy.orm import Session, selectinload, sessionmaker

from pilotkit_backend.platform.models.jobs import (
    FINAL_STATUSES,
    IN_FLIGHT_STATUSES,
    UNFINISHED_STATUSES,
    Job,
    JobStatus,
    utcnow,
)
from pilotkit_backend.platform.sender.nonces import write_session

IN_FLIGHT = [s.value for s in IN_FLIGHT_STATUSES]
UNFINISHED = [s.value for s in UNFINISHED_STATUSES]
QUEUED = [JobStatus.QUEUED.value]
SETTLED = [s.value for s in FINAL_STATUSES]


def watched() -> Any:
    """Settled from the chain (it has a nonce) but not final yet: a reorg may still undo it."""
    return and_(Job.status.in_(SETTLED), Job.finalized.is_(False), Job.nonce.is_not(None))


class Leases:
    """One worker's leases on the jobs of its signers on one chain."""

    def __init__(self, factory: sessionmaker[Session], chain_id: int, signers: Iterable[str], worker_id: str,
                 lease: timedelta) -> None:
        self.factory = factory
        self.chain_id = chain_id
        self.signers = sorted(signers)
        self.worker_id = worker_id
        self.lease = lease
        self._renewed = 0.0

    def _ours(self) -> Any:
        return and_(Job.chain_id == self.chain_id, Job.signer.in_(self.signers), Job.lease_owner == self.worker_id)

    def held_ids(self, statuses: Sequence[str]) -> set[str]:
        with self.factory() as session:
            return set(session.execute(select(Job.id).where(self._ours(), Job.status.in_(statuses))).scalars())

    def load(self, statuses: Sequence[str]) -> list[Job]:
        """Our jobs in `statuses` with their attempts, lowest nonce first (detached snapshots)."""
        with self.factory() as session:
            return list(session.execute(
                select(Job).where(self._ours(), Job.status.in_(statuses)).options(selectinload(Job.attempts))
                .order_by(Job.nonce, Job.created_at, Job.id)).scalars())

    def load_watched(self) -> list[Job]:
        """Our settled jobs that are not final yet, with their attempts, lowest nonce first."""
        with self.factory() as session:
            return list(session.execute(
                select(Job).where(self._ours(), watched()).options(selectinload(Job.attempts))
                .order_by(Job.nonce, Job.created_at, Job.id)).scalars())

    def fence_watched(self, session: Session, ids: Iterable[str]) -> set[str]:
        """Inside a write transaction: lock and return those of `ids` we hold that are still watched."""
        wanted = list(ids)
        if not wanted:
            return set()
        return set(session.execute(select(Job.id).where(
            Job.id.in_(wanted), Job.lease_owner == self.worker_id, watched()).with_for_update()).scalars())

    def maintain(self, force: bool = False) -> list[str]:
        """Renew our leases and take over in-flight jobs whose lease ran out; returns the ids taken over.

        Queued jobs are not taken over here: `claim` takes only as many as there is room for, so one worker
        never sits on a queue another could be working."""
        if not force and time.monotonic() - self._renewed < self.lease.total_seconds() / 3:
            return []
        now = utcnow()
        with write_session(self.factory) as session:
            session.execute(update(Job).where(self._ours(), or_(Job.status.in_(UNFINISHED), watched()))
                            .values(lease_until=now + self.lease))
            free = or_(Job.lease_owner.is_(None), Job.lease_until < now)
            taken = list(session.execute(
                select(Job.id).where(Job.chain_id == self.chain_id, Job.signer.in_(self.signers),
                                     or_(Job.status.in_(IN_FLIGHT), watched()), free)
                .with_for_update(skip_locked=True)).scalars())
            if taken:
                session.execute(update(Job).where(Job.id.in_(taken)).values(
                    lease_owner=self.worker_id, lease_until=now + self.lease))
        self._renewed = time.monotonic()
        return taken

    def fence(self, session: Session, ids: Iterable[str], statuses: Sequence[str]) -> set[str]:
        """Inside a write transaction: lock and return those of `ids` we still hold in one of `statuses`."""
        wanted = list(ids)
        if not wanted:
            return set()
        return set(session.execute(select(Job.id).where(
            Job.id.in_(wanted), Job.lease_owner == self.worker_id, Job.status.in_(statuses)).with_for_update()
        ).scalars())

    def _claimable(self, signer: str, now: datetime) -> Any:
        return and_(Job.chain_id == self.chain_id, Job.signer == signer, Job.status == JobStatus.QUEUED.value,
                    or_(Job.lease_owner.is_(None), Job.lease_owner == self.worker_id, Job.lease_until < now),
                    or_(Job.not_before.is_(None), Job.not_before <= now))

    def claim(self, room: dict[str, int]) -> list[Job]:
        """Lease the oldest due queued jobs of each signer, up to its room; returns them oldest first."""
        now = utcnow()
        signers = [signer for signer, free in room.items() if free > 0]
        with self.factory() as session:  # a read first: an idle worker takes no write lock
            if not any(session.execute(select(Job.id).where(self._claimable(s, now)).limit(1)).first()
                       for s in signers):
                return []
        ids: list[str] = []
        with write_session(self.factory) as session:
            for signer in signers:
                ids += session.execute(
                    select(Job.id).where(self._claimable(signer, now)).order_by(Job.created_at, Job.id)
                    .limit(room[signer]).with_for_update(skip_locked=True)
                ).scalars().all()
            if ids:
                session.execute(update(Job).where(Job.id.in_(ids)).values(lease_owner=self.worker_id,
                                                                          lease_until=now + self.lease))
        if not ids:
            return []
        with self.factory() as session:
            return list(session.execute(select(Job).where(Job.id.in_(ids)).order_by(Job.created_at, Job.id)).scalars())
