"""Claim rounds with a Merkle cap and with suspended beneficiaries in their tree, through the API: the cap is
declared at proposal (`claim_cap`), stored with `POST …/claim-cap` before approval, and claims then carry the
shorter cap proofs; a suspended beneficiary listed with `include_suspended` can claim once reinstated. Bad input
is refused with 422s that name the rule."""

from __future__ import annotations

from _domain_support import USDC, Service
from _rounds_support import (
    AMOUNT,
    approve,
    chain_round_id,
    enrol,
    flat_body,
    person_id,
    propose,
    register,
    rounds_path,
    wait_all,
    wallet,
    wallet_address,
)

from pilotkit.cash_claims import ClaimTree


def _sign(n: int, claim: dict) -> str:
    return "0x" + bytes(wallet(n).sign_typed_data(claim["typed_data"]).signature).hex()


def test_claim_round_with_a_cap_and_a_suspended_beneficiary(service: Service) -> None:
    programme = register(service)
    indexes = enrol(service, 6)
    prog = service.chain.contracts["CashProgramme"]
    registrar = service.chain.signer("registrar")
    prog.suspend(person_id(1), 3, sender=registrar)  # indexes[1]
    service.wait_indexed()
    disburser, approver = service.key("disburser"), service.key("approver")
    body = {**flat_body(service, mode="claim", beneficiaries=indexes), "claim_cap": 4, "include_suspended": True}
    response = service.post(rounds_path(programme), disburser, body)
    assert response.status_code == 202, response.text
    service.confirmed(response, disburser)
    answer = response.json()
    tree = ClaimTree(dict.fromkeys(indexes, AMOUNT), 4)  # the suspended one's leaf is in the tree
    assert answer["root"] == "0x" + tree.root.hex() and answer["beneficiaries"] == 6
    assert answer["budget"] == str(6 * AMOUNT)
    round_id = int(answer["round_id"])
    base = rounds_path(programme, round_id)
    detail = service.get(base, approver).json()
    assert detail["claim_cap"] == 4 and detail["claim_cap_stored"] is False and detail["jobs"]["claim_cap"] == []

    early = service.post(f"{base}/approve", approver)
    assert early.status_code == 409 and "claim-cap" in early.json()["detail"]
    stored = service.post(f"{base}/claim-cap", disburser)
    assert stored.status_code == 202, stored.text
    wait_all(service, disburser, stored.json()["jobs"])
    assert service.post(f"{base}/claim-cap", disburser).status_code == 409  # stored already
    detail = service.get(base, approver).json()
    assert detail["claim_cap_stored"] is True and len(detail["jobs"]["claim_cap"]) == 1
    on_chain = chain_round_id(service, approver, programme, round_id)
    assert int(prog.round(on_chain)[-1]) == 4  # RoundInfo.capSize
    approve(service, approver, programme, round_id)
    assert service.post(f"{base}/claim-cap", disburser).json()["title"] == "InvalidRoundStatus"

    claim = service.get(f"{base}/claims/{indexes[3]}", approver).json()
    assert claim["cap_size"] == 4 and claim["proof"] == ["0x" + p.hex() for p in tree.cap_proof(indexes[3])]
    relay = {"index": indexes[3], "amount": AMOUNT, "deadline": claim["deadline"], "signature": _sign(3, claim)}
    service.confirmed(service.post(f"{base}/claims", disburser, relay), disburser)
    token = service.chain.contracts["TestStablecoin"]
    assert token.balanceOf(wallet_address(3)) == AMOUNT

    held = service.get(f"{base}/claims/{indexes[1]}", approver).json()  # the suspended beneficiary's leaf
    suspended = {"index": indexes[1], "amount": AMOUNT, "deadline": held["deadline"], "signature": _sign(1, held)}
    refused = service.post(f"{base}/claims", disburser, suspended)
    assert refused.status_code == 409 and refused.json()["title"] == "InvalidBeneficiaryStatus"
    prog.reinstate(person_id(1), sender=registrar)
    service.confirmed(service.post(f"{base}/claims", disburser, suspended), disburser)
    assert token.balanceOf(wallet_address(1)) == AMOUNT


def test_claim_cap_and_include_suspended_validation(service: Service) -> None:
    programme = register(service)
    indexes = enrol(service, 4)
    prog = service.chain.contracts["CashProgramme"]
    registrar = service.chain.signer("registrar")
    prog.suspend(person_id(1), 1, sender=registrar)
    prog.remove(person_id(2), 1, sender=registrar)
    service.wait_indexed()
    disburser = service.key("disburser")
    path = rounds_path(programme)
    claim = flat_body(service, mode="claim", beneficiaries=indexes)

    def refused(body: dict, status: int = 422) -> dict:
        response = service.post(path, disburser, body)
        assert response.status_code == status, response.text
        return response.json()

    for bad in (0, 1, 2048, "sixteen"):
        assert refused({**claim, "claim_cap": bad})["title"] == "Request validation failed"
    not_power = refused({**claim, "claim_cap": 12})
    assert "power of two" in not_power["detail"] and not_power["contract_error"] == "InvalidClaimCap"
    push = flat_body(service)
    assert "claim rounds" in refused({**push, "claim_cap": 4})["detail"]
    assert "claim rounds" in refused({**push, "include_suspended": True})["detail"]
    assert refused({**claim, "include_suspended": "maybe"})["title"] == "Request validation failed"
    all_active = {**claim, "beneficiaries": "all-active", "include_suspended": True}
    assert "listed" in refused(all_active)["detail"]
    assert "listed" in refused({**claim, "beneficiaries": None, "include_suspended": True})["detail"]
    # without include_suspended a suspended index is refused; with it only removed (and unknown) ones are
    assert "not active" in refused({**claim, "beneficiaries": [indexes[0], indexes[1]]})["detail"]
    removed = refused({**claim, "beneficiaries": [indexes[0], indexes[2]], "include_suspended": True})
    assert "not active or suspended" in removed["detail"] and str(indexes[2]) in removed["detail"]
    only_suspended = {**claim, "beneficiaries": [indexes[1]], "include_suspended": True}
    assert "pay nobody" in refused(only_suspended)["detail"]
    entitled = {key: value for key, value in claim.items() if key not in ("amount_per_beneficiary", "beneficiaries")}
    entitled |= {"entitlements": [{"index": indexes[0], "amount": 2 * USDC}, {"index": indexes[1], "amount": USDC}],
                 "include_suspended": True, "claim_cap": 2}
    with_entitlements = service.post(path, disburser, entitled)
    assert with_entitlements.status_code == 202, with_entitlements.text
    assert with_entitlements.json()["beneficiaries"] == 2

    # the cap endpoint: only for a claim round that declares a cap, once its proposal is mined
    plain = propose(service, disburser, programme, flat_body(service, mode="claim", beneficiaries=[indexes[0]]))
    no_cap = service.post(rounds_path(programme, plain, "/claim-cap"), disburser)
    assert no_cap.status_code == 422 and "declares no claim cap" in no_cap.json()["detail"]
    pushed = propose(service, disburser, programme, flat_body(service, beneficiaries=[indexes[0], indexes[3]]))
    wrong = service.post(rounds_path(programme, pushed, "/claim-cap"), disburser)
    assert wrong.json()["title"] == "WrongRoundKind"
    approver_only = service.post(rounds_path(programme, plain, "/claim-cap"), service.key("approver"))
    assert approver_only.status_code == 403
    assert service.post(rounds_path(programme, 9999, "/claim-cap"), disburser).status_code == 404
    assert service.post(rounds_path(programme, plain, "/claim-cap"), disburser, idem=None).status_code == 400
