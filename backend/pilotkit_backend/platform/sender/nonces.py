"""Nonces handed out from the database, per (chain, signer), one per job, atomically across processes.

The counter row is read from the chain's *latest* transaction count once, when it does not exist yet, and
only counted up afterwards: never refilled from the "pending" pool, which races between processes. The only
correction is forward (`at_least`): nonces already used on chain can never be handed out again.

Locking: on PostgreSQL the row is taken with `SELECT ... FOR UPDATE` inside the caller's transaction; on
SQLite the whole write transaction is `BEGIN IMMEDIATE` (see `write_session`), so writers queue up.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import select, text
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from pilotkit_backend.platform.models.jobs import SignerNonce, utcnow


class NonceError(RuntimeError):
    """Nonces cannot be handed out (bad count, or the chain count could not be read)."""


@contextmanager
def write_session(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session whose transaction is a write transaction from its first statement; commits on success.

    SQLite: `BEGIN IMMEDIATE` takes the database's write lock up front (no late lock upgrade that fails
    with "database is locked" under concurrency). PostgreSQL: an ordinary transaction; callers lock rows.
    """
    with factory() as session:
        if session.get_bind().dialect.name == "sqlite":
            session.execute(text("BEGIN IMMEDIATE"))
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise


def _lock_row(session: Session, chain_id: int, signer: str, chain_count: Callable[[], int]) -> SignerNonce:
    """The counter row, locked for this transaction; created from the chain's latest count if missing."""
    row = session.execute(
        select(SignerNonce).where(SignerNonce.chain_id == chain_id, SignerNonce.signer == signer)
        .with_for_update()
    ).scalar_one_or_none()
    if row is not None:
        return row
    start = int(chain_count())
    if start < 0:
        raise NonceError(f"chain reported a negative transaction count for {signer}")
    values = {"chain_id": chain_id, "signer": signer, "next_nonce": start, "updated_at": utcnow()}
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # two processes may both find no row: the loser's insert does nothing and it then waits on the lock
    session.execute(insert(SignerNonce).values(**values).on_conflict_do_nothing())
    return session.execute(
        select(SignerNonce).where(SignerNonce.chain_id == chain_id, SignerNonce.signer == signer)
        .with_for_update().execution_options(populate_existing=True)
    ).scalar_one()


def allocate(session: Session, chain_id: int, signer: str, count: int,
             chain_count: Callable[[], int]) -> list[int]:
    """Reserve `count` consecutive nonces inside the caller's write transaction; they are used when it commits.

    `chain_count` returns the signer's transaction count at the *latest* block; it is called only when the
    counter does not exist yet.
    """
    if count < 0:
        raise NonceError("cannot allocate a negative number of nonces")
    row = _lock_row(session, chain_id, signer, chain_count)
    first = int(row.next_nonce)
    if count:
        row.next_nonce = first + count
        row.updated_at = utcnow()
        session.flush()
    return list(range(first, first + count))


def at_least(session: Session, chain_id: int, signer: str, minimum: int, chain_count: Callable[[], int]) -> int:
    """Move the counter forward to `minimum` (nonces below it are used on chain); returns the counter."""
    row = _lock_row(session, chain_id, signer, chain_count)
    if minimum > row.next_nonce:
        row.next_nonce = minimum
        row.updated_at = utcnow()
        session.flush()
    return int(row.next_nonce)


def peek(session: Session, chain_id: int, signer: str) -> int | None:
    """The next nonce without reserving it (None before the first allocation)."""
    return session.execute(
        select(SignerNonce.next_nonce).where(SignerNonce.chain_id == chain_id, SignerNonce.signer == signer)
    ).scalar_one_or_none()
