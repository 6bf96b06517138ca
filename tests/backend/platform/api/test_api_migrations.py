"""Alembic: an empty database migrated to head has exactly the schema the models declare.

One comparison per model module, each against the migration that creates its tables. While a migration file
is absent (they are written in parallel), its module's comparison is skipped with that reason — only that one.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from pilotkit_backend.catalogue import model_modules
from pilotkit_backend.db.base import Base
from pilotkit_backend.db.engine import make_engine
from pilotkit_backend.db.migrate import (
    MIGRATIONS_DIR,
    current_revisions,
    head_revisions,
    is_up_to_date,
    upgrade_database,
)
from sqlalchemy import Table, inspect

PLATFORM, KINDS = "pilotkit_backend.platform.models", "pilotkit_backend.kinds"
MIGRATION_OF = {
    f"{PLATFORM}.access": "0001_access", f"{PLATFORM}.jobs": "0002_jobs", f"{PLATFORM}.index": "0003_index",
    f"{PLATFORM}.registry": "0004_registry", f"{KINDS}.cash.models.beneficiaries": "0005_cash",
    f"{KINDS}.credits.models": "0006_credits", f"{KINDS}.certs.models": "0007_certs",
    f"{KINDS}.cash.models.rounds": "0008_rounds", f"{PLATFORM}.key_audit": "0012_key_audit",
}


def _tables_of(module: str) -> set[str]:
    tables: set[str] = set()
    for mapper in Base.registry.mappers:
        if mapper.class_.__module__ == module:
            tables.update(t.name for t in mapper.tables if isinstance(t, Table))
    return tables


def _migration_present(revision: str) -> bool:
    return any(p.name.startswith(revision) for p in (MIGRATIONS_DIR / "versions").glob("*.py"))


def _table_name(obj: Any) -> str | None:
    if isinstance(obj, Table):
        return obj.name
    table = getattr(obj, "table", None)
    return table.name if isinstance(table, Table) else None


def _diff_tables(diff: Any) -> Iterable[str]:
    for entry in diff if isinstance(diff, list) else [diff]:
        for part in entry[1:]:
            name = part if isinstance(part, str) and part in Base.metadata.tables else _table_name(part)
            if name:
                yield name


def test_every_model_module_is_known() -> None:
    modules = {m.class_.__module__ for m in Base.registry.mappers}
    assert modules <= set(MIGRATION_OF), f"add the new model module's migration to MIGRATION_OF: {modules}"
    assert {m.__name__ for m in model_modules()} == set(MIGRATION_OF)


@pytest.mark.parametrize("module", sorted(MIGRATION_OF))
def test_migrated_schema_matches_the_models(module: str, database_url: str) -> None:
    revision = MIGRATION_OF[module]
    tables = _tables_of(module)
    if not _migration_present(revision):
        pytest.skip(f"migration {revision} not written yet, so tables {sorted(tables)} are not compared")
    upgrade_database(database_url)
    engine = make_engine(database_url)
    try:
        assert tables <= set(inspect(engine).get_table_names()), f"{revision} must create {sorted(tables)}"

        def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
            owner = name if type_ == "table" else _table_name(obj if obj is not None else compare_to)
            return owner in tables

        with engine.connect() as connection:
            context = MigrationContext.configure(
                connection, opts={"compare_type": True, "compare_server_default": False, "include_object": include}
            )
            diffs = [d for d in compare_metadata(context, Base.metadata) if set(_diff_tables(d)) & tables]
        assert diffs == []
    finally:
        engine.dispose()


def test_upgrade_is_idempotent_and_reaches_head(database_url: str) -> None:
    upgrade_database(database_url)
    upgrade_database(database_url)
    engine = make_engine(database_url)
    try:
        assert is_up_to_date(engine) and current_revisions(engine) == head_revisions()
        assert "0001_access" in _history()
    finally:
        engine.dispose()


def _history() -> list[str]:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    return [s.revision for s in ScriptDirectory.from_config(config).walk_revisions()]


def test_history_is_linear_from_0001_access() -> None:
    from alembic.config import Config
    from alembic.script import ScriptDirectory

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    scripts = ScriptDirectory.from_config(config)
    assert len(scripts.get_heads()) == 1 and scripts.get_bases() == ["0001_access"]


def test_a_fresh_database_is_not_up_to_date(tmp_path: Any) -> None:
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    try:
        assert current_revisions(engine) == set() and not is_up_to_date(engine)
    finally:
        engine.dispose()


def test_migrations_ship_inside_the_package() -> None:
    names = {p.name for p in MIGRATIONS_DIR.iterdir()}
    assert {"env.py", "script.py.mako", "alembic.ini", "versions"} <= names
    assert (MIGRATIONS_DIR / "versions" / "__init__.py").is_file()  # packaged with the code


def test_concurrent_upgrades_do_not_collide(database_url: str) -> None:
    """Several processes starting at once on a fresh database: one migrates, the others find it done."""
    from concurrent.futures import ThreadPoolExecutor

    with ThreadPoolExecutor(4) as pool:
        for future in [pool.submit(upgrade_database, database_url) for _ in range(4)]:
            future.result(timeout=120)
    engine = make_engine(database_url)
    try:
        assert is_up_to_date(engine)
    finally:
        engine.dispose()
