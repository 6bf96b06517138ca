"""Eco-credit refusals on a real Anvil: request validation (422 naming the field), contract errors by name,
idempotency, and that no refused request leaves a job or a stored name behind."""

from __future__ import annotations

import uuid

import pytest
from _credits_support import address_of, batch_body, problem, project_body, setup_credits
from _domain_support import Service
from pilotkit_backend.kinds.credits.models import CreditBeneficiary, CreditIssuance
from pilotkit_backend.platform.models.jobs import Job
from sqlalchemy import func, select
from sqlalchemy.orm import Session


def _count(service: Service, model: type) -> int:
    with Session(service.engine) as session:
        return int(session.execute(select(func.count()).select_from(model)).scalar_one())


BAD_PROJECTS = [
    ({"registry_code": ""}, "registry_code"),
    ({"registry_code": "X" * 33}, "registry_code"),
    ({"external_id": " VCS"}, "external_id"),
    ({"methodology": "VM\u00e90015"}, "methodology"),
    ({"country": "ke"}, "country"),
    ({"metadata_uri": ""}, "metadata_uri"),
    ({"metadata_uri": "\u00e9" * 300}, "metadata_uri"),  # 300 characters, 600 bytes
    ({"metadata_hash": "0x" + "00" * 32}, "metadata_hash"),
    ({"metadata_hash": "0x1234"}, "metadata_hash"),
    ({"extra": 1}, "extra"),
]

BAD_BATCHES = [
    ({"project_id": 0}, "project_id"),
    ({"serial_start": 0}, "serial_start"),
    ({"serial_end": 2**128}, "serial_end"),
    ({"serial_start": 10, "serial_end": 9}, "serial_end"),
    ({"vintage_start": "2021-06-01", "vintage_end": "2021-01-01"}, "vintage_end"),
    ({"vintage_start": "1960-01-01"}, "vintage_start"),
    ({"vintage_start": "not a date"}, "vintage_start"),
    ({"evidence_hash": "0x" + "00" * 32}, "evidence_hash"),
    ({"holder": "0x" + "00" * 20}, "holder"),
    ({"holder": "0x12"}, "holder"),
]

BAD_RETIREMENTS = [
    ({"amount": 0}, "amount"),
    ({"batch_id": 0}, "batch_id"),
    ({"beneficiary_name": "   "}, "beneficiary_name"),
    ({"beneficiary_name": "x" * 201}, "beneficiary_name"),
    ({"beneficiary_name": "Ann\u0000"}, "beneficiary_name"),
    ({"reason": "\u00e9" * 129}, "reason"),  # 258 bytes
    ({"reason": "line\nbreak"}, "reason"),
    ({"beneficiary_name": "Jane Wanjiru", "reason": "for jane  WANJIRU's wedding"}, "reason"),
]


def test_invalid_requests_name_the_field_and_queue_nothing(service: Service) -> None:
    c = setup_credits(service)
    jobs_before = _count(service, Job)
    for change, field in BAD_PROJECTS:
        body = problem(c.post("/projects", c.admin, project_body(**change)), 422)
        assert any(e["field"].endswith(field) for e in body["errors"]), (change, body)
    for change, field in BAD_BATCHES:
        body = problem(c.post("/batches", c.verifier, {**batch_body(1, 1, 10), **change}), 422)
        assert any(e["field"].endswith(field) for e in body["errors"]), (change, body)
    for change, field in BAD_RETIREMENTS:
        body = problem(c.post("/retirements", c.admin, {"batch_id": 1, "amount": 1, **change}), 422)
        assert any(e["field"].endswith(field) for e in body["errors"]), (change, body)
        assert "Wanjiru" not in str(body)  # submitted values are never echoed
    for body_in, field in [({"batch_id": 1, "amount": 1, "to": "0x" + "00" * 20}, "to"),
                           ({"batch_id": 1, "amount": 2**128, "to": address_of("x")}, "amount")]:
        body = problem(c.post("/transfers", c.admin, body_in), 422)
        assert any(e["field"].endswith(field) for e in body["errors"])
    problem(c.post("/transfers", c.admin, {"batch_id": 1, "amount": 1, "to": c.custody}), 422)
    problem(c.post("/batches/1/freeze", c.verifier, {"reason_code": 256}), 422)
    problem(c.post("/batches/0/freeze", c.verifier, {"reason_code": 1}), 422)
    problem(c.post(f"/batches/{2**64}/freeze", c.verifier, {"reason_code": 1}), 422)
    problem(c.post("/allowlist", c.admin, {"holders": [], "allowed": True}), 422)
    problem(c.post("/allowlist", c.admin, {"holders": [address_of("a")] * 2, "allowed": True}), 422)
    problem(c.get("/batches?limit=0", c.auditor), 422)
    assert _count(service, Job) == jobs_before
    assert _count(service, CreditIssuance) == 0 and _count(service, CreditBeneficiary) == 0


