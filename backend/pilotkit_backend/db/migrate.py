"""Run the Alembic migrations from code: `upgrade_database(url)` brings any database to the newest schema.

The migrations ship inside the package (`pilotkit_backend/migrations`), so this works from an installed wheel.
Concurrent upgrades (several processes starting at once on a fresh database) are serialised: on PostgreSQL by
a transaction-scoped advisory lock, on a SQLite file by an exclusive `flock` on `<database>.migrate.lock` (SQLite's
own locking comes too late: Alembic reads the version before it writes).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, make_url, text
from sqlalchemy.pool import NullPool

from pilotkit_backend.db.engine import make_engine

MIGRATIONS_DIR = Path(__file__).resolve().parents[1] / "migrations"
_PG_LOCK_ID = 0x70696C6F74  # "pilot": one advisory lock id for schema upgrades


def _alembic_config(connection: Connection | None = None) -> object:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR).replace("%", "%%"))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def upgrade_database(url: str, revision: str = "head") -> None:
    """Apply every migration up to `revision` (idempotent: an up-to-date database is left as it is)."""
    from alembic import command

    engine = make_engine(url, poolclass=NullPool)
    try:
        with _sqlite_file_lock(url), engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _PG_LOCK_ID})
            command.upgrade(_alembic_config(connection), revision)  # type: ignore[arg-type]
    finally:
        engine.dispose()


@contextmanager
def _sqlite_file_lock(url: str) -> Iterator[None]:
    parsed = make_url(url)
    database = parsed.database
    if parsed.get_backend_name() != "sqlite" or not database or database == ":memory:" or database.startswith("file:"):
        yield
        return
    try:
        import fcntl
    except ImportError:  # pragma: no cover - not on POSIX
        yield
        return
    with open(f"{database}.migrate.lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def head_revisions() -> set[str]:
    """The newest revision(s) the shipped migrations define."""
    from alembic.script import ScriptDirectory

    return set(ScriptDirectory.from_config(_alembic_config()).get_heads())  # type: ignore[arg-type]


def current_revisions(engine: Engine) -> set[str]:
    """The revision(s) a database is at (empty for a database that was never migrated)."""
    from alembic.runtime.migration import MigrationContext

    with engine.connect() as connection:
        return set(MigrationContext.configure(connection).get_current_heads())


def is_up_to_date(engine: Engine) -> bool:
    return current_revisions(engine) == head_revisions()
