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
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 30
DELIBERATE_500 = r"^/test/(boom|programmes/\{address\}/commits)$|^/test-plain/"

# Every response is checked against the OpenAPI document: documented status, media type, body schema, headers.
DOCUMENT_CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance,
                   response_headers_conformance]


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
        case.validate_response(response, checks=DOCUMENT_CHECKS)  # the document tells the truth


def test_the_schema_documents_the_public_endpoints(api: Api) -> None:
    document = api.client.get("/openapi.json").json()
    assert {"/health", "/metrics", "/v1/me"} <= set(document["paths"])
    assert {"HTTPBearer", "APIKeyHeader"} <= set(document["components"]["securitySchemes"])
    assert api.client.get("/docs").status_code == 200


# Requests a hostile client sends (issue 12): each answer must be one the document describes, checked with the
# same schemathesis checks. Before the document was corrected, these found 422 documented as HTTPValidationError
# in application/json, Idempotency-Key optional where a request without one is 400, and undocumented 400s.
HOSTILE_BODIES = [b'{"amount": 5, "note": "unterminated', b'{"a": "\xff\xfe"}', b'{"n": ' + b"9" * 5000 + b"}",
                  b"[" * 100 + b"]" * 100, b'{"a": ' * 70 + b"1" + b"}" * 70]
HOSTILE_CURSORS = ["99999999999999999999", "²", "1.2.3", "-1"]
ALL_METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def _operations() -> list[tuple[str, str, dict]]:
    document = _schema().raw_schema
    return [(path, method, operation) for path, item in document["paths"].items()
            for method, operation in item.items() if method in ("get", "post", "put", "patch", "delete")
            and not __import__("re").search(DELIBERATE_500, path)]


def test_hostile_requests_get_documented_answers(api: Api, fuzz_token: str) -> None:
    loaded = _schema()
    auth = {"Authorization": f"Bearer {fuzz_token}"}
    checked = 0
    for path, method, operation in _operations():
        endpoint = loaded[path][method.upper()]
        params = {p["name"]: "0x5FbDB2315678afecb367f032d93F642f64180aa3" for p in operation.get("parameters", [])
                  if p["in"] == "path"}
        cases = []
        if "requestBody" in operation:
            cases += [endpoint.Case(path_parameters=params, body=body, media_type="application/json",
                                    headers={**auth, "Idempotency-Key": f"h-{n}"})
                      for n, body in enumerate(HOSTILE_BODIES)]
        if any(p["name"] == "cursor" for p in operation.get("parameters", [])):
            cases += [endpoint.Case(path_parameters=params, query={"cursor": c}, headers=auth) for c in HOSTILE_CURSORS]
        if any(p["name"].lower() == "idempotency-key" for p in operation.get("parameters", [])):
            cases.append(endpoint.Case(path_parameters=params, headers=auth))  # no Idempotency-Key: 400
        for case in cases:
            response = case.call(app=api.app, base_url="http://testserver")
            assert response.status_code < 500 or "no chain attached" in response.text, (method, path, response.text)
            case.validate_response(response, checks=DOCUMENT_CHECKS)
            checked += 1
    assert checked > 200


def test_405_names_every_method_the_path_answers(api: Api) -> None:
    document = _schema().raw_schema
    for path, item in document["paths"].items():
        documented = {m.upper() for m in item if m.upper() in ALL_METHODS}
        url = path.replace("{", "").replace("}", "")  # any value for the path parameters
        for method in ALL_METHODS:
            if method in documented:
                continue
            response = api.client.request(method, url)
            if response.status_code != 405:  # another route's path (e.g. the web shell) may answer it
                continue
            assert set(response.headers["allow"].split(", ")) >= documented, (method, path, response.headers)
            assert response.headers["content-type"].startswith("application/problem+json")
    assert api.client.options("/v1/contracts").headers["allow"] == "GET, POST"
