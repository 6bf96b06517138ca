"""Role × endpoint × object matrix for the eco-credit API: every scope, unbound / bound to this registry / bound to
another → the expected status (403 missing scope, 404 another object, else the endpoint's own answer).

Writes use bodies that reach the contract and are refused there by name (no job queued), except the allowlist
writes, which are accepted (202) wherever they are allowed."""

from __future__ import annotations

from typing import Any

from _credits_support import address_of, batch_body, problem, project_body, setup_credits
from _domain_support import Service

SCOPES = ("registrar", "disburser", "approver", "merchant", "issuer", "verifier", "auditor", "admin")
READERS = {"admin", "verifier", "auditor"}

# (method, path, body, scopes allowed, status when allowed)
MATRIX: list[tuple[str, str, Any, set[str], int]] = [
    ("POST", "/projects", project_body(external_id="VCS-M"), {"admin"}, 409),  # ProjectAlreadyRegistered
    ("GET", "/projects", None, READERS, 200),
    ("POST", "/batches", batch_body(1, 5, 6), {"verifier"}, 409),  # SerialRangeOverlaps
    ("GET", "/batches", None, READERS, 200),
    ("GET", "/batches/1", None, READERS, 200),
    ("POST", "/batches/2/freeze", {"reason_code": 1}, {"verifier"}, 409),  # BatchIsFrozen
    ("POST", "/batches/1/unfreeze", {"reason_code": 1}, {"admin"}, 409),  # BatchNotFrozen (finding 3: admin)
    ("POST", "/transfers", {"batch_id": 1, "amount": 10**6, "to": address_of("m")}, {"admin"}, 409),
    ("POST", "/retirements", {"batch_id": 1, "amount": 10**6, "beneficiary_name": "M"}, {"admin"}, 409),
    ("GET", "/retirements", None, READERS, 200),
    ("DELETE", "/retirements/1/beneficiary", None, {"admin"}, 200),
    ("GET", "/summary", None, READERS, 200),
    ("POST", "/allowlist/enabled", {"enabled": False}, {"admin"}, 202),
    ("POST", "/allowlist", {"holders": [address_of("m")], "allowed": True}, {"admin"}, 202),
]


def test_role_endpoint_object_matrix(service: Service) -> None:
    c = setup_credits(service)
    project = c.project(external_id="VCS-M")
    c.issue(project, 1, 10)
    frozen = c.issue(project, 11, 20)
    c.confirm(f"/batches/{frozen}/freeze", c.verifier, {"reason_code": 2})
    c.confirm("/retirements", c.admin, {"batch_id": 1, "amount": 1, "beneficiary_name": "Matrix Ltd"})
    service.wait_indexed()
    other = f"registry:{service.chain.address('CertificateRegistry')}"
    keys = {(scope, binding): service.key(scope, bind=bind)
            for scope in SCOPES for binding, bind in (("unbound", None), ("this", f"registry:{c.registry}"),
                                                      ("other", other))}
    failures = []
    for method, path, body, allowed, ok_status in MATRIX:
        response = _call(service, c.base + path, method, None, body)
        if response.status_code != 401:
            failures.append((method, path, "no key", response.status_code))
        for (scope, binding), token in keys.items():
            expected = 403 if scope not in allowed else 404 if binding == "other" else ok_status
            response = _call(service, c.base + path, method, token, body)
            if response.status_code != expected:
                failures.append((method, path, scope, binding, expected, response.status_code))
            elif expected >= 400:
                problem(response, expected)
    assert not failures, failures

    public = f"/v1/public/credit-registries/{c.registry}/retirements/1"
    assert service.get(public).status_code == 200
    for token in (keys[("registrar", "other")], keys[("admin", "unbound")]):
        assert service.get(public, token).status_code == 200  # any key, or none


def _call(service: Service, path: str, method: str, token: str | None, body: Any) -> Any:
    if method == "GET":
        return service.get(path, token)
    if method == "DELETE":
        return service.client.delete(path, headers=service.auth(token))
    return service.post(path, token, body)
