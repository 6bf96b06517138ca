"""Idempotency-Key: replay, 422 on a different body, 409 while running, 400 when missing, per-key scoping."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import pytest
from _api_support import PROGRAMME_A, PROGRAMME_B, Api
from pilotkit_backend.platform.idempotency import (
    ClaimLost,
    IdempotencyStore,
    KeyInProgress,
    KeyReused,
    Replay,
    StoredResponse,
    fingerprint,
)
from pilotkit_backend.platform.models.access import IdempotencyState


def test_same_key_and_body_five_times_runs_once_and_answers_the_same(api: Api) -> None:
    token = api.key("disburser")
    responses = [api.post_counter(token, "pay-0001", amount=7) for _ in range(5)]
    assert [r.status_code for r in responses] == [201] * 5
    assert len({r.content for r in responses}) == 1
    (record,) = api.records()
    assert responses[0].json() == {"programme": PROGRAMME_A, "total": 7, "run": 1, "ref": f"idem:{record.id}"}
    assert responses[0].headers["content-type"] == "application/json"
    assert "idempotent-replayed" not in responses[0].headers
    assert all(r.headers["idempotent-replayed"] == "true" for r in responses[1:])
    assert all(r.headers["content-type"] == "application/json" for r in responses)
    assert len(api.probe.calls) == 1 and api.counter(PROGRAMME_A) == 7
    assert record.state == IdempotencyState.completed and record.response_status == 201


def test_json_key_order_and_spacing_do_not_matter(api: Api) -> None:
    token = api.key("disburser")
    first = api.post_counter(token, "order-1", json={"amount": 3, "note": "x"})
    again = api.client.post(
        f"/test/programmes/{PROGRAMME_A}/counter",
        content=b'{ "note":"x",  "amount":3 }',
        headers={"X-API-Key": token, "Idempotency-Key": "order-1", "Content-Type": "application/json"},
    )
    assert again.status_code == 201 and again.content == first.content and len(api.probe.calls) == 1


def test_same_key_different_body_is_422(api: Api) -> None:
    token = api.key("disburser")
    assert api.post_counter(token, "pay-0002", amount=7).status_code == 201
    reused = api.post_counter(token, "pay-0002", amount=8)
    assert reused.status_code == 422 and reused.headers["content-type"] == "application/problem+json"
    assert reused.json()["type"] == "/problems/idempotency-key-reused"
    other_path = api.post_counter(token, "pay-0002", amount=7, programme=PROGRAMME_B)
    assert other_path.status_code == 422
    assert len(api.probe.calls) == 1 and api.counter(PROGRAMME_A) == 7 and api.counter(PROGRAMME_B) == 0


@pytest.mark.parametrize("value", [None, "", "   "], ids=["absent", "empty", "blank"])
def test_missing_key_is_400_and_runs_nothing(api: Api, value: str | None) -> None:
    token = api.key("disburser")
    response = api.post_counter(token, value)
    assert response.status_code == 400 and response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"] == "/problems/idempotency-key-missing"
    detail = response.json()["detail"]  # true for every POST that needs one (registering a contract moves nothing)
    assert "needs an Idempotency-Key header" in detail and "moves value" not in detail
    assert api.probe.calls == [] and api.records() == []


@pytest.mark.parametrize("value", ["x" * 256, "has space", "tab\tinside"], ids=["too-long", "space", "tab"])
def test_malformed_key_is_400(api: Api, value: str) -> None:
    response = api.post_counter(api.key("disburser"), value)
    assert response.status_code == 400 and response.json()["type"] == "/problems/idempotency-key-invalid"
    assert api.probe.calls == [] and api.records() == []


def test_keys_are_scoped_per_api_key(api: Api) -> None:
    first, second = api.key("disburser", label="one"), api.key("disburser", label="two")
    a = api.post_counter(first, "shared-key", amount=2)
    b = api.post_counter(second, "shared-key", amount=3)
    c = api.post_counter(second, "shared-key", amount=3)
    assert (a.status_code, b.status_code, c.status_code) == (201, 201, 201)
    assert b.json()["total"] == 5 and c.content == b.content and len(api.probe.calls) == 2
    # and a different body under the other key's record is no conflict for this key
    assert api.post_counter(first, "shared-key", amount=2).content == a.content


def test_in_flight_duplicate_is_409_then_replays(api: Api) -> None:
    token = api.key("disburser")
    api.probe.hold = True
    with ThreadPoolExecutor(1) as pool:
        first = pool.submit(api.post_counter, token, "slow-1", 4)
        assert api.probe.entered.wait(10)
        duplicate = api.post_counter(token, "slow-1", 4)
        assert duplicate.status_code == 409 and duplicate.headers["retry-after"] == "1"
        assert duplicate.json()["type"] == "/problems/idempotency-key-in-progress"
        assert api.post_counter(token, "slow-1", 5).status_code == 422  # different body: 422 even while running
        api.probe.release.set()
        done = first.result(timeout=30)
    assert done.status_code == 201
    replay = api.post_counter(token, "slow-1", 4)
    assert replay.content == done.content and replay.headers["idempotent-replayed"] == "true"
    assert len(api.probe.calls) == 1 and api.counter(PROGRAMME_A) == 4


def test_concurrent_identical_requests_run_the_handler_once(api: Api) -> None:
    token = api.key("disburser")
    barrier = threading.Barrier(8)

    def send(_: int) -> int:
        barrier.wait(10)
        return int(api.post_counter(token, "burst-1", 9).status_code)

    with ThreadPoolExecutor(8) as pool:
        statuses = list(pool.map(send, range(8)))
    assert set(statuses) <= {201, 409} and 201 in statuses
    assert len(api.probe.calls) == 1 and api.counter(PROGRAMME_A) == 9
    assert api.post_counter(token, "burst-1", 9).status_code == 201


def test_a_failed_request_writes_nothing_and_releases_the_key(api: Api) -> None:
    token = api.key("disburser")
    for _ in range(2):
        refused = api.post_counter(token, "refused-1", route="refused")
        assert refused.status_code == 409 and refused.json()["detail"] == "the programme is paused"
    assert api.probe.calls == ["refused", "refused"]  # the retry ran again: the first did nothing
    assert api.counter(PROGRAMME_A) == 0 and api.records() == []


def test_an_invalid_body_releases_the_key(api: Api) -> None:
    token = api.key("disburser")
    bad = api.post_counter(token, "fix-me", json={"amount": -1})
    assert bad.status_code == 422 and bad.json()["type"] == "/problems/validation-error"
    assert api.records() == []
    assert api.post_counter(token, "fix-me", json={"amount": 1}).status_code == 201  # corrected retry, same key


def test_a_handler_that_commits_is_refused_and_rolled_back(api: Api) -> None:
    token = api.key("disburser")
    response = api.post_counter(token, "commits-1", route="commits")
    assert response.status_code == 500 and response.json()["type"] == "/problems/internal-error"
    assert api.counter(PROGRAMME_A) == 0 and api.records() == []


def test_idempotency_dep_needs_the_idempotent_route_class(api: Api) -> None:
    token = api.key("disburser")
    response = api.client.post("/test-plain/counter", headers={"X-API-Key": token, "Idempotency-Key": "x-1"})
    assert response.status_code == 500 and api.records() == []


# --- the store on its own, with a controllable clock ---------------------------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = datetime(2026, 1, 1, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


def _store(api: Api, clock: Clock, ttl: float = 3600, lock: float = 60) -> IdempotencyStore:
    return IdempotencyStore(api.app.state.session_factory, ttl, lock, clock=clock)


def _key_id(api: Api) -> int:
    from pilotkit_backend.platform.auth import list_keys

    api.key("disburser")
    with api.app.state.session_factory() as session:
        return list_keys(session)[-1].id


FP = fingerprint("POST", "/pay", "", "application/json", b'{"a":1}')


def test_a_crashed_claim_is_taken_over_after_the_lock_and_the_old_holder_cannot_commit(api: Api) -> None:
    clock, key_id = Clock(), _key_id(api)
    store = _store(api, clock)
    crashed = store.claim(key_id, "k", FP)
    with pytest.raises(KeyInProgress):
        store.claim(key_id, "k", FP)
    clock.now += timedelta(seconds=61)
    retry = store.claim(key_id, "k", FP)
    assert retry.record_id == crashed.record_id and retry.token != crashed.token
    with api.app.state.session_factory() as session, pytest.raises(ClaimLost):
        store.complete(session, crashed, StoredResponse(201, {}, b"late"))
    with api.app.state.session_factory() as session:
        store.complete(session, retry, StoredResponse(201, {"content-type": "application/json"}, b"{}"))
        session.commit()
    with pytest.raises(Replay) as replay:
        store.claim(key_id, "k", FP)
    assert replay.value.stored == StoredResponse(201, {"content-type": "application/json"}, b"{}")


def test_expired_records_are_forgotten_and_purged(api: Api) -> None:
    clock, key_id = Clock(), _key_id(api)
    store = _store(api, clock, ttl=100)
    claim = store.claim(key_id, "old", FP)
    with api.app.state.session_factory() as session:
        store.complete(session, claim, StoredResponse(201, {}, b"1"))
        session.commit()
    store.claim(key_id, "other", FP)
    clock.now += timedelta(seconds=101)
    fresh = store.claim(key_id, "old", fingerprint("POST", "/pay", "", "application/json", b'{"a":2}'))
    assert fresh.record_id != claim.record_id  # a new operation may reuse a long-expired key
    assert store.purge_expired() == 1  # "other" expired; the fresh claim has not
    assert {r.key for r in api.records()} == {"old"}


def test_reused_key_check_comes_before_state(api: Api) -> None:
    clock, key_id = Clock(), _key_id(api)
    store = _store(api, clock)
    store.claim(key_id, "k", FP)
    with pytest.raises(KeyReused):
        store.claim(key_id, "k", fingerprint("POST", "/pay", "", "application/json", b'{"a":3}'))


def test_fingerprint_rules() -> None:
    json_a = fingerprint("post", "/p", "", "application/json; charset=utf-8", b'{"b": 1, "a": [1, 2]}')
    json_b = fingerprint("POST", "/p", "", "application/json", b'{"a":[1,2],"b":1}')
    assert json_a == json_b
    assert fingerprint("POST", "/p", "x=1", None, b"") != fingerprint("POST", "/p", "x=2", None, b"")
    assert fingerprint("POST", "/p", "", "text/csv", b"a,b") != fingerprint("POST", "/p", "", "text/csv", b"a, b")

    def multipart(boundary: str) -> tuple[str, bytes]:
        body = (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="b.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\nid,amount\r\n1,5\r\n--{boundary}--\r\n"
        ).encode()
        return f"multipart/form-data; boundary={boundary}", body

    first, second = multipart("a1b2c3d4e5"), multipart("zz99yy88xx")
    assert fingerprint("POST", "/p", "", *first) == fingerprint("POST", "/p", "", *second)
