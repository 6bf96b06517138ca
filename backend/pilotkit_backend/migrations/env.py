"""Alembic environment: one linear history over `Base.metadata` (every model module is imported first).

Run programmatically by `pilotkit_backend.db.migrate.upgrade_database`, which hands over an open connection
in `config.attributes["connection"]`; run by hand, the URL comes from PILOTKIT_API_DATABASE_URL.
"""

from __future__ import annotations

import logging.config

from alembic import context
from sqlalchemy import Connection
from sqlalchemy.pool import NullPool

from pilotkit_backend.catalogue import model_modules
from pilotkit_backend.db.base import Base
from pilotkit_backend.db.engine import make_engine

model_modules()  # the platform's and every pilot kind's tables, on Base.metadata

config = context.config
target_metadata = Base.metadata

if config.config_file_name is not None and config.attributes.get("configure_logger", True):
    logging.config.fileConfig(config.config_file_name, disable_existing_loggers=False)


def _url() -> str:
    from pilotkit_backend.core.config import Settings

    return str(config.attributes.get("url") or Settings().database_url)


def _configure(**kwargs: object) -> None:
    context.configure(target_metadata=target_metadata, compare_type=True, **kwargs)  # type: ignore[arg-type]


def run_offline() -> None:
    url = _url()
    _configure(
        url=url, literal_binds=True, render_as_batch=url.startswith("sqlite"), dialect_opts={"paramstyle": "named"}
    )
    with context.begin_transaction():
        context.run_migrations()


def _run(connection: Connection) -> None:
    _configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite")
    with context.begin_transaction():
        context.run_migrations()


def run_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = make_engine(_url(), poolclass=NullPool)
    try:
        with engine.connect() as connection:
            _run(connection)
    finally:
        engine.dispose()


if context.is_offline_mode():
    run_offline()
else:
    run_online()
