"""No API key, secret, personal data or stack trace in any log line or response body."""

from __future__ import annotations

import logging

import pytest
from _api_support import PROGRAMME_A, PROGRAMME_B, Api
from pilotkit_backend.platform.auth import hash_token

PERSONAL = "Amina Yusuf 19840512-1234"


def _exercise(api: Api, token: str, revoked: str) -> list[str]:
    """Requests that go through every error path; returns the response bodies."""
    c = api.client
    responses = [
        c.get("/v1/me", headers={"Authorization": f"Bearer {token}"}),
        c.get("/v1/me", headers={"X-API-Key": token[:-2] + "zz"}),
        c.get("/v1/me", headers={"X-API-Key": revoked}),
        c.get(f"/test/programmes/{PROGRAMME_B}/counter", headers={"X-API-Key": token}),
        api.post_counter(token, "log-1", json={"amount": 3, "note": "ok"}),
        api.post_counter(token, "log-1", json={"amount": 4, "note": "ok"}),
        api.post_counter(token, None),
        api.post_counter(token, "log-2", json={"amount": PERSONAL, "note": PERSONAL * 5}),
        api.post_counter(token, "log-3", route="refused"),
        api.post_counter(token, "log-4", route="commits"),
        c.post("/test/boom", headers={"X-API-Key": token}),
        c.post("/test/revert/AlreadyPaid", headers={"X-API-Key": token}),
        c.get(f"/v1/me?token={token}", headers={"X-API-Key": token}),
        c.get("/health"),
        c.get("/metrics"),
    ]
    return [r.text for r in responses]


def test_no_secrets_or_tracebacks_in_logs_or_bodies(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    token = api.key("disburser", "auditor", bind=f"programme:{PROGRAMME_A}")
    revoked = api.key("auditor")
    api.revoke(revoked)
    caplog.set_level(logging.DEBUG)
    bodies = _exercise(api, token, revoked)
    secret_parts = [token, token[16:], revoked[16:], hash_token(token), "LEAKED", "19840512", "Amina"]
    logged = []
    for record in caplog.records:
        if record.name.startswith(("httpx", "httpcore")):
            continue  # the test client's own request log, not the service's
        assert record.exc_info is None and record.exc_text is None and record.stack_info is None, record.getMessage()
        logged.append(f"{record.name} {record.getMessage()}")
    text = "\n".join(logged + bodies)
    for secret in secret_parts:
        assert secret not in text, secret
    assert "Traceback" not in text and 'File "' not in text
    access = [m for m in logged if m.startswith("pilotkit_backend.access")]
    assert len(access) == len(bodies)  # one access line per request, with the route template only
    assert any("POST /test/boom 500" in m for m in access)
    assert any("unhandled RuntimeError at" in m for m in logged)  # type and place, not the message
