"""Who may do what on rounds and programme overviews: every scope × every endpoint × (bound to this programme,
bound to another, unbound). Allowed calls hit a cancelled round, so they are refused by state (409) or answer
a read (200) without changing anything; a missing scope is 403; a key bound elsewhere is 404."""

from __future__ import annotations

import pytest
from _domain_support import Service
from _rounds_support import enrol, flat_body, propose, register, rounds_path

SCOPES = ("registrar", "disburser", "approver", "merchant", "issuer", "verifier", "auditor", "admin")
READERS = {"auditor", "disburser", "approver", "registrar", "admin"}
ANY = set(SCOPES)

# (method, path template, body, scopes allowed, status when allowed)
ENDPOINTS = [
    ("GET", "/v1/programmes/{p}", None, READERS, 200),
    ("GET", "/v1/programmes/{p}/disbursements?bucket=hour", None, READERS, 200),
    ("GET", "{r}", None, READERS, 200),
    ("GET", "{r}/{id}", None, READERS, 200),
    ("GET", "{r}/{id}/claims/1", None, ANY, 409),  # a push round has no claims: WrongRoundKind
    ("POST", "{r}", {"mode": "push"}, {"disburser"}, 422),  # incomplete body
    ("POST", "{r}/{id}/approve", None, {"approver"}, 409),
    ("POST", "{r}/{id}/cancel", None, {"disburser", "approver"}, 409),
    ("POST", "{r}/{id}/disburse", None, {"disburser"}, 409),
    ("POST", "{r}/{id}/payments", {"index": 1}, {"disburser"}, 409),
    ("POST", "{r}/{id}/sweep", None, {"disburser", "approver"}, 409),
    ("POST", "{r}/{id}/claims", {"index": 1, "amount": 1, "deadline": 1, "signature": "0x" + "11" * 65},
     {"disburser"}, 409),
]


@pytest.mark.parametrize("scope", SCOPES)
def test_scope_endpoint_object_matrix(service: Service, scope: str) -> None:
    programme = register(service)
    other = register(service, "VoucherProgramme")
    enrol(service, 2)
    service.wait_indexed()
    disburser = service.key("disburser")
    round_id = propose(service, disburser, programme, flat_body(service))
    service.confirmed(service.post(rounds_path(programme, round_id, "/cancel"), disburser), disburser)
    keys = {"this": service.key(scope, bind=f"programme:{programme}"),
            "other": service.key(scope, bind=f"programme:{other}"),
            "registry": service.key(scope, bind=f"registry:{service.chain.address('CertificateRegistry')}"),
            "unbound": service.key(scope)}
    mismatches = []
    for method, template, body, allowed, ok in ENDPOINTS:
        path = template.format(p=programme, r=rounds_path(programme), id=round_id)
        for binding, token in keys.items():
            expected = 404 if binding in ("other", "registry") else ok if scope in allowed else 403
            if method == "GET":
                status = service.get(path, token).status_code
            else:
                status = service.post(path, token, body).status_code
            if status != expected:
                mismatches.append((method, template, binding, status, expected))
    assert mismatches == []


def test_programme_list_shows_bound_keys_their_own(service: Service) -> None:
    programme = register(service)
    other = register(service, "VoucherProgramme")
    unbound = service.get("/v1/programmes", service.key("merchant")).json()
    assert {p["address"] for p in unbound} == {programme, other}
    bound = service.get("/v1/programmes", service.key("auditor", bind=f"programme:{other}")).json()
    assert [p["address"] for p in bound] == [other] and bound[0]["binding"] == f"programme:{other}"
    assert service.get("/v1/programmes").status_code == 401
    assert service.get(f"/v1/programmes/{'0x' + '12' * 20}", service.key("auditor")).status_code == 404
    assert service.get("/v1/programmes/not-an-address", service.key("auditor")).status_code == 404
    assert service.get(rounds_path(programme, 999), service.key("auditor")).status_code == 404
