"""Signed operations: relayed claims (claimFor) and till-submitted voucher spending (spendFor).

Each signature is accepted once; replays on another chain id, another contract, after the deadline (chain time),
by a wrong signer and with a malleated (high-s) signature are rejected with the named error.
"""

from __future__ import annotations

import pytest
from cash_helpers import (
    AMOUNT,
    DAY,
    LONG,
    USDC,
    BStatus,
    Cash,
    Kind,
    balance,
    build_programme,
    malleate,
    open_round,
    person,
    propose,
    sign_claim,
    sign_spend,
    transact_at,
)

from pilotkit.cash_claims import ClaimTree, claim_typed_data, spend_typed_data, typed_data_digest
from pilotkit.testing.assertions import assert_event, reverts

AMOUNTS = {1: AMOUNT, 2: 10 * USDC, 3: 3 * USDC, 4: AMOUNT, 5: USDC, 6: 7 * USDC}
OTHER_CHAIN_ID = 1


def claim_round(cash: Cash, chain, tree: ClaimTree) -> int:
    round_id = propose(cash, chain, Kind.MerkleClaim, root=tree.root, budget=100 * AMOUNT, lasts=LONG)
    for offset, nodes in tree.cap_chunks():
        cash.prog.setClaimCap(round_id, tree.cap_size, offset, nodes, sender=cash.roles.disburser)
    cash.prog.approveRound(round_id, sender=cash.roles.approver)
    return round_id


@pytest.fixture
def claims(cash: Cash, chain) -> tuple[ClaimTree, int, int]:
    """(tree, round id, deadline one day ahead) of an approved claim round."""
    tree = ClaimTree(AMOUNTS, cap_size=2)
    return tree, claim_round(cash, chain, tree), chain.time() + DAY


# ----------------------------------------------------------------------------------------------------------------
# claimFor
# ----------------------------------------------------------------------------------------------------------------


def test_claim_digest_matches_the_typed_data(cash: Cash) -> None:
    data = claim_typed_data(cash.chain_id, cash.prog.address, 3, 4, 5, 6)
    assert cash.prog.claimDigest(3, 4, 5, 6) == typed_data_digest(data)


def test_claim_for_is_accepted_once(cash: Cash, claims) -> None:
    tree, round_id, deadline = claims
    prog, relayer, wallet = cash.prog, cash.roles.relayer, cash.wallet(2)
    signature = sign_claim(cash, wallet, round_id, 2, 10 * USDC, deadline)
    relayer_before = balance(cash, relayer)
    result = prog.claimFor(round_id, 2, 10 * USDC, tree.cap_proof(2), deadline, signature, sender=relayer)
    assert_event(result, "Paid", roundId=round_id, index=2, amount=10 * USDC)
    assert_event(result, "Transfer", **{"from": prog.address, "to": wallet.address, "value": 10 * USDC})
    assert balance(cash, wallet) == 10 * USDC  # funds go to the bound wallet, never to the relayer
    assert balance(cash, relayer) == relayer_before
    with reverts("AlreadyPaid", roundId=round_id, index=2):  # replay by the relayer
        prog.claimFor(round_id, 2, 10 * USDC, tree.cap_proof(2), deadline, signature, sender=relayer)
    with reverts("AlreadyPaid", roundId=round_id, index=2):  # replay by anyone else
        prog.claimFor(round_id, 2, 10 * USDC, tree.proof(2), deadline, signature, sender=cash.roles.stranger)
    with reverts("AlreadyPaid", roundId=round_id, index=2):  # and the wallet's own claim after it
        prog.claim(round_id, 2, 10 * USDC, tree.proof(2), sender=wallet)


def test_claim_for_after_own_claim_is_already_paid(cash: Cash, claims) -> None:
    tree, round_id, deadline = claims
    signature = sign_claim(cash, cash.wallet(3), round_id, 3, 3 * USDC, deadline)
    cash.prog.claim(round_id, 3, 3 * USDC, tree.proof(3), sender=cash.wallet(3))
    with reverts("AlreadyPaid", roundId=round_id, index=3):
        cash.prog.claimFor(round_id, 3, 3 * USDC, tree.proof(3), deadline, signature, sender=cash.roles.relayer)


