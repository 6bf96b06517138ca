"""Programme overview and disbursement series: money from the views, history and statuses from the index —
on SQLite and on PostgreSQL (the totals read JSON event arguments, which the two store differently)."""

from __future__ import annotations

import pytest
from _domain_support import DAY, USDC, Service
from _rounds_support import (
    AMOUNT,
    enrol,
    flat_body,
    open_round,
    person_id,
    register,
    rounds_path,
    wait_all,
    wallet,
    window,
)


@pytest.fixture(params=["sqlite", "postgresql"])
def any_service(request: pytest.FixtureRequest) -> Service:
    return request.getfixturevalue("service" if request.param == "sqlite" else "pg_service")


def test_overview_and_series_follow_push_and_claim_payments(any_service: Service) -> None:
    service = any_service
    programme = register(service)
    indexes = enrol(service, 10)
    registrar = service.chain.signer("registrar")
    prog = service.chain.contracts["CashProgramme"]
    prog.suspend(person_id(0), 3, sender=registrar)
    prog.remove(person_id(1), 4, sender=registrar)
    push_id, disburser, approver = open_round(service, programme, flat_body(service))
    response = service.post(rounds_path(programme, push_id, "/disburse"), disburser)
    wait_all(service, disburser, response.json()["jobs"])

    starts, ends = window(service, 5 * DAY)
    claim_id, _, _ = open_round(service, programme, {
        "mode": "claim", "amount_per_beneficiary": 7 * USDC, "beneficiaries": indexes[2:5],
        "starts_at": starts, "ends_at": ends})
    claim = service.get(f"{rounds_path(programme, claim_id)}/claims/{indexes[3]}", disburser).json()
    signature = "0x" + bytes(wallet(3).sign_typed_data(claim["typed_data"]).signature).hex()
    service.confirmed(service.post(f"{rounds_path(programme, claim_id)}/claims", disburser, {
        "index": indexes[3], "amount": 7 * USDC, "deadline": claim["deadline"], "signature": signature}), disburser)
    service.wait_indexed()

    auditor = service.key("auditor", bind=f"programme:{programme}")
    overview = service.get(f"/v1/programmes/{programme}", auditor).json()
    paid = 8 * AMOUNT + 7 * USDC
    funded = 8 * AMOUNT + 3 * 7 * USDC
    assert overview["token"]["symbol"] == "tUSD" and overview["token"]["decimals"] == 6
    assert overview["voucher_mode"] is False and overview["paused"] is False
    assert (overview["funded"], overview["paid"], overview["swept"]) == (str(funded), str(paid), "0")
    assert overview["unclaimed"] == str(funded - paid)
    assert overview["beneficiaries"] == 10 == overview["beneficiaries_on_chain"]
    assert overview["beneficiaries_by_status"] == {"active": 8, "suspended": 1, "removed": 1}
    assert overview["rounds"] == {"total": 2, "by_status": {"proposed": 0, "approved": 2, "cancelled": 0,
                                                            "closed": 0}}

    for bucket in ("hour", "day"):
        series = service.get(f"/v1/programmes/{programme}/disbursements?bucket={bucket}", auditor).json()
        assert series["bucket"] == bucket
        assert sum(int(p["amount"]) for p in series["points"]) == paid
        assert sum(p["payments"] for p in series["points"]) == 9
    future = service.get(f"/v1/programmes/{programme}/disbursements?since=2100-01-01T00:00:00Z", auditor)
    assert future.status_code == 200 and future.json()["points"] == []
    assert service.get(f"/v1/programmes/{programme}/disbursements?bucket=week", auditor).status_code == 422
    naive = service.get(f"/v1/programmes/{programme}/disbursements?since=2026-01-01T00:00:00", auditor)
    assert naive.status_code == 422


def test_status_counts_follow_each_beneficiary_through_its_changes(service: Service) -> None:
    programme = register(service)
    enrol(service, 6)
    registrar = service.chain.signer("registrar")
    prog = service.chain.contracts["CashProgramme"]
    prog.suspend(person_id(0), 1, sender=registrar)
    prog.reinstate(person_id(0), sender=registrar)  # suspended, then active again
    prog.suspend(person_id(1), 1, sender=registrar)
    prog.remove(person_id(1), 2, sender=registrar)  # suspended, then removed
    prog.suspend(person_id(2), 1, sender=registrar)  # still suspended
    prog.suspend(person_id(3), 1, sender=registrar)
    prog.reinstate(person_id(3), sender=registrar)
    prog.suspend(person_id(3), 1, sender=registrar)  # suspended twice, reinstated once
    service.wait_indexed()
    overview = service.get(f"/v1/programmes/{programme}", service.key("auditor")).json()
    assert overview["beneficiaries"] == 6
    assert overview["beneficiaries_by_status"] == {"active": 3, "suspended": 2, "removed": 1}
