"""tests/backend/dbs.py: a missing PostgreSQL fails the tests with the package to install; the cluster is local."""

from __future__ import annotations

import dbs
import pytest


def test_missing_postgres_binaries_name_the_debian_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbs.shutil, "which", lambda _name: None)
    monkeypatch.setattr(dbs.glob, "glob", lambda _pattern: [])
    with pytest.raises(dbs.PostgresUnavailable, match="Debian package 'postgresql'"):
        dbs.find_postgres_bin()


def test_the_cluster_fixture_fails_rather_than_skips(monkeypatch: pytest.MonkeyPatch) -> None:
    def unavailable() -> dbs.PostgresCluster:
        raise dbs.PostgresUnavailable("install the Debian package 'postgresql'")

    monkeypatch.setattr(dbs, "start_postgres", unavailable)
    with pytest.raises(pytest.fail.Exception, match="postgresql"):
        dbs.start_postgres_or_fail()


def test_postgresql_urls_point_at_loopback(postgresql_url: str) -> None:
    assert postgresql_url.startswith("postgresql+psycopg://postgres@127.0.0.1:")
