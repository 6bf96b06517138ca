"""A real backend for browser tests: uvicorn on 127.0.0.1 (free port) in a thread, attached to the domain tests'
Anvil (`start_service_chain`), on its own SQLite database, with helpers to make keys and call the API.

Playwright drives Debian's chromium (`/usr/bin/chromium`, installed by tools/install_system_deps.sh); the
Playwright browser download is never used.
"""

from __future__ import annotations

import contextlib
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import uvicorn
from _domain_support import FINAL, ServiceChain, new_key, wait_indexed
from fastapi import FastAPI
from pilotkit_backend.core.config import Settings
from pilotkit_backend.db.migrate import upgrade_database
from pilotkit_backend.main import create_app
from pilotkit_backend.platform.runtime import attach_chain

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
PHONE = {"width": 375, "height": 667}
DESKTOP = {"width": 1280, "height": 900}


@dataclass
class LiveService:
    """The started server: `url`, `key(...)`, `get/post` (httpx, real HTTP) and `wait(job_id)`."""

    app: FastAPI
    url: str
    chain: ServiceChain
    http: httpx.Client

    def key(self, *scopes: str, bind: str | None = None, label: str = "test key") -> str:
        return new_key(self.app, *scopes, bind=bind, label=label)

    @staticmethod
    def headers(token: str | None, idem: str | None = None) -> dict[str, str]:
        out = {"Authorization": f"Bearer {token}"} if token else {}
        if idem:
            out["Idempotency-Key"] = idem
        return out

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> httpx.Response:
        return self.http.get(path, headers=self.headers(token), **kwargs)

    def post(self, path: str, token: str | None, json: Any = None, *, idem: bool = True,
             **kwargs: Any) -> httpx.Response:
        return self.http.post(path, headers=self.headers(token, str(uuid.uuid4()) if idem else None), json=json,
                              **kwargs)

    def wait(self, job_id: str, token: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            body = self.get(f"/v1/jobs/{job_id}", token).json()
            if body.get("status") in FINAL:
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} not final after {timeout}s: {body}")
            time.sleep(0.05)

    def confirmed(self, response: httpx.Response, token: str) -> dict[str, Any]:
        assert response.status_code == 202, response.text
        body = response.json()
        jobs = body.get("jobs") or [body]
        results = [self.wait(job["job_id"], token) for job in jobs]
        for job in results:
            assert job["status"] == "confirmed", job
        return body

    def wait_indexed(self, timeout: float = 60.0) -> None:
        wait_indexed(self.app, self.chain, timeout)


def _free_socket() -> socket.socket:
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    return sock


@contextlib.contextmanager
def live_service(chain: ServiceChain, folder: Path, reports_dir: Path | None = None,
                 **overrides: Any) -> Iterator[LiveService]:
    """Migrate a fresh SQLite database in `folder`, serve the app with uvicorn until the block ends."""
    database_url = f"sqlite:///{folder / 'web.db'}"
    upgrade_database(database_url)
    settings = Settings(**{"database_url": database_url, "rate_limit_per_second": 1000.0, "rate_limit_burst": 1000,
                           "sender_poll_seconds": 0.02, "indexer_poll_seconds": 0.05, "worker_id": "test-web",
                           **overrides})
    app = create_app(settings)
    if reports_dir is not None:
        app.state.web_settings.reports_dir = reports_dir
    attach_chain(app, chain.context)
    sock = _free_socket()
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False, lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, name="web-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + 60
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the web test server did not start")
        time.sleep(0.02)
    url = f"http://127.0.0.1:{port}"
    try:
        with httpx.Client(base_url=url, timeout=60) as http:
            yield LiveService(app, url, chain, http)
    finally:
        server.should_exit = True
        thread.join(timeout=30)
        sock.close()


def no_horizontal_scroll(page: Any) -> bool:
    return bool(page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"))


def shot(page: Any, name: str) -> Path:
    """Save a full-page screenshot as a test artefact (tests/frontend/artifacts/<name>.png)."""
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def ready(page: Any, timeout: float = 30_000) -> None:
    """Wait until the page module has rendered its data (app.js sets body[data-ready])."""
    page.wait_for_selector("body[data-ready=true]", timeout=timeout)
