"""Role × endpoint × object matrix for the certificate routes, and the public routes without a key."""

from __future__ import annotations

import itertools
from collections.abc import Callable

from _certs_support import base, doc, issue, issue_batch, public, register
from _domain_support import Service
from httpx import Response

SCOPES = ("registrar", "disburser", "approver", "merchant", "issuer", "verifier", "auditor", "admin")
BINDINGS = ("this", "other", None)
READERS = {"issuer", "auditor", "verifier"}


def test_role_endpoint_object_matrix(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    allowed_writes = [b for b in BINDINGS if b != "other"]
    singles = {b: issue(service, issuer, registry, doc(f"matrix single {b}"))["doc_hash"] for b in allowed_writes}
    batches = {b: issue_batch(service, issuer, registry, [doc(f"matrix batch {b}"), doc(f"matrix {b} 2")])["root"]
               for b in allowed_writes}
    other_registry = service.chain.address("EcoCreditRegistry")
    bind = {"this": f"registry:{registry}", "other": f"registry:{other_registry}", None: None}

    def endpoints(binding: str | None, n: int) -> dict[str, tuple[set[str], int, Callable[[str], Response]]]:
        single = singles.get(binding, doc("matrix none"))
        root = batches.get(binding, batches[None])
        url = base(registry)
        return {
            "issue": ({"issuer"}, 202, lambda t: service.post(f"{url}/certificates", t, {
                "doc_hash": doc(f"matrix issue {n}"), "schema_id": "x"})),
            "issue batch": ({"issuer"}, 202, lambda t: service.post(f"{url}/batches", t, {
                "doc_hashes": [doc(f"matrix batch issue {n}")], "schema_id": "x"})),
            "suspend": ({"issuer"}, 202, lambda t: service.post(f"{url}/certificates/{single}/suspend", t,
                                                               {"reason_code": 6})),
            "revoke batch": ({"issuer"}, 202, lambda t: service.post(f"{url}/batches/{root}/revoke", t,
                                                                    {"reason_code": 1})),
            "list": (READERS, 200, lambda t: service.get(f"{url}/certificates", t)),
            "read": (READERS, 200, lambda t: service.get(f"{url}/certificates/{singles[None]}", t)),
            "batches": (READERS, 200, lambda t: service.get(f"{url}/batches", t)),
            "proofs": (READERS, 200, lambda t: service.get(f"{url}/batches/{batches[None]}/proofs", t)),
        }

    failures = []
    for n, (scope, binding) in enumerate(itertools.product(SCOPES, BINDINGS)):
        token = service.key(scope, bind=bind[binding])
        for name, (scopes, success, call) in endpoints(binding, n).items():
            if scope not in scopes:
                expected = 403
            elif binding == "other":
                expected = 404
            else:
                expected = success
            status = call(token).status_code
            if status != expected:
                failures.append(f"{name} as {scope} bound to {binding}: {status}, expected {expected}")
    assert failures == []
    no_key = service.get(f"{base(registry)}/certificates")
    assert no_key.status_code == 401


def test_public_routes_need_no_key_and_are_rate_limited_per_address(service: Service) -> None:
    registry = register(service)
    document = issue(service, service.key("issuer"), registry, doc("public"))["doc_hash"]
    assert service.get(f"{public(registry)}/certificates/{document}").json()["status"] == "valid"
    assert service.get(f"{public(registry)}/certificates/{document}/credential").status_code == 200
    upload = service.client.post(f"{public(registry)}/verify", files={"file": ("x", b"public")})
    assert upload.status_code == 200
    from pilotkit_backend.platform.ratelimit import TokenBucketLimiter

    service.app.state.public_rate_limiter = TokenBucketLimiter(0.001, 2)
    statuses = [service.get(f"{public(registry)}/certificates/{document}").status_code for _ in range(3)]
    assert statuses == [200, 200, 429]