def test_claim_for_rejects_another_chain_id(cash: Cash, claims) -> None:
    tree, round_id, deadline = claims
    signature = sign_claim(cash, cash.wallet(1), round_id, 1, AMOUNT, deadline, chain_id=OTHER_CHAIN_ID)
    with reverts("InvalidSignature"):
        cash.prog.claimFor(round_id, 1, AMOUNT, tree.proof(1), deadline, signature, sender=cash.roles.relayer)


def test_claim_for_rejects_a_signature_for_another_programme(deploy, cash: Cash, chain, accounts, claims) -> None:
    """A twin programme (same wallets, indexes, tree and round id) never accepts this programme's signature."""
    tree, round_id, deadline = claims
    twin = build_programme(deploy, chain, accounts, voucher=False, tag="direct")
    for _ in range(round_id - 1):
        propose(twin, chain)
    assert claim_round(twin, chain, tree) == round_id
    signature = sign_claim(cash, cash.wallet(1), round_id, 1, AMOUNT, deadline)
    with reverts("InvalidSignature"):
        twin.prog.claimFor(round_id, 1, AMOUNT, tree.proof(1), deadline, signature, sender=cash.roles.relayer)
    twin_signature = sign_claim(twin, twin.wallet(1), round_id, 1, AMOUNT, deadline)
    with reverts("InvalidSignature"):
        cash.prog.claimFor(round_id, 1, AMOUNT, tree.proof(1), deadline, twin_signature, sender=cash.roles.relayer)
    twin.prog.claimFor(round_id, 1, AMOUNT, tree.proof(1), deadline, twin_signature, sender=cash.roles.relayer)
    cash.prog.claimFor(round_id, 1, AMOUNT, tree.proof(1), deadline, signature, sender=cash.roles.relayer)


def test_claim_for_deadline_is_chain_time(cash: Cash, chain, claims) -> None:
    tree, round_id, _ = claims
    prog, relayer = cash.prog, cash.roles.relayer
    deadline = chain.time() + 600
    late = sign_claim(cash, cash.wallet(1), round_id, 1, AMOUNT, deadline)
    with reverts("DeadlineExpired", deadline=deadline):
        transact_at(
            chain, deadline + 1, prog, "claimFor", round_id, 1, AMOUNT, tree.proof(1), deadline, late, sender=relayer
        )
    just_in_time = sign_claim(cash, cash.wallet(2), round_id, 2, 10 * USDC, deadline + 10)
    transact_at(
        chain,
        deadline + 10,
        prog,
        "claimFor",
        round_id,
        2,
        10 * USDC,
        tree.proof(2),
        deadline + 10,
        just_in_time,
        sender=relayer,
    )
    past = chain.time() - 1
    with reverts("DeadlineExpired", deadline=past):
        prog.claimFor(
            round_id,
            3,
            3 * USDC,
            tree.proof(3),
            past,
            sign_claim(cash, cash.wallet(3), round_id, 3, 3 * USDC, past),
            sender=relayer,
        )


def test_claim_for_rejects_wrong_signers_and_altered_messages(cash: Cash, claims) -> None:
    tree, round_id, deadline = claims
    prog, relayer = cash.prog, cash.roles.relayer
    proof = tree.proof(1)
    for signature in (
        sign_claim(cash, cash.wallet(2), round_id, 1, AMOUNT, deadline),  # another beneficiary's wallet
        sign_claim(cash, relayer, round_id, 1, AMOUNT, deadline),  # the relayer itself
        sign_claim(cash, cash.wallet(1), round_id + 1, 1, AMOUNT, deadline),  # another round
        sign_claim(cash, cash.wallet(1), round_id, 1, AMOUNT, deadline + 1),  # another deadline
        sign_claim(cash, cash.wallet(1), round_id, 2, AMOUNT, deadline),  # another index
        sign_claim(cash, cash.wallet(1), round_id, 1, AMOUNT - 1, deadline),  # another amount
        b"",
        b"\x01" * 64,
        b"\x00" * 65,
    ):
        with reverts("InvalidSignature"):
            prog.claimFor(round_id, 1, AMOUNT, proof, deadline, signature, sender=relayer)
    assert not prog.isPaid(round_id, 1)


