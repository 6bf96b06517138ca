"""Cash rounds through the API on a real Anvil: push rounds paid exactly once, claim rounds with relayed
signatures, maker-checker, refusals named after the contract's errors, idempotent disbursement."""

from __future__ import annotations

import uuid

from _domain_support import DAY, USDC, Service
from _rounds_support import (
    AMOUNT,
    approve,
    chain_round_id,
    enrol,
    flat_body,
    open_round,
    person_id,
    propose,
    register,
    rounds_path,
    wait_all,
    wallet,
    wallet_address,
    window,
)


def test_push_round_of_600_pays_everyone_exactly_once(service: Service) -> None:
    programme = register(service)
    indexes = enrol(service, 600)
    round_id, disburser, approver = open_round(service, programme, flat_body(service))
    prog = service.chain.contracts["CashProgramme"]
    on_chain = chain_round_id(service, disburser, programme, round_id)

    response = service.post(rounds_path(programme, round_id, "/disburse"), disburser)
    assert response.status_code == 202, response.text
    body = response.json()
    assert len(body["jobs"]) == 3 and body["beneficiaries_queued"] == 600
    assert {j["kind"] for j in body["jobs"]} == {"cash.round.pay_batch"}
    wait_all(service, disburser, body["jobs"])

    again = service.post(rounds_path(programme, round_id, "/disburse"), disburser)
    assert again.status_code == 202 and again.json() == {"jobs": [], "beneficiaries_queued": 0}
    token = service.chain.contracts["TestStablecoin"]
    assert all(prog.isPaid(on_chain, i) for i in indexes)
    assert all(token.balanceOf(wallet_address(n)) == AMOUNT for n in range(600))

    detail = service.get(rounds_path(programme, round_id), disburser).json()
    assert detail["state"] == "approved" and detail["paid"] == str(600 * AMOUNT) and detail["remaining"] == "0"
    assert detail["proposer_key_label"] == "ops disburser" and detail["approver_key_label"] == "finance approver"
    progress = detail["progress"]
    assert progress["jobs_by_status"] == {"confirmed": 3} and progress["beneficiaries_in_confirmed_jobs"] == 600
    assert progress["failures"] == []

    one = service.post(rounds_path(programme, round_id, "/payments"), disburser, {"index": indexes[5]})
    assert one.status_code == 409 and one.json()["title"] == "AlreadyPaid"


def test_claim_round_with_relayed_claims_then_sweep(service: Service) -> None:
    programme = register(service)
    indexes = enrol(service, 4)
    starts, ends = window(service, 5 * DAY)
    entitlements = [{"index": i, "amount": (n + 1) * USDC} for n, i in enumerate(indexes)]
    round_id, disburser, approver = open_round(service, programme, {
        "mode": "claim", "entitlements": entitlements, "starts_at": starts, "ends_at": ends})
    base = rounds_path(programme, round_id)
    claim = service.get(f"{base}/claims/{indexes[2]}", approver).json()
    assert claim["amount"] == str(3 * USDC) and claim["proof"] and not claim["paid"]
    assert claim["typed_data"]["primaryType"] == "Claim" and claim["deadline"] == ends
    assert service.get(f"{base}/claims/999", approver).status_code == 404

    signature = "0x" + bytes(wallet(2).sign_typed_data(claim["typed_data"]).signature).hex()
    relay = {"index": indexes[2], "amount": 3 * USDC, "deadline": claim["deadline"], "signature": signature}
    service.confirmed(service.post(f"{base}/claims", disburser, relay), disburser)
    token = service.chain.contracts["TestStablecoin"]
    assert token.balanceOf(wallet_address(2)) == 3 * USDC
    assert service.get(f"{base}/claims/{indexes[2]}", approver).json()["paid"] is True

    twice = service.post(f"{base}/claims", disburser, relay)
    assert twice.status_code == 409 and twice.json()["title"] == "AlreadyPaid"
    other = service.get(f"{base}/claims/{indexes[0]}", approver).json()
    forged = "0x" + bytes(wallet(3).sign_typed_data(other["typed_data"]).signature).hex()  # not index 0's wallet
    bad = service.post(f"{base}/claims", disburser, {**relay, "index": indexes[0], "amount": USDC,
                                                     "signature": forged})
    assert bad.status_code == 422 and bad.json()["title"] == "InvalidSignature"
    wrong_amount = service.post(f"{base}/claims", disburser, {**relay, "index": indexes[0], "signature": forged})
    assert wrong_amount.status_code == 422 and wrong_amount.json()["title"] == "InvalidProof"
    late = service.post(f"{base}/claims", disburser, {**relay, "index": indexes[0], "amount": USDC,
                                                      "deadline": starts - 10, "signature": forged})
    assert late.status_code == 422 and late.json()["title"] == "DeadlineExpired"
    garbage = service.post(f"{base}/claims", disburser, {**relay, "signature": "0xzz"})
    assert garbage.status_code == 422

    early_sweep = service.post(f"{base}/sweep", disburser)
    assert early_sweep.status_code == 409 and early_sweep.json()["title"] == "RoundStillOpen"
    service.chain.control.sleep(5 * DAY + 60)
    signature0 = "0x" + bytes(wallet(0).sign_typed_data(other["typed_data"]).signature).hex()
    closed = service.post(f"{base}/claims", disburser, {**relay, "index": indexes[0], "amount": USDC,
                                                        "signature": signature0, "deadline": other["deadline"] + DAY})
    assert closed.status_code == 409 and closed.json()["title"] == "RoundNotOpen"
    service.confirmed(service.post(f"{base}/sweep", approver), approver)
    detail = service.get(base, approver).json()
    assert detail["state"] == "closed" and detail["swept"] == str((1 + 2 + 4) * USDC)
    assert detail["paid"] == str(3 * USDC)


