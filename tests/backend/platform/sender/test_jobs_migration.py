"""Alembic 0002_jobs creates exactly the tables platform/models/jobs.py declares, on SQLite and on PostgreSQL."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pilotkit_backend.db.base import Base
from pilotkit_backend.db.engine import make_engine
from pilotkit_backend.db.migrate import upgrade_database
from sqlalchemy import inspect

JOB_TABLES = {"jobs", "job_attempts", "signer_nonces"}


def _owner(obj: Any) -> str | None:
    table = getattr(obj, "table", None)
    return getattr(table, "name", None) or getattr(obj, "name", None)


def test_migration_matches_the_job_models(database_url: str) -> None:
    upgrade_database(database_url)
    engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) >= JOB_TABLES

        def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
            owner = name if type_ == "table" else _owner(obj if obj is not None else compare_to)
            return owner in JOB_TABLES

        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True, "include_object": include})
            diff = compare_metadata(context, Base.metadata)
        assert diff == []
        indexes = {ix["name"] for ix in inspect(engine).get_indexes("jobs")}
        assert "ix_jobs_work" in indexes
        uniques = {tuple(u["column_names"]) for u in inspect(engine).get_unique_constraints("jobs")}
        assert ("chain_id", "signer", "nonce") in uniques  # the database itself refuses a shared nonce
    finally:
        engine.dispose()
