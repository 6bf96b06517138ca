"""CashProgramme voucher mode: merchants, spending only at approved merchants, redemption with settlement data,
and the voucher-mode money invariant. Signed spending (spendFor) is in test_cash_signatures.py."""

from __future__ import annotations

import pytest
from cash_helpers import (
    AMOUNT,
    DAY,
    USDC,
    ZERO_ADDRESS,
    BStatus,
    Cash,
    balance,
    open_round,
    round_info,
)
from eth_utils import keccak

from pilotkit.testing.assertions import assert_event, assert_no_event, reverts

SHOP_REF = keccak(text="merchant registration: shop 2")
SETTLEMENT = keccak(text="invoice 2026-001")


@pytest.fixture
def credited(vcash: Cash, chain) -> int:
    """Every beneficiary holds AMOUNT of entitlement; returns the round id (budget 10 * AMOUNT)."""
    round_id = open_round(vcash, chain, budget=10 * AMOUNT, lasts=DAY)
    vcash.prog.payFlat(round_id, [1, 2, 3, 4, 5, 6], sender=vcash.roles.disburser)
    return round_id


def voucher_invariant(cash: Cash, round_ids: list[int]) -> None:
    """balance == funded - redeemed - swept; paid - redeemed == entitlements + merchant balances."""
    prog = cash.prog
    paid = sum(round_info(prog, r)["paid"] for r in round_ids)
    assert balance(cash, prog) == prog.totalFunded() - prog.totalRedeemed() - prog.totalSwept()
    entitlements = sum(tuple(prog.beneficiary(i))[2] for i in range(1, prog.beneficiaryCount() + 1))
    merchants = sum(tuple(prog.merchantInfo(m))[1] for m in (cash.roles.merchant.address, cash.roles.stranger.address))
    assert paid - prog.totalRedeemed() == entitlements + merchants


def test_approve_and_revoke_merchants(vcash: Cash) -> None:
    prog, manager = vcash.prog, vcash.roles.merchant_manager
    shop = vcash.roles.stranger.address
    assert tuple(prog.merchantInfo(shop)) == (False, 0, 0)
    assert_event(prog.approveMerchant(shop, SHOP_REF, sender=manager), "MerchantApproved", merchant=shop, ref=SHOP_REF)
    assert tuple(prog.merchantInfo(shop)) == (True, 0, 0)
    with reverts("MerchantAlreadyApproved", merchant=shop):
        prog.approveMerchant(shop, SHOP_REF, sender=manager)
    with reverts("ZeroAddress"):
        prog.approveMerchant(ZERO_ADDRESS, SHOP_REF, sender=manager)
    assert_event(prog.revokeMerchant(shop, 12, sender=manager), "MerchantRevoked", merchant=shop, reasonCode=12)
    assert tuple(prog.merchantInfo(shop)) == (False, 0, 0)
    with reverts("MerchantNotApproved", merchant=shop):
        prog.revokeMerchant(shop, 12, sender=manager)
    prog.approveMerchant(shop, SHOP_REF, sender=manager)  # re-approval is allowed


def test_spend_moves_entitlement_to_an_approved_merchant(vcash: Cash, credited: int) -> None:
    prog, merchant, wallet = vcash.prog, vcash.roles.merchant, vcash.wallet(1)
    result = prog.spend(merchant.address, 10 * USDC, sender=wallet)
    assert_event(result, "VoucherSpent", index=1, merchant=merchant, amount=10 * USDC)
    assert_no_event(result, "Transfer")  # no token moves when spending
    assert tuple(prog.beneficiary(1)) == (wallet.address, BStatus.Active, AMOUNT - 10 * USDC)
    assert tuple(prog.merchantInfo(merchant.address)) == (True, 10 * USDC, 0)
    prog.spend(merchant.address, AMOUNT - 10 * USDC, sender=wallet)  # the whole rest
    assert tuple(prog.beneficiary(1))[2] == 0
    voucher_invariant(vcash, [credited])


def test_spend_only_at_approved_merchants(vcash: Cash, credited: int) -> None:
    prog, roles = vcash.prog, vcash.roles
    shop = roles.stranger.address
    with reverts("MerchantNotApproved", merchant=shop):
        prog.spend(shop, USDC, sender=vcash.wallet(2))
    with reverts("MerchantNotApproved", merchant=ZERO_ADDRESS):
        prog.spend(ZERO_ADDRESS, USDC, sender=vcash.wallet(2))
    prog.approveMerchant(shop, SHOP_REF, sender=roles.merchant_manager)
    prog.spend(shop, USDC, sender=vcash.wallet(2))
    prog.revokeMerchant(shop, 1, sender=roles.merchant_manager)
    with reverts("MerchantNotApproved", merchant=shop):
        prog.spend(shop, USDC, sender=vcash.wallet(2))


