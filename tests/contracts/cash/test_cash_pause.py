"""Pause stops every movement of money: pay (flat and list), claim, claimFor, spend, spendFor, redeem, sweep and
approve (funding) revert with EnforcedPause; registry and round administration keep working; unpausing resumes.

Claims read a copy of the flag kept in each live claim round (see the CashProgramme header), so the claim tests
also check that the copy follows pause/unpause for every live round, and that rounds approved later start clear.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from cash_helpers import (
    AMOUNT,
    DAY,
    LONG,
    USDC,
    Cash,
    Kind,
    address_of,
    open_round,
    person,
    propose,
    sign_claim,
    sign_spend,
)
from eth_utils import keccak

from pilotkit.cash_claims import BatchTree, ClaimTree
from pilotkit.testing.assertions import reverts

TREE = ClaimTree({i: AMOUNT for i in range(1, 7)}, cap_size=2)
LIST = BatchTree([([1, 2], [AMOUNT, AMOUNT])])
REF = keccak(text="settlement")


def money_moves(cash: Cash, chain) -> dict[str, Callable[[], Any]]:
    """One valid call per money-moving function (valid once unpaused), on the programme of `cash`."""
    prog, roles = cash.prog, cash.roles
    flat = open_round(cash, chain, budget=10 * AMOUNT, lasts=LONG)
    listed = open_round(cash, chain, Kind.ListPush, root=LIST.root, budget=10 * AMOUNT, lasts=LONG)
    claims = open_round(cash, chain, Kind.MerkleClaim, root=TREE.root, budget=10 * AMOUNT, lasts=LONG)
    closed = open_round(cash, chain, budget=10 * AMOUNT, lasts=DAY)
    proposed = propose(cash, chain, budget=10 * AMOUNT, lasts=LONG)
    deadline = chain.time() + 30 * DAY
    calls: dict[str, Callable[[], Any]] = {
        "payFlat": lambda: prog.payFlat(flat, [1], sender=roles.disburser),
        "payList": lambda: prog.payList(listed, [1, 2], [AMOUNT, AMOUNT], LIST.proof(0), sender=roles.disburser),
        "claim": lambda: prog.claim(claims, 3, AMOUNT, TREE.proof(3), sender=cash.wallet(3)),
        "claimFor": lambda: prog.claimFor(
            claims,
            4,
            AMOUNT,
            TREE.proof(4),
            deadline,
            sign_claim(cash, cash.wallet(4), claims, 4, AMOUNT, deadline),
            sender=roles.relayer,
        ),
        "sweep": lambda: prog.sweep(closed, sender=roles.stranger),
        "approveRound": lambda: prog.approveRound(proposed, sender=roles.approver),
    }
    if cash.voucher:
        prog.payFlat(flat, [5, 6], sender=roles.disburser)
        prog.spend(roles.merchant.address, USDC, sender=cash.wallet(6))
        merchant = roles.merchant.address
        calls |= {
            "spend": lambda: prog.spend(merchant, USDC, sender=cash.wallet(5)),
            "spendFor": lambda: prog.spendFor(
                5,
                merchant,
                USDC,
                deadline,
                sign_spend(cash, cash.wallet(5), 5, merchant, USDC, 0, deadline),
                sender=roles.merchant,
            ),
            "redeem": lambda: prog.redeem(USDC, REF, sender=roles.merchant),
        }
    chain.sleep(DAY)  # `closed` can now be swept
    return calls


@pytest.mark.parametrize("mode", ["direct", "voucher"])
def test_pause_stops_every_movement_of_money(cash: Cash, vcash: Cash, chain, mode: str) -> None:
    programme = vcash if mode == "voucher" else cash
    prog, roles = programme.prog, programme.roles
    calls = money_moves(programme, chain)
    assert set(calls) >= {"payFlat", "payList", "claim", "claimFor", "sweep", "approveRound"}
    token_before = programme.token.balanceOf(prog.address)
    prog.pause(sender=roles.pauser)
    for name, call in calls.items():
        with reverts("EnforcedPause"):
            call()
        assert programme.token.balanceOf(prog.address) == token_before, name
    prog.unpause(sender=roles.admin)
    for call in calls.values():
        call()


def test_registry_and_round_administration_work_while_paused(cash: Cash, chain) -> None:
    prog, roles = cash.prog, cash.roles
    prog.pause(sender=roles.pauser)
    prog.enrol(person("paused"), address_of("paused"), sender=roles.registrar)
    prog.suspend(cash.id(1), 1, sender=roles.registrar)
    prog.reinstate(cash.id(1), sender=roles.registrar)
    prog.requestWalletRecovery(cash.id(2), address_of("paused-recovery"), sender=roles.registrar)
    prog.cancelWalletRecovery(cash.id(2), sender=roles.registrar)
    prog.remove(cash.id(3), 1, sender=roles.registrar)
    round_id = propose(cash, chain, Kind.MerkleClaim, root=TREE.root)
    prog.setClaimCap(round_id, 2, 0, TREE.cap_nodes, sender=roles.disburser)
    prog.cancelRound(round_id, sender=roles.approver)
    prog.setPeriodCap(AMOUNT, sender=roles.admin)


def test_pause_copy_follows_every_live_claim_round(cash: Cash, chain) -> None:
    prog, roles = cash.prog, cash.roles
    rounds = [
        open_round(cash, chain, Kind.MerkleClaim, root=TREE.root, budget=10 * AMOUNT, lasts=LONG) for _ in range(3)
    ]
    assert prog.liveClaimRounds() == rounds
    prog.pause(sender=roles.pauser)
    for round_id in rounds:
        with reverts("EnforcedPause"):
            prog.claim(round_id, 1, AMOUNT, TREE.proof(1), sender=cash.wallet(1))
    prog.unpause(sender=roles.admin)
    for round_id in rounds:
        prog.claim(round_id, 1, AMOUNT, TREE.proof(1), sender=cash.wallet(1))
    # Pause again, unpause, then approve another: its copy starts clear and follows the next pause.
    prog.pause(sender=roles.pauser)
    prog.unpause(sender=roles.admin)
    later = open_round(cash, chain, Kind.MerkleClaim, root=TREE.root, budget=10 * AMOUNT, lasts=LONG)
    prog.claim(later, 2, AMOUNT, TREE.proof(2), sender=cash.wallet(2))
    prog.pause(sender=roles.pauser)
    with reverts("EnforcedPause"):
        prog.claim(later, 3, AMOUNT, TREE.proof(3), sender=cash.wallet(3))
    with reverts("EnforcedPause"):
        prog.claimFor(
            later,
            3,
            AMOUNT,
            TREE.proof(3),
            chain.time() + DAY,
            sign_claim(cash, cash.wallet(3), later, 3, AMOUNT, chain.time() + DAY),
            sender=roles.relayer,
        )


def test_a_swept_round_leaves_the_live_set(cash: Cash, chain) -> None:
    prog, roles = cash.prog, cash.roles
    short = open_round(cash, chain, Kind.MerkleClaim, root=TREE.root, budget=10 * AMOUNT, lasts=DAY)
    long = open_round(cash, chain, Kind.MerkleClaim, root=TREE.root, budget=10 * AMOUNT, lasts=LONG)
    chain.sleep(DAY)
    prog.sweep(short, sender=roles.stranger)
    assert prog.liveClaimRounds() == [long]
    prog.pause(sender=roles.pauser)
    with reverts("EnforcedPause"):
        prog.claim(long, 1, AMOUNT, TREE.proof(1), sender=cash.wallet(1))
    with reverts("EnforcedPause"):  # a closed round reports the pause first, like any other failure
        prog.claim(short, 1, AMOUNT, TREE.proof(1), sender=cash.wallet(1))
    prog.unpause(sender=roles.admin)
    with reverts("InvalidRoundStatus", roundId=short, status=4):
        prog.claim(short, 1, AMOUNT, TREE.proof(1), sender=cash.wallet(1))
    prog.claim(long, 1, AMOUNT, TREE.proof(1), sender=cash.wallet(1))
