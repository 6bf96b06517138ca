"""`/health`, Prometheus `/metrics`, gauge hooks, and the lifespan's worker hooks."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from _api_support import Api, ApiFactory
from _json_rpc_stub import json_rpc_stub
from fastapi.testclient import TestClient
from pilotkit_backend.core.config import Settings
from pilotkit_backend.main import create_app
from pilotkit_backend.platform.workers import Worker, rpc_health_check

SECRET_RPC = "https://rpc.example.org/v3/SECRET-PROJECT-KEY"


def test_health_ok(api: Api) -> None:
    response = api.client.get("/health")
    assert response.status_code == 200 and response.json() == {"status": "ok", "checks": {"database": "ok"}}


def test_health_reports_a_failing_check_as_503_without_details(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    def chain_down() -> None:
        raise ConnectionError(f"cannot reach {SECRET_RPC}")

    api.app.state.health_checks["chain"] = chain_down
    response = api.client.get("/health")
    assert response.status_code == 503 and response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["checks"] == {"database": "ok", "chain": "unavailable"} and body["type"] == "/problems/unavailable"
    assert response.headers["retry-after"] == "5"
    assert "SECRET" not in response.text and "SECRET" not in caplog.text


def test_health_when_the_database_is_unreachable(tmp_path: Path) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'missing' / 'dir' / 'x.db'}"))
    with TestClient(app) as client:
        response = client.get("/health")
    assert response.status_code == 503 and response.json()["checks"] == {"database": "unavailable"}
    assert str(tmp_path) not in response.text


@pytest.fixture
def fake_rpc() -> Iterator[str]:
    """A node that answers every call with block 16; its URL carries a secret that must never be shown."""
    with json_rpc_stub(lambda request: {"result": "0x10"}, path="/SECRET-PROJECT-KEY") as url:
        yield url


def test_rpc_health_check(fake_rpc: str, api: Api) -> None:
    rpc_health_check(fake_rpc)()
    api.app.state.health_checks["chain"] = rpc_health_check(fake_rpc)
    assert api.client.get("/health").json()["checks"] == {"database": "ok", "chain": "ok"}
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        closed = f"http://127.0.0.1:{sock.getsockname()[1]}/SECRET-PROJECT-KEY"
    with pytest.raises(ConnectionError) as failed:
        rpc_health_check(closed, timeout=1)()
    assert "SECRET" not in str(failed.value) and failed.value.__cause__ is None


def test_metrics_count_requests_by_route_template_and_status(api: Api) -> None:
    token = api.key("auditor")
    api.client.get("/v1/me", headers={"X-API-Key": token})
    api.client.get("/v1/me")
    api.client.get("/v1/me")
    api.client.get("/some/raw/path/0xdeadbeef")
    response = api.client.get("/metrics")
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/plain")
    text = response.text
    assert 'pilotkit_http_requests_total{method="GET",route="/v1/me",status="200"} 1.0' in text
    assert 'pilotkit_http_requests_total{method="GET",route="/v1/me",status="401"} 2.0' in text
    assert 'route="<unmatched>",status="404"' in text and "0xdeadbeef" not in text
    assert 'pilotkit_http_request_duration_seconds_count{method="GET",route="/v1/me"} 3.0' in text
    assert "pilotkit_http_requests_in_flight" in text


def test_gauges_registered_by_other_layers(api: Api) -> None:
    metrics = api.app.state.metrics
    metrics.add_gauge("pilotkit_jobs_queued", "jobs waiting to be sent", lambda: 7)
    metrics.add_gauge(
        "pilotkit_jobs", "jobs by state", lambda: {("sent",): 3, ("confirmed",): 9}, labelnames=("state",)
    )

    def broken() -> float:
        raise RuntimeError("db down")

    metrics.add_gauge("pilotkit_broken", "fails", broken)
    text = api.client.get("/metrics").text
    assert "pilotkit_jobs_queued 7.0" in text
    assert 'pilotkit_jobs{state="sent"} 3.0' in text and 'pilotkit_jobs{state="confirmed"} 9.0' in text
    assert "pilotkit_broken " not in text
    with pytest.raises(ValueError):
        metrics.add_gauge("pilotkit_jobs_queued", "again", lambda: 1)  # duplicate names are refused


def test_two_apps_have_separate_registries(make_api: ApiFactory) -> None:
    first, second = make_api(), make_api()
    first.app.state.metrics.add_gauge("pilotkit_only_first", "x", lambda: 1)
    assert "pilotkit_only_first" not in second.client.get("/metrics").text


def test_workers_start_after_the_database_and_stop_in_reverse(migrated_url: str) -> None:
    events: list[str] = []
    app = create_app(Settings(database_url=migrated_url))

    def sync_start(a: object) -> None:
        assert app.state.session_factory is not None
        events.append("start sender")

    async def async_stop(a: object) -> None:
        events.append("stop indexer")

    app.state.workers.append(Worker("sender", sync_start, lambda a: events.append("stop sender")))
    app.state.workers.append(Worker("indexer", lambda a: events.append("start indexer"), async_stop))
    with TestClient(app) as client:
        assert client.get("/health").status_code == 200
        assert events == ["start sender", "start indexer"]
    assert events == ["start sender", "start indexer", "stop indexer", "stop sender"]


def test_startup_warns_when_the_schema_is_behind(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'empty.db'}"))
    with TestClient(app):
        pass
    assert "not at the newest migration" in caplog.text


def test_module_level_app_for_uvicorn(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import pilotkit_backend.main as main

    monkeypatch.delitem(vars(main), "app", raising=False)
    from pilotkit_backend.core.config import get_settings

    get_settings.cache_clear()
    monkeypatch.setenv("PILOTKIT_API_DATABASE_URL", f"sqlite:///{tmp_path / 'env.db'}")
    try:
        assert main.app is main.app and main.app.state.settings.database_url.endswith("env.db")
    finally:
        get_settings.cache_clear()
        monkeypatch.delitem(vars(main), "app", raising=False)
