"""Run the Alembic migrations from code: `upgrade_database(url)` brings any database to the newest schema.

The migrations ship inside the package (`pilotkit_backend/migrations`), so this works from an installed wheel.
On PostgreSQL a transaction-scoped advisory lock serialises concurrent upgrades (several service processes
starting at once); SQLite serialises writers by itself.
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import Connection, Engine, text
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
        with engine.begin() as connection:
            if connection.dialect.name == "postgresql":
                connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": _PG_LOCK_ID})
            command.upgrade(_alembic_config(connection), revision)  # type: ignore[arg-type]
    finally:
        engine.dispose()


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
