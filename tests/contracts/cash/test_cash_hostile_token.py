"""CashProgramme against a hostile settlement token (contracts/cash/mocks/MisbehavingToken.sol, test only):
re-entry from inside a token transfer, transfers that return false, and the beneficiary counter's width.

Paths that move money and cache state or pull/push funds are `nonReentrant`; claims are not (deliberately, see
the CashProgramme header) because they write every marker before their single transfer: a claim re-entered from
inside its own transfer finds the pair already paid.
"""

from __future__ import annotations

import pytest
from cash_helpers import (
    AMOUNT,
    DAY,
    LONG,
    Cash,
    Kind,
    address_of,
    build_programme,
    open_round,
    person,
    propose,
    sign_claim,
)

from pilotkit.cash_claims import ClaimTree
from pilotkit.testing.assertions import reverts

TREE = ClaimTree({i: AMOUNT for i in range(1, 7)})


@pytest.fixture(scope="module")
def hostile(deploy, chain, accounts) -> Cash:
    return build_programme(deploy, chain, accounts, voucher=False, tag="hostile", token_contract="MisbehavingToken")


@pytest.fixture(scope="module")
def vhostile(deploy, chain, accounts) -> Cash:
    return build_programme(deploy, chain, accounts, voucher=True, tag="vhostile", token_contract="MisbehavingToken")


def closed_round(cash: Cash, chain) -> int:
    """An approved round that can be swept."""
    round_id = open_round(cash, chain, budget=2 * AMOUNT, lasts=DAY)
    chain.sleep(DAY)
    return round_id


def hook(cash: Cash, source: str, call: str, *args) -> None:
    """Arms the token: its next transfer out of `source` first calls the programme's `call(*args)`."""
    cash.token.setHook(source, cash.prog.address, cash.prog.encode(call, *args), sender=cash.roles.stranger)


def test_sweep_cannot_be_reentered(hostile: Cash, chain) -> None:
    first = open_round(hostile, chain, budget=2 * AMOUNT, lasts=DAY)
    second = closed_round(hostile, chain)
    hook(hostile, hostile.prog.address, "sweep", second)
    with reverts("ReentrancyGuardReentrantCall"):
        hostile.prog.sweep(first, sender=hostile.roles.stranger)


def test_push_batch_cannot_be_reentered(hostile: Cash, chain) -> None:
    closed = closed_round(hostile, chain)
    paying = open_round(hostile, chain, budget=10 * AMOUNT, lasts=LONG)
    hook(hostile, hostile.prog.address, "sweep", closed)
    with reverts("ReentrancyGuardReentrantCall"):
        hostile.prog.payFlat(paying, [1, 2], sender=hostile.roles.disburser)


def test_funding_cannot_be_reentered(hostile: Cash, chain) -> None:
    closed = closed_round(hostile, chain)
    round_id = propose(hostile, chain, budget=AMOUNT)
    hook(hostile, hostile.roles.funder.address, "sweep", closed)
    with reverts("ReentrancyGuardReentrantCall"):
        hostile.prog.approveRound(round_id, sender=hostile.roles.approver)


def test_redeem_cannot_be_reentered(vhostile: Cash, chain) -> None:
    prog, roles = vhostile.prog, vhostile.roles
    closed = closed_round(vhostile, chain)
    round_id = open_round(vhostile, chain, budget=10 * AMOUNT, lasts=LONG)
    prog.payFlat(round_id, [1], sender=roles.disburser)
    prog.spend(roles.merchant.address, AMOUNT, sender=vhostile.wallet(1))
    hook(vhostile, prog.address, "sweep", closed)
    with reverts("ReentrancyGuardReentrantCall"):
        prog.redeem(AMOUNT, b"\x01" * 32, sender=roles.merchant)


def test_a_claim_reentered_from_its_own_transfer_finds_the_pair_paid(hostile: Cash, chain) -> None:
    prog = hostile.prog
    round_id = open_round(hostile, chain, Kind.MerkleClaim, root=TREE.root, budget=10 * AMOUNT, lasts=LONG)
    deadline = chain.time() + DAY
    again = sign_claim(hostile, hostile.wallet(1), round_id, 1, AMOUNT, deadline)
    hook(hostile, prog.address, "claimFor", round_id, 1, AMOUNT, TREE.proof(1), deadline, again)
    with reverts("AlreadyPaid", roundId=round_id, index=1):
        prog.claim(round_id, 1, AMOUNT, TREE.proof(1), sender=hostile.wallet(1))
    # Re-entry for another beneficiary is harmless: both are paid, once each.
    other = sign_claim(hostile, hostile.wallet(2), round_id, 2, AMOUNT, deadline)
    hook(hostile, prog.address, "claimFor", round_id, 2, AMOUNT, TREE.proof(2), deadline, other)
    prog.claim(round_id, 1, AMOUNT, TREE.proof(1), sender=hostile.wallet(1))
    assert prog.isPaid(round_id, 1) and prog.isPaid(round_id, 2)
    assert hostile.token.balanceOf(hostile.wallet(1).address) == hostile.token.balanceOf(hostile.wallet(2).address)
    assert int(prog.round(round_id)[7]) == 2 * AMOUNT


def test_transfers_returning_false_are_failures(hostile: Cash, chain) -> None:
    prog, token = hostile.prog, hostile.token
    flat = open_round(hostile, chain, budget=10 * AMOUNT, lasts=LONG)
    pending = propose(hostile, chain, budget=AMOUNT)
    token.setReturnFalse(True, sender=hostile.roles.stranger)
    with reverts("SafeERC20FailedOperation", token=token.address):
        prog.approveRound(pending, sender=hostile.roles.approver)
    with reverts("SafeERC20FailedOperation", token=token.address):
        prog.payFlat(flat, [1], sender=hostile.roles.disburser)
    token.setReturnFalse(False, sender=hostile.roles.stranger)
    prog.payFlat(flat, [1], sender=hostile.roles.disburser)


def test_beneficiary_counter_overflow_is_a_named_error(cash: Cash, chain) -> None:
    """32-bit indexes: 4,294,967,295 enrolments at most (reached here by writing the counter directly)."""
    prog = cash.prog
    slot, word = 7, int(prog.web3.eth.get_storage_at(prog.address, 7).hex() or "0", 16)
    assert word & 0xFFFFFFFF == prog.beneficiaryCount()  # `_beneficiaryCount`: slot 7, lowest 4 bytes
    word = (word & ~0xFFFFFFFF) | 0xFFFFFFFF
    method = "anvil_setStorageAt" if chain.kind == "anvil" else "evm_setAccountStorageAt"
    key = "0x" + slot.to_bytes(32, "big").hex()  # Ganache wants a 32-byte key
    chain.call(method, [prog.address, key, "0x" + word.to_bytes(32, "big").hex()])
    assert prog.beneficiaryCount() == 2**32 - 1
    with reverts("SafeCastOverflowedUintDowncast", bits=32, value=2**32):
        prog.enrol(person("one too many"), address_of("one too many"), sender=cash.roles.registrar)
    with reverts("SafeCastOverflowedUintDowncast", bits=32, value=2**32):
        prog.enrolBatch([person("x")], [address_of("x")], sender=cash.roles.registrar)
