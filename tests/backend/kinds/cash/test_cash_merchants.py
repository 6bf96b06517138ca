"""Merchants of a voucher programme through the API on a real Anvil: approve, list, revoke, relayed voucher
spends signed by beneficiaries' wallets, redemption by the service-held merchant account, refusals and the role ×
endpoint × object matrix."""

from __future__ import annotations

from _cash_support import address_of, enrol, register, voucher_round, wallet
from _domain_support import USDC, Service

from pilotkit.cash_claims import spend_typed_data


def _merchants(programme: str) -> str:
    return f"/v1/programmes/{programme}/merchants"


def _signed_spend(service: Service, programme: str, index: int, signer, merchant: str, amount: int,
                  deadline: int | None = None) -> dict:
    contract = service.chain.contracts["VoucherProgramme"]
    nonce = contract.nonces(signer.address)
    deadline = deadline if deadline is not None else service.chain.control.time() + 3600
    data = spend_typed_data(service.chain.chain_id, programme, index, merchant, amount, nonce, deadline)
    signature = "0x" + bytes(signer.sign_typed_data(data).signature).hex()
    return {"index": index, "merchant": merchant, "amount": amount, "deadline": deadline, "signature": signature}


def test_approve_list_revoke_and_direct_programmes_have_no_merchants(service: Service) -> None:
    programme = register(service, "VoucherProgramme")
    direct = register(service, "CashProgramme")
    registrar, auditor = service.key("registrar"), service.key("auditor")
    shop = address_of("shop")
    service.confirmed(service.post(_merchants(programme), registrar, {"address": shop, "reference": "SHOP-0042"}),
                      registrar)
    again = service.post(_merchants(programme), registrar, {"address": shop, "reference": "SHOP-0042"})
    assert again.status_code == 409 and again.json()["title"] == "MerchantAlreadyApproved"
    service.wait_indexed()
    listed = service.get(_merchants(programme), auditor).json()
    assert [(m["address"], m["reference"], m["approved"], m["service_held"]) for m in listed] == \
        [(shop, "SHOP-0042", True, False)]
    service.confirmed(service.post(f"{_merchants(programme)}/{shop}/revoke", registrar, {"reason_code": 4}),
                      registrar)
    service.wait_indexed()
    revoked = service.get(_merchants(programme), auditor).json()[0]
    assert revoked["approved"] is False and revoked["revoke_reason_code"] == 4 and revoked["revoked_at"]
    refused = service.post(_merchants(direct), registrar, {"address": shop, "reference": "SHOP-1"})
    assert refused.status_code == 409 and refused.json()["title"] == "VoucherModeDisabled"
    assert service.get(_merchants(direct), auditor).status_code == 409
    for bad in ({"address": "0x12", "reference": "x"}, {"address": shop, "reference": "é" * 3},
                {"address": shop, "reference": "x" * 40}, {"address": "0x" + "00" * 20, "reference": "x"},
                {"address": shop, "reference": "0x" + "00" * 32}, {"address": shop}):
        assert service.post(_merchants(programme), registrar, bad).status_code == 422, bad


