"""Authentication (401), scopes (403) and object-level binding (404) through real requests."""

from __future__ import annotations

import pytest
from _api_support import PROGRAMME_A, PROGRAMME_B, Api
from pilotkit_backend.core.problems import NotFound
from pilotkit_backend.platform.auth import AuthenticatedKey, Binding, ensure_bound, hash_token


def _assert_401(response: object, detail_part: str) -> None:
    assert response.status_code == 401  # type: ignore[attr-defined]
    assert response.headers["content-type"] == "application/problem+json"  # type: ignore[attr-defined]
    assert response.headers["www-authenticate"].startswith("Bearer")  # type: ignore[attr-defined]
    body = response.json()  # type: ignore[attr-defined]
    assert body["type"] == "/problems/unauthorized" and body["status"] == 401
    assert detail_part in body["detail"]


def test_me_with_bearer_and_with_x_api_key(api: Api) -> None:
    token = api.key("registrar", "auditor", label="tablet 7", bind=f"programme:{PROGRAMME_A}")
    for headers in ({"Authorization": f"Bearer {token}"}, {"X-API-Key": token}):
        response = api.client.get("/v1/me", headers=headers)
        assert response.status_code == 200
        body = response.json()
        assert body["label"] == "tablet 7" and body["scopes"] == ["auditor", "registrar"]
        assert body["binding"] == {"kind": "programme", "id": PROGRAMME_A.lower()}
        assert body["prefix"] == token[3:15]
        assert token not in response.text and token[16:] not in response.text
        assert hash_token(token) not in response.text


@pytest.mark.parametrize(
    ("headers", "detail"),
    [
        ({}, "no API key"),
        ({"Authorization": "Bearer "}, "no API key"),
        ({"Authorization": "Basic dXNlcjpwYXNz"}, "no API key"),
        ({"Authorization": "Bearer not-a-pilotkit-key"}, "invalid API key"),
        ({"X-API-Key": "pk_0123456789ab_" + "A" * 43}, "invalid API key"),
    ],
    ids=["missing", "empty-bearer", "basic-auth", "garbage", "unknown-prefix"],
)
def test_missing_or_invalid_key_is_401(api: Api, headers: dict[str, str], detail: str) -> None:
    _assert_401(api.client.get("/v1/me", headers=headers), detail)


def test_right_prefix_wrong_secret_is_401(api: Api) -> None:
    token = api.key("auditor")
    forged = token[:16] + ("B" if token[16] != "B" else "C") + token[17:]
    _assert_401(api.client.get("/v1/me", headers={"X-API-Key": forged}), "invalid API key")


def test_revoked_key_is_401_and_stays_revoked(api: Api) -> None:
    token = api.key("disburser")
    assert api.client.get("/v1/me", headers={"X-API-Key": token}).status_code == 200
    api.revoke(token)
    _assert_401(api.client.get("/v1/me", headers={"X-API-Key": token}), "revoked")
    _assert_401(api.post_counter(token, "k-1"), "revoked")
    assert api.records() == [] and api.probe.calls == []


def test_wrong_scope_is_403_and_runs_nothing(api: Api) -> None:
    token = api.key("registrar", "approver")
    response = api.post_counter(token, "key-403")
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["type"] == "/problems/forbidden" and "disburser" in body["detail"]
    assert api.probe.calls == [] and api.records() == [] and api.counter(PROGRAMME_A) == 0


def test_either_listed_scope_is_enough(api: Api) -> None:
    for scope in ("auditor", "disburser"):
        token = api.key(scope)
        assert (
            api.client.get(f"/test/programmes/{PROGRAMME_A}/counter", headers={"X-API-Key": token}).status_code == 200
        )


def test_admin_does_not_imply_other_scopes(api: Api) -> None:
    token = api.key("admin")
    assert api.post_counter(token, "admin-1").status_code == 403


def test_bound_key_reads_its_object_only_and_others_look_missing(api: Api) -> None:
    bound = api.key("auditor", bind=f"programme:{PROGRAMME_A}")
    unbound = api.key("auditor")
    ok = api.client.get(f"/test/programmes/{PROGRAMME_A.lower()}/counter", headers={"X-API-Key": bound})
    assert ok.status_code == 200  # addresses compare case-insensitively
    other = api.client.get(f"/test/programmes/{PROGRAMME_B}/counter", headers={"X-API-Key": bound})
    assert other.status_code == 404 and other.headers["content-type"] == "application/problem+json"
    assert other.json()["type"] == "/problems/not-found"
    missing_route = api.client.get("/test/programmes", headers={"X-API-Key": bound})
    assert missing_route.status_code == 404
    # the same answer as for an object that does not exist at all: no existence oracle
    nowhere = api.client.get("/test/programmes/0x" + "00" * 20 + "/counter", headers={"X-API-Key": bound})
    strip = {"request_id"}
    assert {k: v for k, v in other.json().items() if k not in strip} == {
        k: v for k, v in nowhere.json().items() if k not in strip
    }
    assert api.client.get(f"/test/programmes/{PROGRAMME_B}/counter", headers={"X-API-Key": unbound}).status_code == 200


def test_bound_key_cannot_act_on_another_object(api: Api) -> None:
    bound = api.key("disburser", bind=f"programme:{PROGRAMME_A}")
    refused = api.post_counter(bound, "act-on-b", programme=PROGRAMME_B)
    assert refused.status_code == 404 and refused.json()["type"] == "/problems/not-found"
    assert api.counter(PROGRAMME_B) == 0 and api.records() == []  # the key was released, nothing written
    assert api.post_counter(bound, "act-on-a", programme=PROGRAMME_A).status_code == 201
    assert api.counter(PROGRAMME_A) == 5


def test_registry_binding_does_not_open_a_programme(api: Api) -> None:
    bound = api.key("auditor", bind=f"registry:{PROGRAMME_A}")
    response = api.client.get(f"/test/programmes/{PROGRAMME_A}/counter", headers={"X-API-Key": bound})
    assert response.status_code == 404


def test_ensure_bound_unit() -> None:
    unbound = AuthenticatedKey(1, "p", "l", frozenset(), None)
    bound = AuthenticatedKey(2, "p", "l", frozenset(), Binding("programme", PROGRAMME_A.lower()))
    ensure_bound(unbound, "programme", PROGRAMME_B)
    ensure_bound(bound, "programme", PROGRAMME_A.upper().replace("0X", "0x"))
    for kind, object_id in (("programme", PROGRAMME_B), ("registry", PROGRAMME_A), ("programme", "")):
        with pytest.raises(NotFound):
            ensure_bound(bound, kind, object_id)


def test_last_used_is_recorded(api: Api) -> None:
    from pilotkit_backend.platform.auth import list_keys

    token = api.key("auditor")
    api.client.get("/v1/me", headers={"X-API-Key": token})
    with api.app.state.session_factory() as session:
        (row,) = [k for k in list_keys(session) if k.prefix == token[3:15]]
    assert row.last_used_at is not None and row.last_used_at.tzinfo is not None