def test_claim_for_rejects_a_malleated_signature(cash: Cash, claims) -> None:
    tree, round_id, deadline = claims
    signature = sign_claim(cash, cash.wallet(4), round_id, 4, AMOUNT, deadline)
    assert int.from_bytes(signature[32:64], "big") < 2**255  # libraries sign with low s
    with reverts("InvalidSignature"):
        cash.prog.claimFor(round_id, 4, AMOUNT, tree.proof(4), deadline, malleate(signature), sender=cash.roles.relayer)
    cash.prog.claimFor(round_id, 4, AMOUNT, tree.proof(4), deadline, signature, sender=cash.roles.relayer)


def test_claim_for_needs_an_active_bound_wallet(cash: Cash, chain, claims) -> None:
    tree, round_id, deadline = claims
    prog, registrar, relayer = cash.prog, cash.roles.registrar, cash.roles.relayer
    signature = sign_claim(cash, cash.wallet(5), round_id, 5, USDC, deadline)
    prog.suspend(cash.id(5), 1, sender=registrar)
    with reverts("InvalidBeneficiaryStatus", index=5, status=BStatus.Suspended):
        prog.claimFor(round_id, 5, USDC, tree.proof(5), deadline, signature, sender=relayer)
    prog.remove(cash.id(5), 1, sender=registrar)
    with reverts("InvalidSignature"):  # removed: no wallet can sign for it any more
        prog.claimFor(round_id, 5, USDC, tree.proof(5), deadline, signature, sender=relayer)
    with reverts("InvalidSignature"):  # never enrolled
        prog.claimFor(round_id, 99, USDC, [], deadline, signature, sender=relayer)


def test_claim_for_after_recovery_needs_the_new_wallet(cash: Cash, chain, claims) -> None:
    tree, round_id, deadline = claims
    prog, registrar, relayer = cash.prog, cash.roles.registrar, cash.roles.relayer
    old_signature = sign_claim(cash, cash.wallet(6), round_id, 6, 7 * USDC, deadline + 30 * DAY)
    new_wallet = cash.roles.stranger
    prog.requestWalletRecovery(cash.id(6), new_wallet.address, sender=registrar)
    prog.confirmWalletRecovery(cash.id(6), sender=cash.roles.approver)
    chain.sleep(prog.recoveryDelay())
    prog.executeWalletRecovery(cash.id(6), sender=registrar)
    with reverts("InvalidSignature"):
        prog.claimFor(round_id, 6, 7 * USDC, tree.proof(6), deadline + 30 * DAY, old_signature, sender=relayer)
    new_deadline = chain.time() + DAY
    new_signature = sign_claim(cash, new_wallet, round_id, 6, 7 * USDC, new_deadline)
    before = balance(cash, new_wallet)
    prog.claimFor(round_id, 6, 7 * USDC, tree.proof(6), new_deadline, new_signature, sender=relayer)
    assert balance(cash, new_wallet) == before + 7 * USDC


def test_claim_for_with_a_contract_wallet(deploy, cash: Cash, chain) -> None:
    """ERC-1271: a smart-contract wallet's owner key signs the digest; the wallet contract is paid."""
    prog, owner = cash.prog, cash.wallet(1)
    wallet = deploy("ERC1271Wallet", owner.address, sender=cash.roles.admin)
    index = prog.enrol.call(person("contract-wallet"), wallet.address, sender=cash.roles.registrar)
    prog.enrol(person("contract-wallet"), wallet.address, sender=cash.roles.registrar)
    tree = ClaimTree({**AMOUNTS, index: 2 * USDC})
    round_id = claim_round(cash, chain, tree)
    deadline = chain.time() + DAY
    digest = prog.claimDigest(round_id, index, 2 * USDC, deadline)
    wrong = bytes(cash.wallet(2).sign_message_hash(digest).signature)
    with reverts("InvalidSignature"):
        prog.claimFor(round_id, index, 2 * USDC, tree.proof(index), deadline, wrong, sender=cash.roles.relayer)
    signature = bytes(owner.sign_message_hash(digest).signature)
    prog.claimFor(round_id, index, 2 * USDC, tree.proof(index), deadline, signature, sender=cash.roles.relayer)
    assert balance(cash, wallet.address) == 2 * USDC


# ----------------------------------------------------------------------------------------------------------------
# spendFor
# ----------------------------------------------------------------------------------------------------------------


