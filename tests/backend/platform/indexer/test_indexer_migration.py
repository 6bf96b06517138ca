"""Migrations 0003_index (+ 0009_index_scope, which reshapes one index) create exactly the indexer's model tables
(checked on their own, on each database).

The full-chain check (an empty database upgraded to head equals the models) lives in the API suite
(`tests/backend/platform/api/test_api_migrations.py`); this one does not depend on the other migrations.
"""

from __future__ import annotations

import importlib.util
from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.operations import Operations
from pilotkit_backend.db.base import Base
from pilotkit_backend.db.engine import make_engine
from pilotkit_backend.db.migrate import MIGRATIONS_DIR
from sqlalchemy import inspect

MINE = {"indexed_blocks", "indexed_events", "indexer_checkpoints"}


INDEX_MIGRATIONS = ("0003_index", "0009_index_scope")


def _migration(name: str = "0003_index") -> Any:
    spec = importlib.util.spec_from_file_location(f"migration_{name}", MIGRATIONS_DIR / "versions" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(url: str, step: str) -> None:
    engine = make_engine(url)
    names = INDEX_MIGRATIONS if step == "upgrade" else tuple(reversed(INDEX_MIGRATIONS))
    try:
        with engine.begin() as connection:
            context = MigrationContext.configure(connection)
            with Operations.context(context):
                for name in names:
                    getattr(_migration(name), step)()
    finally:
        engine.dispose()


def test_revision_identifiers() -> None:
    migration = _migration()
    assert (migration.revision, migration.down_revision) == ("0003_index", "0002_jobs")


def test_migration_matches_the_models_then_downgrades(database_url: str) -> None:
    from pilotkit_backend.catalogue import model_modules

    model_modules()  # registers the tables

    _run(database_url, "upgrade")
    engine = make_engine(database_url)
    try:
        assert set(inspect(engine).get_table_names()) >= MINE

        def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
            table = name if type_ == "table" else getattr(getattr(obj if obj is not None else compare_to,
                                                                  "table", None), "name", None)
            return table in MINE

        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": True, "include_object": include})
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()
    _run(database_url, "downgrade")
    engine = make_engine(database_url)
    try:
        assert not MINE & set(inspect(engine).get_table_names())
    finally:
        engine.dispose()
