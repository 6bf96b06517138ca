"""Eco-credits where the database matters: concurrent issuances into one serial namespace get consistent hints
(SQLite write lock, PostgreSQL row lock), the beneficiary hash is keyed and salted, and the main flow runs on
PostgreSQL."""

from __future__ import annotations

import hashlib
import hmac
from concurrent.futures import ThreadPoolExecutor

from _credits_support import batch_body, setup_credits
from _domain_support import Service
from pilotkit_backend.kinds.credits.models import CreditBeneficiary, CreditLocalSecret
from pilotkit_backend.kinds.credits.services.beneficiary import KEY_CONTEXT
from sqlalchemy import select
from sqlalchemy.orm import Session


def _concurrent_issuances(service: Service) -> None:
    """Six batches requested at once: each is accepted with a hint that holds whatever order the jobs are mined
    in, or refused (409 issuance in progress / 503 database busy) and accepted on retry; all end on chain."""
    c = setup_credits(service)
    project = c.project()
    c.issue(project, 1, 10)
    waiting = [100, 200, 300, 400, 500, 600]
    for _ in range(10):
        with ThreadPoolExecutor(len(waiting)) as pool:
            responses = list(pool.map(lambda s: c.post("/batches", c.verifier, batch_body(project, s, s + 9)),
                                      waiting))
        for response in responses:
            assert response.status_code in (202, 409, 503), response.text
            if response.status_code == 409:
                assert response.json()["type"] == "/problems/issuance-in-progress", response.text
        accepted = [r for r in responses if r.status_code == 202]
        assert accepted
        for response in accepted:
            service.confirmed(response, c.verifier)
        waiting = [s for s, r in zip(waiting, responses, strict=True) if r.status_code != 202]
        if not waiting:
            break
    assert not waiting
    assert int(c.contract.batchCount()) == 7


def test_concurrent_issuances_on_sqlite(service: Service) -> None:
    _concurrent_issuances(service)


def test_concurrent_issuances_and_named_retirement_on_postgresql(pg_service: Service) -> None:
    _concurrent_issuances(pg_service)
    registry = pg_service.chain.address("EcoCreditRegistry")
    admin = pg_service.key("admin")
    base = f"/v1/credit-registries/{registry}"
    response = pg_service.post(f"{base}/retirements", admin, {"batch_id": 1, "amount": 2,
                                                              "beneficiary_name": "Kisumu Water"})
    pg_service.confirmed(response, admin)
    pg_service.wait_indexed()
    public = pg_service.get(f"/v1/public/credit-registries/{registry}/retirements/1").json()
    assert public["beneficiary_name"] == "Kisumu Water" and public["tx_hash"]


def test_the_beneficiary_hash_is_keyed_salted_and_unlinkable_after_erasure(service: Service) -> None:
    c = setup_credits(service)
    batch = c.issue(c.project(), 1, 10)
    first = c.confirm("/retirements", c.admin, {"batch_id": batch, "amount": 1, "beneficiary_name": " Acme  Ltd "})
    second = c.confirm("/retirements", c.admin, {"batch_id": batch, "amount": 1, "beneficiary_name": "Acme Ltd"})
    assert first["beneficiary_hash"] != second["beneficiary_hash"]  # same name, fresh salt: not linkable
    with Session(service.engine) as session:
        secret = session.execute(select(CreditLocalSecret)).scalar_one().secret
        rows = session.execute(select(CreditBeneficiary).order_by(CreditBeneficiary.id)).scalars().all()
    assert [r.display_name for r in rows] == ["Acme Ltd", "Acme Ltd"]  # stored canonical
    key = hmac.new(bytes.fromhex(secret), KEY_CONTEXT + b"|" + str(service.chain.chain_id).encode() + b"|"
                   + c.registry.lower().encode(), hashlib.sha256).digest()
    salt = bytes.fromhex(rows[0].salt[2:])
    expected = "0x" + hmac.new(key, salt + b"Acme Ltd", hashlib.sha256).hexdigest()
    assert expected == first["beneficiary_hash"] == "0x" + bytes(c.contract.retirement(1)[4]).hex()
    assert bytes.fromhex(secret).hex() not in str(service.get("/v1/credit-registries/" + c.registry + "/retirements",
                                                              c.admin).json())