@pytest.fixture
def credited(vcash: Cash, chain) -> int:
    """Every beneficiary of the voucher programme holds AMOUNT of entitlement; returns a deadline a day ahead."""
    round_id = open_round(vcash, chain, budget=10 * AMOUNT)
    vcash.prog.payFlat(round_id, [1, 2, 3, 4, 5, 6], sender=vcash.roles.disburser)
    return chain.time() + DAY


def test_spend_digest_matches_the_typed_data(vcash: Cash) -> None:
    merchant = vcash.roles.merchant.address
    data = spend_typed_data(vcash.chain_id, vcash.prog.address, 1, merchant, 2, 3, 4)
    assert vcash.prog.spendDigest(1, merchant, 2, 3, 4) == typed_data_digest(data)


def test_spend_for_is_accepted_once(vcash: Cash, credited: int) -> None:
    prog, merchant, wallet = vcash.prog, vcash.roles.merchant, vcash.wallet(1)
    deadline = credited
    assert prog.nonces(wallet.address) == 0
    signature = sign_spend(vcash, wallet, 1, merchant.address, 5 * USDC, 0, deadline)
    result = prog.spendFor(1, merchant.address, 5 * USDC, deadline, signature, sender=merchant)
    assert_event(result, "VoucherSpent", index=1, merchant=merchant, amount=5 * USDC)
    assert prog.nonces(wallet.address) == 1
    assert tuple(prog.beneficiary(1))[2] == AMOUNT - 5 * USDC
    assert tuple(prog.merchantInfo(merchant.address)) == (True, 5 * USDC, 0)
    with reverts("InvalidSignature"):  # the nonce is used up
        prog.spendFor(1, merchant.address, 5 * USDC, deadline, signature, sender=merchant)
    with reverts("InvalidSignature"):
        prog.spendFor(1, merchant.address, 5 * USDC, deadline, signature, sender=vcash.roles.relayer)
    second = sign_spend(vcash, wallet, 1, merchant.address, 5 * USDC, 1, deadline)
    prog.spendFor(1, merchant.address, 5 * USDC, deadline, second, sender=merchant)
    assert tuple(prog.merchantInfo(merchant.address))[1] == 10 * USDC


def test_spend_for_rejects_another_chain_or_contract(vcash: Cash, credited: int) -> None:
    prog, merchant = vcash.prog, vcash.roles.merchant
    for signature in (
        sign_spend(vcash, vcash.wallet(2), 2, merchant.address, USDC, 0, credited, chain_id=OTHER_CHAIN_ID),
        sign_spend(vcash, vcash.wallet(2), 2, merchant.address, USDC, 0, credited, contract=vcash.token.address),
    ):
        with reverts("InvalidSignature"):
            prog.spendFor(2, merchant.address, USDC, credited, signature, sender=merchant)
    assert prog.nonces(vcash.wallet(2).address) == 0


def test_spend_for_signature_is_bound_to_its_programme(deploy, vcash: Cash, chain, accounts, credited) -> None:
    twin = build_programme(deploy, chain, accounts, voucher=True, tag="voucher")
    round_id = open_round(twin, chain, budget=10 * AMOUNT)
    twin.prog.payFlat(round_id, [2], sender=twin.roles.disburser)
    merchant = vcash.roles.merchant.address
    signature = sign_spend(vcash, vcash.wallet(2), 2, merchant, USDC, 0, credited)
    with reverts("InvalidSignature"):
        twin.prog.spendFor(2, merchant, USDC, credited, signature, sender=vcash.roles.merchant)
    vcash.prog.spendFor(2, merchant, USDC, credited, signature, sender=vcash.roles.merchant)


def test_spend_for_deadline_is_chain_time(vcash: Cash, chain, credited: int) -> None:
    prog, merchant = vcash.prog, vcash.roles.merchant
    deadline = chain.time() + 600
    signature = sign_spend(vcash, vcash.wallet(3), 3, merchant.address, USDC, 0, deadline)
    with reverts("DeadlineExpired", deadline=deadline):
        transact_at(
            chain, deadline + 1, prog, "spendFor", 3, merchant.address, USDC, deadline, signature, sender=merchant
        )
    fresh = sign_spend(vcash, vcash.wallet(3), 3, merchant.address, USDC, 0, deadline + 5)
    transact_at(chain, deadline + 5, prog, "spendFor", 3, merchant.address, USDC, deadline + 5, fresh, sender=merchant)


