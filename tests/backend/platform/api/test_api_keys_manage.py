"""API keys through the API: create (secret once), list, revoke, the audit trail, and who may do what."""

from __future__ import annotations

import json
import logging
import uuid
from typing import Any

import pytest
from _api_support import PROGRAMME_A, PROGRAMME_B, Api
from pilotkit_backend.platform.auth import hash_token
from pilotkit_backend.platform.models.access import IdempotencyRecord
from sqlalchemy import select


def _nested(depth: int) -> Any:
    value: Any = "a"
    for _ in range(depth):
        value = [value]
    return value


def _headers(token: str | None, idem: str | None | bool = True) -> dict[str, str]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    if idem:
        headers["Idempotency-Key"] = str(uuid.uuid4()) if idem is True else idem
    return headers


def _create(api: Api, token: str, body: Any, idem: str | None | bool = True) -> Any:
    return api.client.post("/v1/keys", headers=_headers(token, idem), json=body)


def test_create_list_revoke_and_audit(api: Api, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    admin = api.key("admin", label="ops lead")
    created = _create(api, admin, {"label": "tablet 14", "scopes": ["registrar", "auditor"],
                                   "binding": f"programme:{PROGRAMME_A}"}, idem="mint-1")
    assert created.status_code == 201, created.text
    body = created.json()
    secret = body["secret"]
    assert secret.startswith("pk_") and body["key"]["status"] == "active"
    assert body["key"]["binding"] == {"kind": "programme", "id": PROGRAMME_A.lower()}
    assert api.client.get("/v1/me", headers=_headers(secret, False)).json()["label"] == "tablet 14"
    replay = _create(api, admin, {"label": "tablet 14", "scopes": ["registrar", "auditor"],
                                  "binding": f"programme:{PROGRAMME_A}"}, idem="mint-1")
    assert replay.status_code == 201 and replay.headers["idempotent-replayed"] == "true"
    assert replay.json() == {**body, "secret": None}
    with api.app.state.session_factory() as session:  # the secret is stored nowhere, not even for replays
        stored = b"".join(r.response_body or b"" for r in session.scalars(select(IdempotencyRecord)))
    assert secret.encode() not in stored and hash_token(secret).encode() not in stored
    assert secret not in caplog.text
    listed = api.client.get("/v1/keys", headers=_headers(admin, False))
    assert listed.status_code == 200 and secret not in listed.text
    assert [k["label"] for k in listed.json()["items"]] == ["ops lead", "tablet 14"]
    key_id = body["key"]["id"]
    revoked = api.client.post(f"/v1/keys/{key_id}/revoke", headers=_headers(admin))
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert api.client.get("/v1/me", headers=_headers(secret, False)).status_code == 401
    again = api.client.post(f"/v1/keys/{key_id}/revoke", headers=_headers(admin))
    assert again.status_code == 200 and again.json()["status"] == "revoked"
    events = api.client.get("/v1/keys/events", headers=_headers(api.key("auditor"), False)).json()["items"]
    mine = [(e["action"], e["key_id"], e["actor"]) for e in events if e["key_id"] == key_id]
    admin_id = listed.json()["items"][0]["id"]
    assert mine == [("created", key_id, f"api-key {admin_id} ({admin[3:15]})"),
                    ("revoked", key_id, f"api-key {admin_id} ({admin[3:15]})")]
    assert events[0]["actor"] == "cli" and events[0]["actor_key_id"] is None  # the keys made outside the API
    assert all(e["at"] for e in events) and secret not in json.dumps(events)


def test_pages(api: Api) -> None:
    admin = api.key("admin")
    for n in range(3):
        assert _create(api, admin, {"label": f"k{n}", "scopes": ["auditor"]}).status_code == 201
    first = api.client.get("/v1/keys?limit=2", headers=_headers(admin, False)).json()
    rest = api.client.get(f"/v1/keys?limit=2&cursor={first['next_cursor']}", headers=_headers(admin, False)).json()
    assert len(first["items"]) == 2 and [k["label"] for k in rest["items"]] == ["k1", "k2"]
    assert rest["next_cursor"] is None
    page = api.client.get("/v1/keys/events?limit=1", headers=_headers(admin, False)).json()
    assert len(page["items"]) == 1 and page["next_cursor"] == str(page["items"][0]["id"])
    for path in ("/v1/keys", "/v1/keys/events"):  # a valid cursor beyond every id (and a 32-bit column)
        beyond = api.client.get(path, params={"cursor": "9" * 18}, headers=_headers(admin, False))
        assert beyond.status_code == 200 and beyond.json() == {"items": [], "next_cursor": None}
    for bad in ("²", "99999999999999999999", "1.2"):
        refused = api.client.get("/v1/keys", params={"cursor": bad}, headers=_headers(admin, False))
        assert refused.status_code == 400 and refused.json()["type"] == "/problems/invalid-cursor"


def test_who_may_manage_keys(api: Api) -> None:
    body = {"label": "x", "scopes": ["auditor"]}
    assert _create(api, "", body).status_code == 401
    for scope in ("registrar", "disburser", "approver", "merchant", "issuer", "verifier", "auditor"):
        token = api.key(scope)
        assert _create(api, token, body).status_code == 403
        assert api.client.get("/v1/keys", headers=_headers(token, False)).status_code == 403
        assert api.client.post("/v1/keys/1/revoke", headers=_headers(token)).status_code == 403
    assert api.client.get("/v1/keys/events", headers=_headers(api.key("registrar"), False)).status_code == 403
    missing = _create(api, api.key("admin"), body, idem=None)
    assert missing.status_code == 400 and missing.json()["type"] == "/problems/idempotency-key-missing"


def test_a_bound_admin_mints_only_within_its_binding(api: Api) -> None:
    bound = api.key("admin", bind=f"programme:{PROGRAMME_A}")
    for binding in (None, f"programme:{PROGRAMME_B}", f"registry:{PROGRAMME_A}"):
        refused = _create(api, bound, {"label": "x", "scopes": ["admin"], "binding": binding})
        assert refused.status_code == 403 and refused.json()["type"] == "/problems/forbidden", binding
    made = _create(api, bound, {"label": "x", "scopes": ["admin", "disburser"],
                                "binding": f"programme:{PROGRAMME_A.upper().replace('0X', '0x')}"})
    assert made.status_code == 201, made.text
    other = api.key("auditor", bind=f"programme:{PROGRAMME_B}", label="other programme")
    unbound = api.key("auditor", label="unbound")
    labels = [k["label"] for k in api.client.get("/v1/keys", headers=_headers(bound, False)).json()["items"]]
    assert "other programme" not in labels and "unbound" not in labels and "x" in labels
    other_id, unbound_id = (api.client.get("/v1/me", headers=_headers(t, False)).json()["id"] for t in (other, unbound))
    for key_id in (other_id, unbound_id, 10**6):
        assert api.client.post(f"/v1/keys/{key_id}/revoke", headers=_headers(bound)).status_code == 404
    events = api.client.get("/v1/keys/events", headers=_headers(bound, False)).json()["items"]
    assert events and all(e["binding"] == f"programme:{PROGRAMME_A.lower()}" for e in events)


def test_no_key_grants_beyond_an_unbound_admin(api: Api) -> None:
    admin = api.key("admin")
    for scopes in ([], ["root"], ["admin", "admin"], ["auditor"] * 9, ["*"]):
        refused = _create(api, admin, {"label": "x", "scopes": scopes})
        assert refused.status_code == 422, scopes
        assert refused.headers["content-type"] == "application/problem+json"


def test_the_last_admin_key_cannot_be_revoked(api: Api) -> None:
    admin = api.key("admin")
    admin_id = api.client.get("/v1/me", headers=_headers(admin, False)).json()["id"]
    api.key("admin", bind=f"programme:{PROGRAMME_A}")  # a bound admin key does not count
    refused = api.client.post(f"/v1/keys/{admin_id}/revoke", headers=_headers(admin))
    assert refused.status_code == 409 and refused.json()["type"] == "/problems/last-admin-key"
    second = _create(api, admin, {"label": "deputy", "scopes": ["admin"]}).json()
    assert api.client.post(f"/v1/keys/{admin_id}/revoke", headers=_headers(admin)).status_code == 200
    last = api.client.post(f"/v1/keys/{second['key']['id']}/revoke", headers=_headers(second["secret"]))
    assert last.status_code == 409


@pytest.mark.parametrize("body", [
    {"label": _nested(200), "scopes": ["auditor"]},
    {"label": "x", "scopes": ["auditor"], "binding": {"a": _nested(100)}},
    {"label": "x", "scopes": ["auditor"], "binding": "programme:0x" + "f" * 40 + "\u202e"},
    {"label": "x", "scopes": ["auditor"], "binding": "programme:0x" + "\uff10" * 40},
    {"label": "x" * 201, "scopes": ["auditor"]},
    {"label": "\u0000", "scopes": 10**400},
    {"label": 10**30, "scopes": ["auditor"]},
])
def test_hostile_bodies_are_422(api: Api, body: Any) -> None:
    refused = _create(api, api.key("admin"), body)
    assert refused.status_code == 422 and refused.headers["content-type"] == "application/problem+json"
    assert api.client.get("/health").status_code == 200


def test_hostile_raw_bodies(api: Api) -> None:
    admin = api.key("admin")
    for raw in (b"[" * 100_000 + b"]" * 100_000, b'{"label": 1' + b"0" * 5000 + b"}", b'{"label": "\xff"}'):
        answer = api.client.post("/v1/keys", content=raw, headers={**_headers(admin),
                                                                    "Content-Type": "application/json"})
        assert answer.status_code == 422, answer.text
    huge = api.client.post("/v1/keys", content=b'{"label": "' + b"a" * (17 * 1024 * 1024) + b'"}',
                           headers={**_headers(admin), "Content-Type": "application/json"})
    assert huge.status_code == 413
    for path in ("/v1/keys/99999999999999999999999/revoke", "/v1/keys/-1/revoke", "/v1/keys/%C2%B2/revoke"):
        assert api.client.post(path, headers=_headers(admin)).status_code == 422
    assert api.client.get("/health").status_code == 200
