"""Fixtures for the sender tests: the compiled project, a fresh Anvil + TestStablecoin per test, a job database.

(Not named `chain`: the pilotkit pytest plugin gives that name a snapshot/revert meaning.)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _sender_support import Chain, Db, open_db, start_chain

from pilotkit.project import Project


@pytest.fixture(scope="session")
def project() -> Project:
    from _sender_support import REPO

    project = Project.load(REPO)
    project.artifacts("local")  # compiles once (cached in build/)
    return project


@pytest.fixture
def token_chain(project: Project, tmp_path: Path) -> Iterator[Chain]:
    """Automine Anvil (each transaction mined on arrival); tests may switch automine off."""
    chain = start_chain(project, tmp_path)
    try:
        yield chain
    finally:
        chain.close()


@pytest.fixture
def block_token_chain(project: Project, tmp_path: Path) -> Iterator[Chain]:
    """Anvil mining a block every 0.1 s: many transactions per block, some always pending."""
    chain = start_chain(project, tmp_path, block_time=0.1)
    try:
        yield chain
    finally:
        chain.close()


@pytest.fixture
def db(database_url: str) -> Iterator[Db]:
    """The job tables in a fresh database (SQLite and PostgreSQL)."""
    opened = open_db(database_url)
    try:
        yield opened
    finally:
        opened.engine.dispose()
