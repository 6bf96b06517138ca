"""Per-key rate limit: 429 with Retry-After, checked before any Idempotency-Key record or handler work."""

from __future__ import annotations

import pytest
from _api_support import PROGRAMME_A, Api, ApiFactory
from pilotkit_backend.platform.ratelimit import TokenBucketLimiter


class FakeClock:
    def __init__(self) -> None:
        self.t = 1000.0

    def __call__(self) -> float:
        return self.t


def test_token_bucket_refills_at_the_rate() -> None:
    clock = FakeClock()
    limiter = TokenBucketLimiter(rate=2.0, burst=3, clock=clock)
    assert [limiter.acquire("k") for _ in range(3)] == [0.0, 0.0, 0.0]
    wait = limiter.acquire("k")
    assert wait == pytest.approx(0.5)
    assert limiter.acquire("other") == 0.0  # buckets are per key
    clock.t += 0.5
    assert limiter.acquire("k") == 0.0 and limiter.acquire("k") > 0
    clock.t += 100
    assert [limiter.acquire("k") for _ in range(4)][-1] > 0  # never more than the burst after idling
    assert TokenBucketLimiter.retry_after(0.01) == 1 and TokenBucketLimiter.retry_after(2.2) == 3


def test_zero_rate_disables_limiting() -> None:
    limiter = TokenBucketLimiter(rate=0, burst=1)
    assert not limiter.enabled and all(limiter.acquire("k") == 0.0 for _ in range(100))


def test_429_with_retry_after_and_problem_json(make_api: ApiFactory) -> None:
    api = make_api(rate_limit_per_second=0.01, rate_limit_burst=2)
    token = api.key("auditor")
    assert [api.client.get("/v1/me", headers={"X-API-Key": token}).status_code for _ in range(2)] == [200, 200]
    refused = api.client.get("/v1/me", headers={"X-API-Key": token})
    assert refused.status_code == 429 and refused.headers["content-type"] == "application/problem+json"
    retry_after = int(refused.headers["retry-after"])
    assert 1 <= retry_after <= 100
    body = refused.json()
    assert body["type"] == "/problems/rate-limited" and body["status"] == 429 and "request_id" in body
    other = api.key("auditor")
    assert api.client.get("/v1/me", headers={"X-API-Key": other}).status_code == 200  # per key


def test_a_refused_post_records_and_runs_nothing(make_api: ApiFactory) -> None:
    api = make_api(rate_limit_per_second=0.01, rate_limit_burst=1)
    token = api.key("disburser")
    assert api.post_counter(token, "first").status_code == 201
    before = [(r.key, r.state) for r in api.records()]
    refused = api.post_counter(token, "second", amount=9)
    assert refused.status_code == 429 and "retry-after" in refused.headers
    assert [(r.key, r.state) for r in api.records()] == before  # no Idempotency-Key record for "second"
    assert len(api.probe.calls) == 1 and api.counter(PROGRAMME_A) == 5
    # a retry of the first request is refused too: the limit comes before the replay
    assert api.post_counter(token, "first").status_code == 429


def test_unauthenticated_requests_do_not_spend_a_keys_tokens(make_api: ApiFactory) -> None:
    api: Api = make_api(rate_limit_per_second=0.01, rate_limit_burst=1)
    token = api.key("auditor")
    for _ in range(5):
        assert api.client.get("/v1/me", headers={"X-API-Key": token[:-1] + "?"}).status_code == 401
    assert api.client.get("/v1/me", headers={"X-API-Key": token}).status_code == 200
