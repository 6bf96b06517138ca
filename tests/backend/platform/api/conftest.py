"""Fixtures for the HTTP API tests: a migrated database, the app with test-only routes, API keys.

`database_url` comes from tests/backend/conftest.py (dbs.py): each test runs on SQLite and on PostgreSQL. Without
dbs.py (a partial checkout) a SQLite-only fallback is defined here.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from _api_support import Api, ApiFactory, Probe, create_test_tables, mount_test_routes
from fastapi.testclient import TestClient
from pilotkit_backend.core.config import Settings
from pilotkit_backend.db.migrate import upgrade_database
from pilotkit_backend.main import create_app

if not (Path(__file__).resolve().parents[2] / "dbs.py").is_file():

    @pytest.fixture
    def database_url(tmp_path: Path) -> str:
        return f"sqlite:///{tmp_path / 'api.db'}"


@pytest.fixture
def migrated_url(database_url: str) -> str:
    upgrade_database(database_url)
    return database_url


@pytest.fixture
def make_api(migrated_url: str) -> Iterator[ApiFactory]:
    """Build (and start) an app with settings overrides; every app built is shut down after the test."""
    stack = contextlib.ExitStack()

    def build(**overrides: Any) -> Api:
        settings = Settings(
            **{"database_url": migrated_url, "rate_limit_per_second": 1000.0, "rate_limit_burst": 1000, **overrides}
        )
        app = create_app(settings)
        probe = Probe()
        mount_test_routes(app, probe)
        client = stack.enter_context(TestClient(app, raise_server_exceptions=False))
        create_test_tables(app.state.engine)
        return Api(app, client, probe)

    with stack:
        yield build


@pytest.fixture
def api(make_api: ApiFactory) -> Api:
    return make_api()
