"""Fixtures for the domain API tests (cash, credits, certificates, jobs) on a real Anvil.

- `service_chain` (session): Anvil with the core contracts and the service's roles granted.
- `service` (function): a started app on a fresh SQLite database inside a chain snapshot (reverted after).
- `pg_service` (function): the same on a throwaway PostgreSQL database (for tests where the database matters).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from _domain_support import Service, ServiceChain, running_service, sqlite_url, start_service_chain

from pilotkit.project import Project


@pytest.fixture(scope="session")
def service_project() -> Project:
    from _domain_support import REPO

    project = Project.load(REPO)
    project.artifacts("local")
    return project


@pytest.fixture(scope="session")
def service_chain(service_project: Project, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceChain]:
    chain = start_service_chain(service_project, tmp_path_factory.mktemp("service-chain"))
    try:
        yield chain
    finally:
        chain.close()


@pytest.fixture
def service(service_chain: ServiceChain, tmp_path: Path) -> Iterator[Service]:
    snapshot = service_chain.control.snapshot()
    try:
        with running_service(service_chain, sqlite_url(tmp_path)) as started:
            yield started
    finally:
        service_chain.control.revert(snapshot)


@pytest.fixture
def pg_service(service_chain: ServiceChain, postgresql_url: str) -> Iterator[Service]:
    snapshot = service_chain.control.snapshot()
    try:
        with running_service(service_chain, postgresql_url) as started:
            yield started
    finally:
        service_chain.control.revert(snapshot)