def test_spend_rejections(vcash: Cash, credited: int) -> None:
    prog, roles = vcash.prog, vcash.roles
    merchant = roles.merchant.address
    with reverts("ZeroAmount"):
        prog.spend(merchant, 0, sender=vcash.wallet(3))
    with reverts("InsufficientEntitlement", index=3, available=AMOUNT, requested=AMOUNT + 1):
        prog.spend(merchant, AMOUNT + 1, sender=vcash.wallet(3))
    with reverts("NotBeneficiaryWallet", index=0, caller=roles.stranger):
        prog.spend(merchant, USDC, sender=roles.stranger)
    prog.suspend(vcash.id(3), 1, sender=roles.registrar)
    with reverts("InvalidBeneficiaryStatus", index=3, status=BStatus.Suspended):
        prog.spend(merchant, USDC, sender=vcash.wallet(3))
    prog.remove(vcash.id(3), 1, sender=roles.registrar)
    with reverts("NotBeneficiaryWallet", index=0, caller=vcash.wallet(3)):
        prog.spend(merchant, USDC, sender=vcash.wallet(3))
    # A removed beneficiary's unspent entitlement stays recorded (frozen): it cannot be spent nor swept.
    assert tuple(prog.beneficiary(3)) == (ZERO_ADDRESS, BStatus.Removed, AMOUNT)


def test_redeem_emits_settlement_data(vcash: Cash, credited: int) -> None:
    prog, merchant = vcash.prog, vcash.roles.merchant
    for index in (1, 2, 3):
        prog.spend(merchant.address, 10 * USDC, sender=vcash.wallet(index))
    result = prog.redeem(12 * USDC, SETTLEMENT, sender=merchant)
    assert_event(
        result,
        "VoucherRedeemed",
        merchant=merchant,
        settlementRef=SETTLEMENT,
        amount=12 * USDC,
        redeemedTotal=12 * USDC,
        balanceLeft=18 * USDC,
    )
    assert_event(result, "Transfer", **{"from": prog.address, "to": merchant.address, "value": 12 * USDC})
    assert balance(vcash, merchant) == 12 * USDC
    assert tuple(prog.merchantInfo(merchant.address)) == (True, 18 * USDC, 12 * USDC)
    assert prog.totalRedeemed() == 12 * USDC
    second = keccak(text="invoice 2026-002")
    result = prog.redeem(18 * USDC, second, sender=merchant)
    assert_event(
        result,
        "VoucherRedeemed",
        merchant=merchant,
        settlementRef=second,
        amount=18 * USDC,
        redeemedTotal=30 * USDC,
        balanceLeft=0,
    )
    voucher_invariant(vcash, [credited])


def test_revoked_merchant_still_redeems(vcash: Cash, credited: int) -> None:
    prog, roles = vcash.prog, vcash.roles
    prog.spend(roles.merchant.address, 5 * USDC, sender=vcash.wallet(4))
    prog.revokeMerchant(roles.merchant.address, 2, sender=roles.merchant_manager)
    result = prog.redeem(5 * USDC, SETTLEMENT, sender=roles.merchant)
    assert_event(result, "VoucherRedeemed", amount=5 * USDC, balanceLeft=0)


def test_redeem_rejections(vcash: Cash, credited: int) -> None:
    prog, roles = vcash.prog, vcash.roles
    prog.spend(roles.merchant.address, 5 * USDC, sender=vcash.wallet(5))
    with reverts("ZeroAmount"):
        prog.redeem(0, SETTLEMENT, sender=roles.merchant)
    with reverts("InsufficientMerchantBalance", merchant=roles.merchant, available=5 * USDC, requested=5 * USDC + 1):
        prog.redeem(5 * USDC + 1, SETTLEMENT, sender=roles.merchant)
    with reverts("InsufficientMerchantBalance", merchant=roles.stranger, available=0, requested=1):
        prog.redeem(1, SETTLEMENT, sender=roles.stranger)
    with reverts("InsufficientMerchantBalance", merchant=vcash.wallet(5), available=0, requested=1):
        prog.redeem(1, SETTLEMENT, sender=vcash.wallet(5))  # beneficiaries cannot cash out entitlements


def test_sweep_in_voucher_mode_leaves_entitlements(vcash: Cash, chain, credited: int) -> None:
    prog, roles = vcash.prog, vcash.roles
    prog.spend(roles.merchant.address, 5 * USDC, sender=vcash.wallet(6))
    chain.sleep(DAY)
    result = prog.sweep(credited, sender=roles.stranger)
    assert_event(result, "RoundSwept", roundId=credited, funder=roles.funder, amount=4 * AMOUNT)
    assert tuple(prog.beneficiary(1))[2] == AMOUNT  # credited entitlements survive the round's close
    prog.spend(roles.merchant.address, USDC, sender=vcash.wallet(1))
    prog.redeem(6 * USDC, SETTLEMENT, sender=roles.merchant)
    voucher_invariant(vcash, [credited])


@pytest.mark.parametrize("call", ["approveMerchant", "revokeMerchant", "spend", "redeem"])
def test_voucher_functions_need_voucher_mode(cash: Cash, call: str) -> None:
    prog, roles = cash.prog, cash.roles
    calls = {
        "approveMerchant": lambda: prog.approveMerchant(
            roles.merchant.address, SHOP_REF, sender=roles.merchant_manager
        ),
        "revokeMerchant": lambda: prog.revokeMerchant(roles.merchant.address, 1, sender=roles.merchant_manager),
        "spend": lambda: prog.spend(roles.merchant.address, USDC, sender=cash.wallet(1)),
        "redeem": lambda: prog.redeem(USDC, SETTLEMENT, sender=roles.merchant),
    }
    with reverts("VoucherModeDisabled"):
        calls[call]()
