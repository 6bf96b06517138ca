"""RFC 9457 problem+json for every error class; contract reverts by name; request ids; nothing leaked."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from _api_support import LEAKY, PROGRAMME_A, PROGRAMME_B, Api
from pilotkit_backend.core.problems import INPUT_ERRORS, contract_problem

from pilotkit.contracts.reverts import Panic, revert_class

REPO = Path(__file__).resolve().parents[4]


def assert_problem(response: Any, status: int, type_: str | None = None) -> dict[str, Any]:
    """The common shape: media type, members, status in body = status line, request id = header."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body: dict[str, Any] = response.json()
    assert {"type", "title", "status"} <= set(body) and body["status"] == status
    assert isinstance(body["title"], str) and body["title"]
    assert body["request_id"] == response.headers["x-request-id"]
    if type_ is not None:
        assert body["type"] == type_
    for marker in ("Traceback", 'File "', "pk_", "sqlalchemy", "sqlite:", "postgresql"):
        assert marker not in response.text
    return body


def test_every_error_class_is_problem_json(api: Api) -> None:
    disburser = api.key("disburser", bind=f"programme:{PROGRAMME_A}")
    registrar = api.key("registrar")
    assert_problem(api.post_counter(disburser, None), 400, "/problems/idempotency-key-missing")
    assert_problem(api.client.get("/v1/me"), 401, "/problems/unauthorized")
    assert_problem(api.post_counter(registrar, "k"), 403, "/problems/forbidden")
    assert_problem(api.post_counter(disburser, "k", programme=PROGRAMME_B), 404, "/problems/not-found")
    not_found = assert_problem(api.client.get("/no/such/route"), 404, "about:blank")
    assert not_found["title"] == "Not Found"
    wrong_method = assert_problem(api.client.get("/test/boom"), 405, "about:blank")
    assert wrong_method["title"] == "Method Not Allowed"
    assert_problem(api.post_counter(disburser, "k2", route="refused"), 409, "/problems/conflict")
    assert_problem(api.post_counter(disburser, "k3", json={"amount": 0}), 422, "/problems/validation-error")


def test_validation_names_every_bad_field_without_echoing_input(api: Api) -> None:
    token = api.key("disburser")
    secret_note = "Amina Yusuf, born 1984-05-12, ID 19840512-1234 " * 5
    response = api.post_counter(token, "v-1", json={"amount": "lots", "note": secret_note})
    body = assert_problem(response, 422, "/problems/validation-error")
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"body.amount", "body.note"}
    assert all(set(e) == {"field", "message", "type"} for e in body["errors"])
    assert "body.amount" in body["detail"] and "body.note" in body["detail"]
    assert "lots" not in response.text and "Amina" not in response.text and "19840512" not in response.text


def test_malformed_json_is_422_on_the_body(api: Api) -> None:
    token = api.key("disburser")
    response = api.client.post(
        f"/test/programmes/{PROGRAMME_A}/counter",
        content=b'{"amount": 5, "note": "Amina',
        headers={"X-API-Key": token, "Idempotency-Key": "j-1", "Content-Type": "application/json"},
    )
    body = assert_problem(response, 422, "/problems/validation-error")
    assert [e["field"] for e in body["errors"]] == ["body"] and "Amina" not in response.text


def test_unexpected_exception_is_a_generic_500(api: Api) -> None:
    response = api.client.post("/test/boom", headers={"X-API-Key": api.key("disburser")})
    body = assert_problem(response, 500, "/problems/internal-error")
    assert set(body) == {"type", "title", "status", "detail", "request_id"}
    assert "RuntimeError" not in response.text and "LEAKED" not in response.text and "19840512" not in response.text


@pytest.mark.parametrize(
    ("name", "status"),
    [("AlreadyPaid", 409), ("RoundNotOpen", 409), ("InvalidCountryCode", 422), ("ZeroAmount", 422), ("Error", 409)],
)
def test_contract_errors_become_named_4xx(api: Api, name: str, status: int) -> None:
    response = api.client.post(f"/test/revert/{name}", headers={"X-API-Key": api.key("disburser")})
    body = assert_problem(response, status, f"/problems/contract/{name}")
    assert body["title"] == name and body["contract_error"] == name
    assert "ab" * 32 not in response.text  # decoded arguments (beneficiary hashes) stay out


def test_contract_problem_helper() -> None:
    panic = contract_problem(Panic({"code": 0x11}))
    assert (panic.status_code, panic.type_uri, panic.title_text) == (422, "/problems/contract/Panic", "Panic")
    paid = contract_problem(revert_class("AlreadyPaid")({"id": 1}, tx_hash="0x" + "12" * 32))
    assert paid.status_code == 409 and paid.extra == {"contract_error": "AlreadyPaid", "tx_hash": "0x" + "12" * 32}


def test_input_errors_exist_in_the_contracts() -> None:
    declared = set()
    for source in (REPO / "contracts").rglob("*.sol"):
        declared |= set(re.findall(r"\berror\s+([A-Za-z0-9_]+)\s*\(", source.read_text()))
    assert declared >= INPUT_ERRORS, sorted(INPUT_ERRORS - declared)


def test_request_ids_are_echoed_or_generated(api: Api) -> None:
    kept = api.client.get("/health", headers={"X-Request-ID": "tablet-7.req-000123"})
    assert kept.headers["x-request-id"] == "tablet-7.req-000123"
    for unsafe in (b"short", b"has spaces in it", b"x" * 65, "caf\u00e9-id-1234".encode()):
        replaced = api.client.get("/health", headers={"X-Request-ID": unsafe})
        assert re.fullmatch(r"[0-9a-f]{32}", replaced.headers["x-request-id"])
    problem = api.client.get("/v1/me", headers={"X-Request-ID": "tablet-7.req-000124"})
    assert problem.json()["request_id"] == "tablet-7.req-000124"


def test_leaky_marker_is_what_the_boom_route_raises() -> None:
    assert "LEAKED" in LEAKY and "19840512" in LEAKY  # keeps the negative checks above meaningful
