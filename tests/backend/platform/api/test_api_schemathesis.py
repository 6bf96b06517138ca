"""Schemathesis over the app's OpenAPI schema, in process: no input produces a 5xx.

This app has no chain attached, so the routes that need one answer 503 "no chain attached" by design (that
answer, and only it, is allowed here); tests/backend/kinds/test_domain_schemathesis.py fuzzes them on a chain.

The test-only routes that fail on purpose (500 by design) are left out; the idempotent test POST stays in,
so generated Idempotency-Key headers, bodies and path values are fuzzed too. Each case is sent twice:
with whatever credentials Schemathesis generates, and with a valid API key.
"""

from __future__ import annotations

import pytest
import schemathesis
from _api_support import Api
from hypothesis import HealthCheck, settings

MAX_EXAMPLES = 30
DELIBERATE_500 = r"^/test/(boom|programmes/\{address\}/commits)$|^/test-plain/"


def _schema() -> schemathesis.BaseSchema:
    """The app's schema, from an app built only to describe itself (requests go to the `api` fixture's app)."""
    from _api_support import Probe, mount_test_routes
    from pilotkit_backend.core.config import Settings
    from pilotkit_backend.main import create_app

    described = create_app(Settings(database_url="sqlite://"))
    mount_test_routes(described, Probe())
    loaded = schemathesis.openapi.from_dict(described.openapi())
    loaded.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
    return loaded.exclude(path_regex=DELIBERATE_500)


schema = _schema()


@pytest.fixture
def fuzz_token(api: Api) -> str:
    return api.key("disburser", "auditor", "admin")


@schema.parametrize()
@settings(
    max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None, suppress_health_check=list(HealthCheck)
)
def test_no_server_errors(case: schemathesis.Case, api: Api, fuzz_token: str) -> None:
    for headers in (None, {"Authorization": f"Bearer {fuzz_token}"}):
        response = case.call(app=api.app, base_url="http://testserver", headers=headers)
        if response.status_code == 503 and "no chain attached" in response.text:
            continue
        assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"][0].startswith("application/problem+json")


def test_the_schema_documents_the_public_endpoints(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    assert {"/health", "/metrics", "/v1/me"} <= set(document["paths"])
    assert {"HTTPBearer", "APIKeyHeader"} <= set(document["components"]["securitySchemes"])
    assert api.client.get("/docs").status_code == 200