def test_spend_for_rejects_wrong_signers_nonces_and_malleation(vcash: Cash, credited: int) -> None:
    prog, merchant = vcash.prog, vcash.roles.merchant
    deadline = credited
    good = sign_spend(vcash, vcash.wallet(4), 4, merchant.address, USDC, 0, deadline)
    for signature in (
        sign_spend(vcash, vcash.wallet(5), 4, merchant.address, USDC, 0, deadline),  # another wallet
        sign_spend(vcash, merchant, 4, merchant.address, USDC, 0, deadline),  # the merchant itself
        sign_spend(vcash, vcash.wallet(4), 4, merchant.address, USDC, 1, deadline),  # a future nonce
        sign_spend(vcash, vcash.wallet(4), 4, vcash.roles.stranger.address, USDC, 0, deadline),  # another merchant
        sign_spend(vcash, vcash.wallet(4), 4, merchant.address, USDC - 1, 0, deadline),  # another amount
        malleate(good),
    ):
        with reverts("InvalidSignature"):
            prog.spendFor(4, merchant.address, USDC, deadline, signature, sender=merchant)
    prog.spendFor(4, merchant.address, USDC, deadline, good, sender=merchant)


def test_spend_for_checks_beneficiary_merchant_and_amount(vcash: Cash, credited: int) -> None:
    prog, roles = vcash.prog, vcash.roles
    merchant, stranger = roles.merchant.address, roles.stranger.address
    deadline = credited
    wallet = vcash.wallet(6)
    with reverts("MerchantNotApproved", merchant=stranger):
        prog.spendFor(
            6, stranger, USDC, deadline, sign_spend(vcash, wallet, 6, stranger, USDC, 0, deadline), sender=roles.relayer
        )
    with reverts("ZeroAmount"):
        prog.spendFor(
            6, merchant, 0, deadline, sign_spend(vcash, wallet, 6, merchant, 0, 0, deadline), sender=roles.relayer
        )
    with reverts("InsufficientEntitlement", index=6, available=AMOUNT, requested=AMOUNT + 1):
        prog.spendFor(
            6,
            merchant,
            AMOUNT + 1,
            deadline,
            sign_spend(vcash, wallet, 6, merchant, AMOUNT + 1, 0, deadline),
            sender=roles.relayer,
        )
    prog.suspend(vcash.id(6), 1, sender=roles.registrar)
    with reverts("InvalidBeneficiaryStatus", index=6, status=BStatus.Suspended):
        prog.spendFor(
            6, merchant, USDC, deadline, sign_spend(vcash, wallet, 6, merchant, USDC, 0, deadline), sender=roles.relayer
        )
    assert prog.nonces(wallet.address) == 0  # failed attempts use no nonce


def test_spend_for_with_a_contract_wallet(deploy, vcash: Cash, chain) -> None:
    prog, owner, merchant = vcash.prog, vcash.wallet(1), vcash.roles.merchant.address
    wallet = deploy("ERC1271Wallet", owner.address, sender=vcash.roles.admin)
    index = prog.enrol.call(person("contract-wallet"), wallet.address, sender=vcash.roles.registrar)
    prog.enrol(person("contract-wallet"), wallet.address, sender=vcash.roles.registrar)
    round_id = open_round(vcash, chain, budget=10 * AMOUNT)
    prog.payFlat(round_id, [index], sender=vcash.roles.disburser)
    deadline = chain.time() + DAY
    digest = prog.spendDigest(index, merchant, USDC, 0, deadline)
    prog.spendFor(
        index, merchant, USDC, deadline, bytes(owner.sign_message_hash(digest).signature), sender=vcash.roles.merchant
    )
    assert prog.nonces(wallet.address) == 1


def test_spend_for_needs_voucher_mode(cash: Cash, chain) -> None:
    deadline = chain.time() + DAY
    signature = sign_spend(cash, cash.wallet(1), 1, cash.roles.merchant.address, USDC, 0, deadline)
    with reverts("VoucherModeDisabled"):
        cash.prog.spendFor(1, cash.roles.merchant.address, USDC, deadline, signature, sender=cash.roles.merchant)