def test_the_proposing_key_cannot_approve(service: Service) -> None:
    programme = register(service)
    enrol(service, 3)
    service.wait_indexed()
    both = service.key("disburser", "approver", label="does everything")
    round_id = propose(service, both, programme, flat_body(service))
    refused = service.post(rounds_path(programme, round_id, "/approve"), both)
    assert refused.status_code == 403 and "maker-checker" in refused.json()["detail"]
    approve(service, service.key("approver"), programme, round_id)
    again = service.post(rounds_path(programme, round_id, "/approve"), service.key("approver"))
    assert again.status_code == 409


def test_payment_refusals_suspended_paused_and_window(service: Service) -> None:
    programme = register(service)
    indexes = enrol(service, 5)
    round_id, disburser, _ = open_round(service, programme, flat_body(service, length=3 * DAY))
    prog = service.chain.contracts["CashProgramme"]
    prog.suspend(person_id(1), 7, sender=service.chain.signer("registrar"))
    pay = rounds_path(programme, round_id, "/payments")
    suspended = service.post(pay, disburser, {"index": indexes[1]})
    assert suspended.status_code == 409 and suspended.json()["title"] == "InvalidBeneficiaryStatus"
    assert service.post(pay, disburser, {"index": 4242}).status_code == 422  # not in the plan
    service.confirmed(service.post(pay, disburser, {"index": indexes[0]}), disburser)

    prog.pause(sender=service.chain.admin)
    paused = service.post(rounds_path(programme, round_id, "/disburse"), disburser)
    assert paused.status_code == 409 and paused.json()["title"] == "EnforcedPause"
    prog.unpause(sender=service.chain.admin)

    service.wait_indexed()
    response = service.post(rounds_path(programme, round_id, "/disburse"), disburser)
    assert response.status_code == 202 and response.json()["beneficiaries_queued"] == 3  # not 0 (paid), 1 (suspended)
    wait_all(service, disburser, response.json()["jobs"])
    on_chain = chain_round_id(service, disburser, programme, round_id)
    assert [bool(prog.isPaid(on_chain, i)) for i in indexes] == [True, False, True, True, True]

    service.chain.control.sleep(3 * DAY + 120)
    late = service.post(pay, disburser, {"index": indexes[1]})
    assert late.status_code == 409 and late.json()["title"] == "RoundNotOpen"


