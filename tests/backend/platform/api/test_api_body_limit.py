"""Request bodies over `max_upload_bytes` are refused with 413 before any handler, record or job exists."""

from __future__ import annotations

from collections.abc import Iterator

from _api_support import PROGRAMME_A, ApiFactory


def test_a_declared_oversized_body_is_refused_before_it_is_read(make_api: ApiFactory) -> None:
    api = make_api(max_upload_bytes=1024)
    token = api.key("disburser")
    response = api.post_counter(token, "big-1", json={"amount": 5, "note": "x" * 2000})
    assert response.status_code == 413
    assert response.headers["content-type"].startswith("application/problem+json")
    assert response.json()["type"] == "/problems/body-too-large" and "1024 bytes" in response.json()["detail"]
    assert api.probe.calls == [] and api.records() == [] and api.counter(PROGRAMME_A.lower()) == 0


def test_a_streamed_oversized_body_is_refused_as_it_passes_the_limit(make_api: ApiFactory) -> None:
    api = make_api(max_upload_bytes=1024)
    token = api.key("disburser")

    def chunks() -> Iterator[bytes]:
        yield b'{"amount": 5, "note": "'
        for _ in range(40):
            yield b"y" * 100
        yield b'"}'

    response = api.client.post(f"/test/programmes/{PROGRAMME_A}/counter", content=chunks(),
                               headers={"Authorization": f"Bearer {token}", "Idempotency-Key": "big-2",
                                        "Content-Type": "application/json"})
    assert response.status_code == 413 and response.json()["type"] == "/problems/body-too-large"
    assert api.probe.calls == [] and api.counter(PROGRAMME_A.lower()) == 0


def test_bodies_within_the_limit_pass(make_api: ApiFactory) -> None:
    api = make_api(max_upload_bytes=1024)
    assert api.post_counter(api.key("disburser"), "small").status_code == 201