def test_relayed_spend_and_redemption_by_the_service_held_merchant(service: Service) -> None:
    programme = register(service, "VoucherProgramme")
    registrar, till = service.key("registrar"), service.key("merchant")
    held = service.chain.signer("merchant").address
    amina, baraka = wallet("amina"), wallet("baraka")
    enrol(service, registrar, programme, "amina", amina.address)
    enrol(service, registrar, programme, "baraka", baraka.address)
    service.confirmed(service.post(_merchants(programme), registrar, {"address": held, "reference": "TILL-1"}),
                      registrar)
    voucher_round(service, [1, 2], amount=25 * USDC)
    contract = service.chain.contracts["VoucherProgramme"]

    spend = _signed_spend(service, programme, 1, amina, held, 10 * USDC)
    job = service.confirmed(service.post(f"/v1/programmes/{programme}/spends", till, spend), till)
    assert job["kind"] == "cash.spend"
    assert tuple(contract.beneficiary(1))[2] == 15 * USDC and tuple(contract.merchantInfo(held))[1] == 10 * USDC
    replayed = service.post(f"/v1/programmes/{programme}/spends", till, spend)  # the nonce is used up
    assert replayed.status_code == 422 and replayed.json()["title"] == "InvalidSignature"
    forged = _signed_spend(service, programme, 2, amina, held, 5 * USDC)  # amina signs for baraka's index
    assert service.post(f"/v1/programmes/{programme}/spends", till, forged).status_code == 422
    too_much = _signed_spend(service, programme, 2, baraka, held, 26 * USDC)
    refused = service.post(f"/v1/programmes/{programme}/spends", till, too_much)
    assert refused.status_code == 409 and refused.json()["title"] == "InsufficientEntitlement"
    late = _signed_spend(service, programme, 2, baraka, held, USDC, deadline=1)
    assert service.post(f"/v1/programmes/{programme}/spends", till, late).status_code == 422
    bad_sig = {**spend, "signature": "0x1234"}
    assert service.post(f"/v1/programmes/{programme}/spends", till, bad_sig).status_code == 422

    token = service.chain.contracts["TestStablecoin"]
    before = token.balanceOf(held)
    redemptions = f"{_merchants(programme)}/{held}/redemptions"
    body = {"amount": 4 * USDC, "settlement_ref": "INV-2026-001"}
    answers = [service.post(redemptions, till, body, idem="redeem-1") for _ in range(3)]
    assert len({a.json()["job_id"] for a in answers}) == 1
    service.confirmed(answers[0], till)
    assert token.balanceOf(held) == before + 4 * USDC
    assert tuple(contract.merchantInfo(held))[1:] == (6 * USDC, 4 * USDC)
    assert service.post(redemptions, till, body).status_code == 409  # settlement_ref used already
    over = service.post(redemptions, till, {"amount": 7 * USDC, "settlement_ref": "INV-2026-002"})
    assert over.status_code == 409 and over.json()["title"] == "InsufficientMerchantBalance"
    other = service.post(f"{_merchants(programme)}/{address_of('shop')}/redemptions", till,
                         {"amount": USDC, "settlement_ref": "INV-X"})
    assert other.status_code == 422 and "own merchant account" in other.json()["detail"]
    assert service.post(redemptions, till, {"amount": 0, "settlement_ref": "INV-3"}).status_code == 422
    service.wait_indexed()
    listed = service.get(_merchants(programme), till).json()
    assert listed[0]["service_held"] and listed[0]["redeemed"] == str(4 * USDC)


SCOPES = ["registrar", "disburser", "approver", "merchant", "issuer", "verifier", "auditor", "admin"]


def test_role_by_endpoint_by_object_matrix(service: Service) -> None:
    programme = register(service, "VoucherProgramme")
    other = register(service, "CashProgramme")
    held = service.chain.signer("merchant").address
    endpoints = [  # (method, path, body, scopes allowed)
        ("POST", _merchants(programme), {"address": address_of("m"), "reference": "M"}, {"registrar"}),
        ("POST", f"{_merchants(programme)}/{address_of('m')}/revoke", {"reason_code": 1}, {"registrar"}),
        ("GET", _merchants(programme), None, {"registrar", "auditor", "merchant"}),
        ("POST", f"{_merchants(programme)}/{held}/redemptions", {"amount": 1, "settlement_ref": "R"}, {"merchant"}),
        ("POST", f"/v1/programmes/{programme}/spends",
         {"index": 1, "merchant": held, "amount": 1, "deadline": 2**40, "signature": "0x" + "11" * 65},
         {"merchant"}),
    ]
    failures = []
    for scope in SCOPES:
        for binding, label in ((f"programme:{programme}", "here"), (f"programme:{other}", "elsewhere"),
                               (None, "unbound")):
            token = service.key(scope, bind=binding)
            for method, path, body, allowed in endpoints:
                response = service.get(path, token) if method == "GET" else service.post(path, token, body)
                if scope not in allowed:
                    expected = {403}
                elif label == "elsewhere":
                    expected = {404}
                else:  # allowed; the chain may still refuse these made-up values
                    expected = {200, 202, 409, 422}
                if response.status_code not in expected:
                    failures.append((scope, label, method, path.rsplit("/", 1)[-1], response.status_code))
    assert failures == []