def test_proposal_validation(service: Service) -> None:
    programme = register(service)
    indexes = enrol(service, 3)
    service.chain.contracts["CashProgramme"].suspend(person_id(2), 1, sender=service.chain.signer("registrar"))
    service.wait_indexed()
    disburser = service.key("disburser")
    path = rounds_path(programme)
    good = flat_body(service)

    def refused(body: dict, status: int = 422) -> dict:
        response = service.post(path, disburser, body)
        assert response.status_code == status, response.text
        return response.json()

    assert "exactly one" in refused({**good, "entitlements": [{"index": indexes[0], "amount": 5}]})["detail"]
    assert "not active" in refused({**good, "beneficiaries": [indexes[0], indexes[2]]})["detail"]
    assert "not active" in refused({**good, "beneficiaries": [indexes[0], 77]})["detail"]
    assert refused({**good, "amount_per_beneficiary": 0})["title"] == "Request validation failed"
    assert refused({**good, "amount_per_beneficiary": 501 * USDC})["title"] == "InvalidRoundParams"  # > period cap
    assert "before" in refused({**good, "ends_at": good["starts_at"]})["detail"]
    assert "one cap period" in refused({**good, "ends_at": good["starts_at"] + 40 * DAY})["detail"]
    assert refused({**good, "mode": "airdrop"})["title"] == "Request validation failed"
    assert refused({**good, "starts_at": "2026-01-01T00:00:00"})["title"] == "Request validation failed"  # no zone
    assert refused({**good, "surprise": 1})["title"] == "Request validation failed"
    assert service.post(path, disburser, good, idem=None).status_code == 400
    accepted = service.post(path, disburser, good)
    assert accepted.status_code == 202 and accepted.json()["beneficiaries"] == 2
    assert accepted.json()["budget"] == str(2 * AMOUNT)


def test_disburse_five_times_with_one_key_queues_one_set_of_payments(service: Service) -> None:
    programme = register(service)
    enrol(service, 300)
    round_id, disburser, _ = open_round(service, programme, flat_body(service))
    key = str(uuid.uuid4())
    answers = [service.post(rounds_path(programme, round_id, "/disburse"), disburser, idem=key) for _ in range(5)]
    assert all(a.status_code == 202 for a in answers)
    assert len({a.text for a in answers}) == 1 and all(a.headers.get("Idempotent-Replayed") for a in answers[1:])
    jobs = answers[0].json()["jobs"]
    assert len(jobs) == 2
    wait_all(service, disburser, jobs)
    detail = service.get(rounds_path(programme, round_id), disburser).json()
    assert detail["progress"]["jobs"] == 2 and detail["paid"] == str(300 * AMOUNT)
    # another key, after the fact: nothing left to queue
    assert service.post(rounds_path(programme, round_id, "/disburse"), disburser).json()["jobs"] == []


def test_list_push_round_and_cancelled_proposal(service: Service) -> None:
    programme = register(service)
    indexes = enrol(service, 260)
    entitlements = [{"index": i, "amount": USDC + (i % 7)} for i in indexes]
    starts, ends = window(service)
    round_id, disburser, approver = open_round(service, programme, {
        "mode": "push", "entitlements": entitlements, "starts_at": starts, "ends_at": ends})
    response = service.post(rounds_path(programme, round_id, "/disburse"), disburser)
    assert response.status_code == 202 and len(response.json()["jobs"]) == 2
    wait_all(service, disburser, response.json()["jobs"])
    token = service.chain.contracts["TestStablecoin"]
    assert token.balanceOf(wallet_address(0)) == USDC + (indexes[0] % 7)
    detail = service.get(rounds_path(programme, round_id), approver).json()
    assert detail["kind"] == "list_push" and detail["paid"] == str(sum(e["amount"] for e in entitlements))
    assert service.post(rounds_path(programme, round_id, "/payments"), disburser,
                        {"index": indexes[0]}).json()["title"] == "WrongRoundKind"

    second = propose(service, disburser, programme, flat_body(service))
    rejected = service.post(rounds_path(programme, second, "/cancel"), approver)
    service.confirmed(rejected, approver)
    assert service.get(rounds_path(programme, second), approver).json()["state"] == "cancelled"
    listed = service.get(f"{rounds_path(programme)}?limit=1", approver).json()
    assert [r["id"] for r in listed["items"]] == [second] and listed["next_cursor"]
    rest = service.get(f"{rounds_path(programme)}?cursor={listed['next_cursor']}", approver).json()
    assert [r["id"] for r in rest["items"]] == [round_id] and rest["next_cursor"] is None