def test_contract_refusals_are_named_and_queue_nothing(service: Service) -> None:
    c = setup_credits(service)
    project = c.project(external_id="VCS-9")
    batch = c.issue(project, 1, 10)
    jobs_before = _count(service, Job)
    problem(c.post("/projects", c.admin, project_body(external_id="VCS-9")), 409, "ProjectAlreadyRegistered")
    problem(c.post("/batches", c.verifier, batch_body(99, 100, 200)), 422, "ProjectNotFound")
    problem(c.post("/batches", c.verifier, batch_body(project, 100, 200, vintage=("2021-01-01", "2999-01-01"))),
            422, "InvalidVintage")
    problem(c.post("/retirements", c.admin, {"batch_id": batch, "amount": 11, "beneficiary_name": "Acme"}), 409,
            "ERC1155InsufficientBalance")
    problem(c.post("/transfers", c.admin, {"batch_id": 42, "amount": 1, "to": address_of("b")}), 422, "BatchNotFound")
    assert _count(service, Job) == jobs_before
    assert _count(service, CreditIssuance) == 1 and _count(service, CreditBeneficiary) == 0

    c.confirm("/retirements", c.admin, {"batch_id": batch, "amount": 10})  # everything in custody is retired
    problem(c.post("/transfers", c.admin, {"batch_id": batch, "amount": 1, "to": address_of("b")}), 409,
            "ERC1155InsufficientBalance")
    problem(c.post("/retirements", c.admin, {"batch_id": batch, "amount": 1}), 409, "ERC1155InsufficientBalance")

    second = c.issue(project, 20, 29)
    c.confirm("/allowlist/enabled", c.admin, {"enabled": True})
    assert c.contract.holderAllowlistEnabled()
    buyer = address_of("allowlisted buyer")
    problem(c.post("/transfers", c.admin, {"batch_id": second, "amount": 1, "to": buyer}), 409,
            "HolderNotAllowlisted")
    problem(c.post("/batches", c.verifier, batch_body(project, 40, 49, holder=buyer)), 409, "HolderNotAllowlisted")
    c.confirm("/allowlist", c.admin, {"holders": [buyer], "allowed": True})
    c.confirm("/transfers", c.admin, {"batch_id": second, "amount": 3, "to": buyer})
    assert c.contract.balanceOf(buyer, second) == 3


@pytest.mark.parametrize("path", ["/retirements", "/transfers"])
def test_idempotency_of_value_moving_writes(service: Service, path: str) -> None:
    c = setup_credits(service)
    batch = c.issue(c.project(), 1, 100)
    body = {"batch_id": batch, "amount": 5, **({"to": address_of("b")} if path == "/transfers" else
                                               {"beneficiary_name": "Acme", "reason": "2025 travel"})}
    key = str(uuid.uuid4())
    first = c.post(path, c.admin, body, idem=key)
    again = c.post(path, c.admin, body, idem=key)
    assert first.status_code == again.status_code == 202
    assert again.json() == first.json() and again.headers["idempotent-replayed"] == "true"
    problem(c.post(path, c.admin, {**body, "amount": 6}, idem=key), 422)  # same key, different request
    problem(c.post(path, c.admin, body, idem=None), 400)  # no key
    service.confirmed(first, c.admin)
    held = 100 - 5
    assert c.contract.balanceOf(c.custody, batch) == held  # moved once
    assert _count(service, CreditBeneficiary) == (1 if path == "/retirements" else 0)


def test_a_bound_key_cannot_reach_another_registry(service: Service) -> None:
    c = setup_credits(service)
    other = service.key("admin", "verifier", "auditor", bind=f"registry:{service.chain.address('CertificateRegistry')}")
    for response in (c.get("/projects", other), c.get("/summary", other),
                     c.post("/projects", other, project_body()), c.post("/batches", other, batch_body(1, 1, 2))):
        problem(response, 404)
    programme_path = f"/v1/credit-registries/{service.chain.address('CashProgramme')}/summary"
    problem(service.get(programme_path, c.auditor), 404)  # a contract that is not a credits registry
