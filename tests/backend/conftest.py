"""Fixtures shared by every backend suite: throwaway databases (see dbs.py). Keep this file to DB fixtures.

`database_url` (parametrized sqlite / postgresql), `postgresql_url` and the session's `postgres_cluster`.
"""

from __future__ import annotations

from dbs import database_url, postgres_cluster, postgresql_url  # tests/backend is on sys.path (rootdir conftest)

__all__ = ["database_url", "postgres_cluster", "postgresql_url"]
