"""Engines for SQLite (WAL, foreign keys, busy timeout) and PostgreSQL, and a session factory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

#: Connections per process: one request can hold two at once (its own session, plus the key check or the
#: Idempotency-Key claim), up to 40 requests run at once (the server's thread pool), plus the sender and the
#: indexer. Too small a pool makes requests wait for each other's connections instead of the database.
POOL = {"sqlite": {"pool_size": 20, "max_overflow": 80, "pool_timeout": 30},
        "postgresql": {"pool_size": 10, "max_overflow": 40, "pool_timeout": 30}}


def make_engine(url: str, **kwargs: Any) -> Engine:
    """An engine configured for concurrent service use on either backend."""
    if url.startswith("sqlite"):
        if "poolclass" not in kwargs and ":memory:" not in url and url.rstrip("/") != "sqlite:":
            kwargs = {**POOL["sqlite"], **kwargs}
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30}, **kwargs)

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    if "poolclass" not in kwargs:
        kwargs = {**POOL["postgresql"], **kwargs}
    return create_engine(url, pool_pre_ping=True, **kwargs)


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


def is_sqlite(engine: Engine) -> bool:
    return engine.dialect.name == "sqlite"
