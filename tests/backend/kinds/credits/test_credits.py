"""Eco-credits through the API on a real Anvil: projects, batches, transfers and retirements from custody, the
public retirement record and erasure of the beneficiary name."""

from __future__ import annotations

import json

from _credits_support import address_of, outside_holder, setup_credits
from _domain_support import Service
from eth_utils import keccak
from pilotkit_backend.kinds.credits.models import CreditBeneficiary
from sqlalchemy import select
from sqlalchemy.orm import Session


def test_issue_transfer_retire_and_read_the_public_record(service: Service) -> None:
    c = setup_credits(service)
    project_id = c.project(external_id="VCS-1234")
    assert project_id == 1
    issued = c.confirm("/batches", c.verifier, {
        "project_id": project_id, "vintage_start": "2021-01-01", "vintage_end": "2021-12-31T00:00:00Z",
        "serial_start": 1, "serial_end": 1000, "evidence_hash": "0x" + keccak(text="evidence").hex()})
    assert issued["amount"] == 1000 and issued["holder"] == c.custody and issued["serial_hint"] == 0
    assert c.contract.balanceOf(c.custody, 1) == 1000

    buyer = address_of("buyer")
    c.confirm("/transfers", c.admin, {"batch_id": 1, "amount": 300, "to": buyer})
    assert c.contract.balanceOf(buyer, 1) == 300 and c.contract.balanceOf(c.custody, 1) == 700

    retired = c.confirm("/retirements", c.admin, {"batch_id": 1, "amount": 50, "beneficiary_name": "City of Kisumu",
                                                  "reason": "Offsetting 2025 municipal fleet emissions"})
    record = c.contract.retirement(1)
    assert record[4] == bytes.fromhex(retired["beneficiary_hash"][2:])  # only the keyed hash is on chain
    assert c.contract.retired(1) == 50

    service.wait_indexed()
    page = c.get("/retirements", c.auditor).json()
    assert [r["beneficiary_name"] for r in page["items"]] == ["City of Kisumu"]
    public = service.get(f"/v1/public/credit-registries/{c.registry}/retirements/1")  # no key
    assert public.status_code == 200, public.text
    body = public.json()
    assert body["beneficiary_name"] == "City of Kisumu" and not body["beneficiary_erased"]
    assert body["amount"] == 50 and body["batch_id"] == 1 and body["retiree"] == c.custody
    assert body["project"]["external_id"] == "VCS-1234" and body["project"]["registry_code"] == "VERRA"
    assert body["vintage_start"].startswith("2021-01-01") and body["vintage_end"].startswith("2021-12-31")
    assert body["reason"] == "Offsetting 2025 municipal fleet emissions"
    assert body["tx_hash"] == page["items"][0]["tx_hash"] and body["block_number"] > 0
    assert public.headers["cache-control"].startswith("public")
    text = public.text
    with Session(service.engine) as session:
        row = session.execute(select(CreditBeneficiary)).scalar_one()
    assert row.salt and row.salt[2:] not in text and row.job_id not in text and "job" not in text
    assert retired["job_id"] not in text

    batch = c.get("/batches/1", c.verifier).json()
    assert batch["issued"] == 1000 and batch["retired"] == 50 and batch["circulating"] == 950
    assert batch["in_custody"] == 650
    assert {h["address"]: h["balance"] for h in batch["holders"]} == {c.custody: 650, buyer: 300}

    erased = service.client.delete(f"{c.base}/retirements/1/beneficiary", headers=service.auth(c.admin))
    assert erased.status_code == 200, erased.text
    assert erased.json()["beneficiary_hash"] == retired["beneficiary_hash"]
    again = service.client.delete(f"{c.base}/retirements/1/beneficiary", headers=service.auth(c.admin))
    assert again.status_code == 200 and again.json()["erased_at"] == erased.json()["erased_at"]
    after = service.get(f"/v1/public/credit-registries/{c.registry}/retirements/1").json()
    assert after["beneficiary_name"] is None and after["beneficiary_erased"]
    assert "Kisumu" not in json.dumps(after)
    with Session(service.engine) as session:
        row = session.execute(select(CreditBeneficiary)).scalar_one()
    assert row.display_name is None and row.salt is None and row.erased_at is not None


def test_holders_with_their_own_wallets_show_in_the_index(service: Service) -> None:
    c = setup_credits(service)
    project_id = c.project()
    holder = outside_holder()
    issued = c.confirm("/batches", c.verifier, {
        "project_id": project_id, "vintage_start": 1609459200, "vintage_end": 1640908800, "serial_start": 10,
        "serial_end": 19, "evidence_hash": "0x" + "11" * 32, "holder": holder.address})
    assert issued["holder"] == holder.address
    c.contract.retire(1, 4, keccak(text="short name"), "own retirement", sender=holder)
    service.wait_indexed()
    item = c.get("/retirements", c.verifier).json()["items"][0]
    assert item["retiree"] == holder.address and item["beneficiary_name"] is None and item["amount"] == 4
    public = service.get(f"/v1/public/credit-registries/{c.registry}/retirements/1").json()
    assert public["beneficiary_name"] is None and not public["beneficiary_erased"] and public["reason"] == \
        "own retirement"
    # no name is kept for a retirement the service did not make, so there is nothing to erase
    missing = service.client.delete(f"{c.base}/retirements/1/beneficiary", headers=service.auth(c.admin))
    assert missing.status_code == 404


def test_public_record_refusals(service: Service) -> None:
    c = setup_credits(service)
    unknown = service.get(f"/v1/public/credit-registries/{c.registry}/retirements/7")
    assert unknown.status_code == 404
    programme = service.chain.address("CashProgramme")  # not a registered credits registry
    assert service.get(f"/v1/public/credit-registries/{programme}/retirements/1").status_code == 404
    assert service.get("/v1/public/credit-registries/nope/retirements/1").status_code == 404
    assert service.get(f"/v1/public/credit-registries/{c.registry}/retirements/0").status_code == 422
