"""Batches through the API on a real Anvil: serial hints computed by the service (also for batches still queued),
overlaps refused by name, freezes, the per-vintage summary, and project/batch listings."""

from __future__ import annotations

from _credits_support import VINTAGE_2022, address_of, batch_body, problem, setup_credits
from _domain_support import Service


def test_serial_hints_follow_the_list_on_chain_and_in_the_queue(service: Service) -> None:
    c = setup_credits(service)
    verra = c.project(registry_code="VERRA")
    verra_2 = c.project(registry_code="VERRA")  # same serial namespace
    gold = c.project(registry_code="GOLD_STANDARD")  # its own namespace
    c.issue(verra, 1000, 1999)
    first = c.confirm("/batches", c.verifier, batch_body(verra_2, 1, 999))
    assert first["serial_hint"] == 0  # before the head
    service.wait_indexed()
    after = c.confirm("/batches", c.verifier, batch_body(verra, 5000, 5999))
    assert after["serial_hint"] == 1000  # found from the index, checked on chain

    # queued back to back in ascending order (nothing mined meanwhile): each hint counts the queued batches
    with service.chain.control.no_automine():
        responses = [c.post("/batches", c.verifier, batch_body(verra, s, s + 99)) for s in (3000, 4000, 6000)]
        assert [r.status_code for r in responses] == [202] * 3, [r.text for r in responses]
        assert [r.json()["serial_hint"] for r in responses] == [1000, 3000, 5000]
        in_front = c.post("/batches", c.verifier, batch_body(verra, 2000, 2099))  # would precede queued 3000
        assert problem(in_front, 409)["type"] == "/problems/issuance-in-progress"
        assert in_front.headers["retry-after"]
        overlapping = c.post("/batches", c.verifier, batch_body(verra, 4050, 4060))  # overlaps a queued batch
        problem(overlapping, 409, "SerialRangeOverlaps")
    service.chain.control.mine()
    for response in responses:
        service.confirmed(response, c.verifier)
    assert c.confirm("/batches", c.verifier, batch_body(verra, 2000, 2099))["serial_hint"] == 1000
    problem(c.post("/batches", c.verifier, batch_body(verra_2, 1500, 1600)), 409, "SerialRangeOverlaps")  # on chain
    same_serials = c.confirm("/batches", c.verifier, batch_body(gold, 1000, 1999))
    assert same_serials["serial_hint"] == 0

    contract = c.contract
    code = b"VERRA".ljust(32, b"\0")
    starts, node = [], contract.serialRange(code, 0)
    while node[1]:
        starts.append(node[1])
        node = contract.serialRange(code, node[1])
    assert starts == [1, 1000, 2000, 3000, 4000, 5000, 6000]


def test_freeze_blocks_transfers_and_retirements_until_unfrozen(service: Service) -> None:
    c = setup_credits(service)
    batch = c.issue(c.project(), 1, 100)
    c.confirm(f"/batches/{batch}/freeze", c.verifier, {"reason_code": 7})
    assert c.contract.isFrozen(batch)
    problem(c.post("/transfers", c.admin, {"batch_id": batch, "amount": 1, "to": address_of("b")}), 409,
            "BatchIsFrozen")
    problem(c.post("/retirements", c.admin, {"batch_id": batch, "amount": 1}), 409, "BatchIsFrozen")
    problem(c.post(f"/batches/{batch}/freeze", c.verifier, {"reason_code": 1}), 409, "BatchIsFrozen")
    detail = c.get(f"/batches/{batch}", c.auditor).json()
    assert detail["frozen"] and detail["freeze_reason"] == 7
    # Review finding 3: the service's verifier issued the batch, so it cannot lift the freeze; the admin does.
    assert c.post(f"/batches/{batch}/unfreeze", c.verifier, {"reason_code": 8}).status_code == 403
    c.confirm(f"/batches/{batch}/unfreeze", c.admin, {"reason_code": 8})
    problem(c.post(f"/batches/{batch}/unfreeze", c.admin, {"reason_code": 8}), 409, "BatchNotFrozen")
    problem(c.post("/batches/99/freeze", c.verifier, {"reason_code": 1}), 404)
    c.confirm("/transfers", c.admin, {"batch_id": batch, "amount": 1, "to": address_of("b")})


def test_summary_per_vintage_and_listings(service: Service) -> None:
    c = setup_credits(service)
    project = c.project(external_id="VCS-77")
    b2021 = c.issue(project, 1, 1000)
    b2022 = c.issue(project, 2001, 2500, vintage=VINTAGE_2022)
    c.issue(project, 3001, 3010, vintage=VINTAGE_2022)
    c.confirm("/retirements", c.admin, {"batch_id": b2021, "amount": 100, "beneficiary_name": "Acme Ltd"})
    c.confirm("/retirements", c.admin, {"batch_id": b2022, "amount": 20})
    c.confirm(f"/batches/{b2022}/freeze", c.verifier, {"reason_code": 3})
    service.wait_indexed()
    summary = c.get("/summary", c.auditor).json()
    assert summary["batch_count"] == 3 and summary["batches_indexed"] == 3 and summary["retirement_count"] == 2
    assert summary["custody"] == c.custody
    assert summary["vintages"] == [
        {"vintage": 2021, "batches": 1, "issued": 1000, "retired": 100, "circulating": 900, "frozen": 0},
        {"vintage": 2022, "batches": 2, "issued": 510, "retired": 20, "circulating": 490, "frozen": 480},
    ]
    assert summary["totals"] == {"batches": 3, "issued": 1510, "retired": 120, "circulating": 1390, "frozen": 480}

    projects = c.get("/projects", c.verifier).json()
    assert [p["external_id"] for p in projects["items"]] == ["VCS-77"] and projects["next_cursor"] is None
    assert projects["items"][0]["country"] == "KE" and projects["items"][0]["methodology"] == "VM0015"
    first = c.get("/batches?limit=2", c.auditor).json()
    assert [b["batch_id"] for b in first["items"]] == [1, 2] and first["next_cursor"] == "2"
    rest = c.get(f"/batches?limit=2&cursor={first['next_cursor']}", c.auditor).json()
    assert [b["batch_id"] for b in rest["items"]] == [3] and rest["next_cursor"] is None
    assert first["items"][1]["frozen"] and first["items"][1]["circulating"] == 480
    newest = c.get("/retirements?order=desc&limit=1", c.admin).json()
    assert [r["retirement_id"] for r in newest["items"]] == [2] and newest["items"][0]["beneficiary_hash"] is None
    older = c.get(f"/retirements?order=desc&limit=1&cursor={newest['next_cursor']}", c.admin).json()
    assert older["items"][0]["beneficiary_name"] == "Acme Ltd"
    problem(c.get("/batches?cursor=x", c.auditor), 400)
    problem(c.get("/retirements?cursor=bad", c.auditor), 400)
