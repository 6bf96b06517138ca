"""Fixtures for the browser tests: one Anvil with the core contracts, one live backend (uvicorn) per module on
a fresh database, one headless Debian chromium per session, and a fresh browser context per test.

Each test module gets its own chain snapshot (reverted afterwards) and database, so modules do not see each
other's data; tests inside a module share the world the module sets up.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# the service test support (tests/backend/kinds) and each kind's helpers (tests/backend/kinds/<kind>)
KIND_TESTS = Path(__file__).resolve().parents[1] / "backend" / "kinds"
sys.path[:0] = [str(KIND_TESTS), *(str(KIND_TESTS / kind) for kind in ("cash", "credits", "certs"))]

from _domain_support import REPO, ServiceChain, start_service_chain  # noqa: E402
from _frontend_support import CHROMIUM, DESKTOP, LiveService, live_service  # noqa: E402

from pilotkit.project import Project  # noqa: E402


@pytest.fixture(scope="session")
def web_chain(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServiceChain]:
    project = Project.load(REPO)
    project.artifacts("local")
    chain = start_service_chain(project, tmp_path_factory.mktemp("web-chain"))
    try:
        yield chain
    finally:
        chain.close()


@pytest.fixture(scope="module")
def web(web_chain: ServiceChain, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveService]:
    snapshot = web_chain.control.snapshot()
    folder = tmp_path_factory.mktemp("web")
    try:
        with live_service(web_chain, folder, reports_dir=folder / "reports") as service:
            yield service
    finally:
        web_chain.control.revert(snapshot)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: run tools/install_system_deps.sh (installs Debian's chromium)")
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:
    ctx = browser.new_context(viewport=DESKTOP)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page
