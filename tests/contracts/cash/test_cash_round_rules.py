"""CashProgramme rounds: propose (window in one cap period, no backdating), approve (maker-checker, period cap,
funding), cancel, sweep."""

from __future__ import annotations

from typing import Any

import pytest
from cash_helpers import (
    AMOUNT,
    APPROVER_ROLE,
    DAY,
    DISBURSER_ROLE,
    LONG,
    MAX_LIVE_CLAIM_ROUNDS,
    PERIOD,
    PERIOD_CAP,
    RECOVERY_DELAY,
    USDC,
    ZERO32,
    ZERO_ADDRESS,
    Cash,
    Kind,
    RoundStatus,
    balance,
    open_round,
    period_of,
    propose,
    round_info,
    round_params,
    transact_at,
)
from eth_utils import keccak

from pilotkit.testing.assertions import assert_event, assert_no_event, reverts

ROOT = keccak(text="some merkle root")


# ----------------------------------------------------------------------------------------------------------------
# Propose
# ----------------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", list(Kind))
def test_propose_records_the_round(cash: Cash, chain, kind: Kind) -> None:
    prog, disburser = cash.prog, cash.roles.disburser
    now = chain.time()
    root = ZERO32 if kind == Kind.FlatPush else ROOT
    params = round_params(
        kind, 1_000 * USDC, AMOUNT, now + DAY, now + 8 * DAY, root, cash.roles.funder.address, keccak(text="plan v1")
    )
    assert prog.proposeRound.call(params, sender=disburser) == 1
    result = prog.proposeRound(params, sender=disburser)
    period = (now + DAY) // PERIOD
    assert_event(result, "RoundProposed", roundId=1, proposer=disburser, params=list(params), period=period)
    assert prog.roundCount() == 1
    assert round_info(prog, 1) == {
        "kind": kind,
        "status": RoundStatus.Proposed,
        "proposer": disburser.address,
        "funder": cash.roles.funder.address,
        "budget": 1_000 * USDC,
        "amount": AMOUNT,
        "remaining": 0,
        "paid": 0,
        "swept": 0,
        "opensAt": now + DAY,
        "closesAt": now + 8 * DAY,
        "period": period,
        "root": root,
        "capSize": 1,
    }
    assert prog.claimNode(1, 0) == (root if kind == Kind.MerkleClaim else ZERO32)
    assert prog.claimNode(1, 1) == ZERO32
    assert prog.periodReserved(period) == 0
    assert prog.liveClaimRounds() == []


def _invalid_params(cash: Cash, now: int) -> dict[str, tuple[Any, ...]]:
    funder = cash.roles.funder.address
    ok = {
        "kind": Kind.FlatPush,
        "budget": 100 * USDC,
        "amount": AMOUNT,
        "opens_at": now,
        "closes_at": now + DAY,
        "root": ZERO32,
        "funder": funder,
    }

    def make(**changes: Any) -> tuple[Any, ...]:
        return round_params(**{**ok, **changes})

    return {
        "zero budget": make(budget=0),
        "zero amount": make(amount=0),
        "amount above budget": make(budget=AMOUNT - 1),
        "amount above period cap": make(amount=PERIOD_CAP + 1, budget=2 * PERIOD_CAP),
        "empty window": make(opens_at=now + DAY),
        "inverted window": make(opens_at=now + 2 * DAY),
        "already closed": make(opens_at=now - 2 * DAY, closes_at=now - DAY),
        "zero funder": make(funder=ZERO_ADDRESS),
        "flat round with a root": make(root=ROOT),
        "list round without a root": make(kind=Kind.ListPush),
        "claim round without a root": make(kind=Kind.MerkleClaim),
    }


def test_propose_rejects_malformed_params(cash: Cash, chain) -> None:
    now = chain.time() + 1
    for label, params in _invalid_params(cash, now).items():
        with reverts("InvalidRoundParams"):
            cash.prog.proposeRound(params, sender=cash.roles.disburser)
        assert cash.prog.roundCount() == 0, label


def test_propose_accepts_boundaries(cash: Cash, chain) -> None:
    """amount == budget == periodCap; a window already open; the kinds with their roots."""
    now = chain.time()
    funder = cash.roles.funder.address
    cash.prog.proposeRound(
        round_params(Kind.FlatPush, PERIOD_CAP, PERIOD_CAP, now - DAY, now + 2, ZERO32, funder),
        sender=cash.roles.disburser,
    )
    cash.prog.proposeRound(
        round_params(Kind.ListPush, AMOUNT, AMOUNT, now, now + 2, ROOT, funder), sender=cash.roles.disburser
    )
    assert cash.prog.roundCount() == 2


# ----------------------------------------------------------------------------------------------------------------
# Period rules: a round's window [opensAt, closesAt) lies in one cap period, not earlier than the current one
# ----------------------------------------------------------------------------------------------------------------


def _flat(cash: Cash, opens: int, closes: int, amount: int = AMOUNT) -> tuple[Any, ...]:
    return round_params(Kind.FlatPush, 10 * amount, amount, opens, closes, ZERO32, cash.roles.funder.address)


def test_backdated_round_is_refused(cash: Cash, chain) -> None:
    """The bypass: with this period's cap used up, a round opening in an earlier period but still open now would
    count against that old, empty period and pay now. Refused, whatever the old period."""
    prog, roles = cash.prog, cash.roles
    prog.setPeriodCap(60 * USDC, sender=roles.admin)
    now = chain.time()
    period = period_of(now)
    start = period * PERIOD
    open_round(cash, chain, amount=60 * USDC, budget=600 * USDC)  # this period is full
    for opens in (start - 1, start - DAY, start - PERIOD, start - 5 * PERIOD):
        with reverts("RoundPeriodPassed", period=period_of(opens), currentPeriod=period):
            prog.proposeRound(_flat(cash, opens, now + DAY, 60 * USDC), sender=roles.disburser)
    assert prog.roundCount() == 1
    assert prog.periodReserved(period - 1) == 0
    assert prog.periodReserved(period) == 60 * USDC


def test_backdating_by_one_second_at_the_boundary(cash: Cash, chain) -> None:
    """The current period is block.timestamp's: from the first second of a period on, the previous one is past."""
    prog, disburser = cash.prog, cash.roles.disburser
    period = period_of(chain.time())
    end = (period + 1) * PERIOD
    transact_at(chain, end - 1, prog, "proposeRound", _flat(cash, end - 1, end), sender=disburser)
    with reverts("RoundPeriodPassed", period=period, currentPeriod=period + 1):
        transact_at(chain, end, prog, "proposeRound", _flat(cash, end - 1, end + DAY), sender=disburser)
    assert round_info(prog, 1)["period"] == period
    assert prog.roundCount() == 1


def test_round_crossing_a_period_boundary_is_refused(cash: Cash, chain) -> None:
    """A straddling round would count only against its first period yet pay in the next one too."""
    prog, disburser = cash.prog, cash.roles.disburser
    now = chain.time()
    period = period_of(now)
    end = (period + 1) * PERIOD
    cases = [
        (now, end + 1, period),  # one second too long
        (now, now + PERIOD, period),
        (end - 1, end + DAY, period),  # opens in the last second of this period
        (end + DAY, end + PERIOD + 1, period + 1),  # a later period, straddling the one after
        (end + 3 * PERIOD, end + 5 * PERIOD, period + 4),
    ]
    for opens, closes, first in cases:
        with reverts("RoundCrossesPeriods", period=first, periodEnd=(first + 1) * PERIOD):
            prog.proposeRound(_flat(cash, opens, closes), sender=disburser)
    assert prog.roundCount() == 0


def test_round_may_fill_its_period_exactly(cash: Cash, chain) -> None:
    """`closesAt` is exclusive: [period start, next period start) is one period. A round may already be open (it
    opened earlier in the current period) or belong to a later period."""
    prog, disburser = cash.prog, cash.roles.disburser
    period = period_of(chain.time())
    start, end = period * PERIOD, (period + 1) * PERIOD
    windows = [
        (start, end, period),  # the whole current period, opened two days ago
        (end - 1, end, period),  # its last second
        (end, end + PERIOD, period + 1),  # the whole next period
    ]
    for round_id, (opens, closes, expected) in enumerate(windows, start=1):
        result = prog.proposeRound(_flat(cash, opens, closes), sender=disburser)
        assert_event(result, "RoundProposed", roundId=round_id, period=expected)
        info = round_info(prog, round_id)
        assert (info["opensAt"], info["closesAt"], info["period"]) == (opens, closes, expected)


def test_approval_rechecks_the_period(cash: Cash, chain) -> None:
    """A round proposed for this period and not approved by the period's last second is refused with
    RoundPeriodPassed (it could not pay any more anyway); until then it is approved and reserved as usual."""
    prog, roles = cash.prog, cash.roles
    now = chain.time()
    period = period_of(now)
    end = (period + 1) * PERIOD
    first = prog.proposeRound(_flat(cash, now, end), sender=roles.disburser).events_named("RoundProposed")[0]
    second = propose(cash, chain, lasts=end - chain.time() - 1)
    result = transact_at(chain, end - 1, prog, "approveRound", first["roundId"], sender=roles.approver)
    assert_event(result, "RoundApproved", roundId=first["roundId"], period=period, periodReserved=AMOUNT)
    with reverts("RoundPeriodPassed", period=period, currentPeriod=period + 1):
        transact_at(chain, end, prog, "approveRound", second, sender=roles.approver)
    assert round_info(prog, second)["status"] == RoundStatus.Proposed
    assert prog.periodReserved(period) == AMOUNT


def test_later_period_round_pays_only_in_its_period(cash: Cash, chain) -> None:
    """A round for the next period reserves that period's cap and pays only once the period has begun."""
    prog, roles = cash.prog, cash.roles
    period = period_of(chain.time())
    start = (period + 1) * PERIOD
    round_id = prog.proposeRound(_flat(cash, start, start + DAY), sender=roles.disburser).events_named("RoundProposed")[
        0
    ]["roundId"]
    assert_event(prog.approveRound(round_id, sender=roles.approver), "RoundApproved", period=period + 1)
    assert (prog.periodReserved(period), prog.periodReserved(period + 1)) == (0, AMOUNT)
    with reverts("RoundNotOpen", roundId=round_id, opensAt=start, closesAt=start + DAY):
        transact_at(chain, start - 1, prog, "payFlat", round_id, [1], sender=roles.disburser)
    result = transact_at(chain, start, prog, "payFlat", round_id, [1], sender=roles.disburser)
    assert_event(result, "BatchPaid", roundId=round_id, paidCount=1, total=AMOUNT)


# ----------------------------------------------------------------------------------------------------------------
# Approve
# ----------------------------------------------------------------------------------------------------------------


def test_approve_funds_the_round(cash: Cash, chain) -> None:
    prog, roles = cash.prog, cash.roles
    round_id = propose(cash, chain, budget=300 * USDC)
    funder_before = balance(cash, roles.funder)
    result = prog.approveRound(round_id, sender=roles.approver)
    period = round_info(prog, round_id)["period"]
    assert_event(
        result, "RoundApproved", roundId=round_id, approver=roles.approver, period=period, periodReserved=AMOUNT
    )
    assert_event(result, "RoundFunded", roundId=round_id, funder=roles.funder, amount=300 * USDC)
    assert_event(result, "Transfer", **{"from": roles.funder.address, "to": prog.address, "value": 300 * USDC})
    names = [e.name for e in result.events]
    assert names.index("RoundApproved") < names.index("RoundFunded")
    info = round_info(prog, round_id)
    assert (info["status"], info["remaining"], info["paid"], info["swept"]) == (RoundStatus.Approved, 300 * USDC, 0, 0)
    assert balance(cash, prog) == 300 * USDC
    assert balance(cash, roles.funder) == funder_before - 300 * USDC
    assert prog.totalFunded() == 300 * USDC
    assert prog.periodReserved(period) == AMOUNT
    assert prog.liveClaimRounds() == []  # push rounds carry no pause copy


def test_maker_checker_forbids_self_approval_even_with_both_roles(cash: Cash, chain) -> None:
    prog, roles = cash.prog, cash.roles
    prog.grantRole(APPROVER_ROLE, roles.disburser.address, sender=roles.admin)
    round_id = propose(cash, chain)
    with reverts("SelfApprovalForbidden", roundId=round_id, account=roles.disburser):
        prog.approveRound(round_id, sender=roles.disburser)
    # An approver that also proposes is just as bound.
    prog.grantRole(DISBURSER_ROLE, roles.approver.address, sender=roles.admin)
    own = propose(cash, chain, sender=roles.approver)
    with reverts("SelfApprovalForbidden", roundId=own, account=roles.approver):
        prog.approveRound(own, sender=roles.approver)
    # Each can approve the other's round.
    prog.approveRound(round_id, sender=roles.approver)
    prog.approveRound(own, sender=roles.disburser)


def test_a_revoked_disburser_s_pending_proposal_cannot_be_approved(cash: Cash, chain) -> None:
    """Review finding 8: approveRound re-checks that the proposer still holds DISBURSER_ROLE (before the fix the
    approval went through and pulled the budget)."""
    prog, roles = cash.prog, cash.roles
    round_id = propose(cash, chain)
    prog.revokeRole(DISBURSER_ROLE, roles.disburser.address, sender=roles.admin)
    with reverts("ProposerNotDisburser", roundId=round_id, proposer=roles.disburser):
        prog.approveRound(round_id, sender=roles.approver)
    assert round_info(prog, round_id)["status"] == RoundStatus.Proposed
    assert prog.totalFunded() == 0


def test_approve_status_and_window_rules(cash: Cash, chain) -> None:
    prog, approver = cash.prog, cash.roles.approver
    with reverts("UnknownRound", roundId=42):
        prog.approveRound(42, sender=approver)
    round_id = open_round(cash, chain)
    with reverts("InvalidRoundStatus", roundId=round_id, status=RoundStatus.Approved):
        prog.approveRound(round_id, sender=approver)
    cancelled = propose(cash, chain)
    prog.cancelRound(cancelled, sender=cash.roles.disburser)
    with reverts("InvalidRoundStatus", roundId=cancelled, status=RoundStatus.Cancelled):
        prog.approveRound(cancelled, sender=approver)
    late = propose(cash, chain, opens_in=0, lasts=DAY)
    info = round_info(prog, late)
    with reverts("RoundNotOpen", roundId=late, opensAt=info["opensAt"], closesAt=info["closesAt"]):
        transact_at(chain, info["closesAt"], prog, "approveRound", late, sender=approver)


def test_period_cap_reserves_per_beneficiary_amounts(cash: Cash, chain) -> None:
    prog, roles = cash.prog, cash.roles
    prog.setPeriodCap(60 * USDC, sender=roles.admin)
    first = propose(cash, chain, amount=40 * USDC, budget=400 * USDC)
    second = propose(cash, chain, amount=30 * USDC, budget=300 * USDC)
    period = round_info(prog, first)["period"]
    prog.approveRound(first, sender=roles.approver)
    with reverts("PeriodCapExceeded", period=period, reserved=40 * USDC, requested=30 * USDC, cap=60 * USDC):
        prog.approveRound(second, sender=roles.approver)
    # A round of the next period has its own budget; a round that fits exactly is accepted.
    next_period = propose(
        cash, chain, amount=60 * USDC, budget=600 * USDC, opens_in=(period + 1) * PERIOD - chain.time()
    )
    assert round_info(prog, next_period)["period"] == period + 1
    prog.approveRound(next_period, sender=roles.approver)
    exact = propose(cash, chain, amount=20 * USDC, budget=200 * USDC)
    result = prog.approveRound(exact, sender=roles.approver)
    assert_event(result, "RoundApproved", periodReserved=60 * USDC)
    # The reservation stands after a sweep (conservative by design): nothing more fits in this period.
    chain.sleep(8 * DAY)
    prog.sweep(first, sender=roles.stranger)
    assert prog.periodReserved(period) == 60 * USDC
    prog.cancelRound(second, sender=roles.disburser)


def test_lowered_period_cap_applies_to_later_approvals(cash: Cash, chain) -> None:
    prog, roles = cash.prog, cash.roles
    round_id = propose(cash, chain, amount=AMOUNT)
    prog.setPeriodCap(AMOUNT - 1, sender=roles.admin)
    period = round_info(prog, round_id)["period"]
    with reverts("PeriodCapExceeded", period=period, reserved=0, requested=AMOUNT, cap=AMOUNT - 1):
        prog.approveRound(round_id, sender=roles.approver)


def test_approve_needs_the_funders_allowance_and_balance(cash: Cash, chain) -> None:
    prog, roles, token = cash.prog, cash.roles, cash.token
    token.approve(prog.address, 10 * USDC, sender=roles.funder)
    round_id = propose(cash, chain, budget=100 * USDC)
    with reverts("ERC20InsufficientAllowance", spender=prog.address, allowance=10 * USDC, needed=100 * USDC):
        prog.approveRound(round_id, sender=roles.approver)
    poor = propose(cash, chain, budget=100 * USDC, funder=roles.stranger)
    token.approve(prog.address, 100 * USDC, sender=roles.stranger)
    with reverts("ERC20InsufficientBalance", sender=roles.stranger.address, balance=0, needed=100 * USDC):
        prog.approveRound(poor, sender=roles.approver)
    assert prog.totalFunded() == 0


def test_approve_rejects_fee_on_transfer_tokens(deploy, cash: Cash, chain) -> None:
    roles = cash.roles
    fee_token = deploy("FeeOnTransferToken", sender=roles.admin)
    prog = deploy(
        "CashProgramme",
        (roles.admin.address, fee_token.address, False, RECOVERY_DELAY, PERIOD, PERIOD_CAP),
        sender=roles.admin,
    )
    prog.grantRole(DISBURSER_ROLE, roles.disburser.address, sender=roles.admin)
    prog.grantRole(APPROVER_ROLE, roles.approver.address, sender=roles.admin)
    fee_token.mint(roles.funder.address, 1_000 * USDC, sender=roles.funder)
    fee_token.approve(prog.address, 1_000 * USDC, sender=roles.funder)
    now = chain.time()
    prog.proposeRound(
        round_params(Kind.FlatPush, 100 * USDC, AMOUNT, now, now + DAY, ZERO32, roles.funder.address),
        sender=roles.disburser,
    )
    with reverts("FundingMismatch", expected=100 * USDC, received=99 * USDC):
        prog.approveRound(1, sender=roles.approver)


def test_live_claim_rounds_are_bounded(cash: Cash, chain) -> None:
    prog, roles = cash.prog, cash.roles
    ids = [
        propose(cash, chain, Kind.MerkleClaim, root=ROOT, amount=1, budget=1, lasts=DAY)
        for _ in range(MAX_LIVE_CLAIM_ROUNDS + 1)
    ]
    for round_id in ids[:-1]:
        prog.approveRound(round_id, sender=roles.approver)
    assert prog.liveClaimRounds() == ids[:-1]
    with reverts("TooManyLiveClaimRounds", max=MAX_LIVE_CLAIM_ROUNDS):
        prog.approveRound(ids[-1], sender=roles.approver)
    # Sweeping a closed one makes room (the last round closes last: approve it before the window ends).
    last = propose(cash, chain, Kind.MerkleClaim, root=ROOT, amount=1, budget=1, lasts=LONG)
    chain.sleep(DAY)
    result = prog.sweep(ids[0], sender=roles.stranger)
    assert_event(result, "RoundSwept", roundId=ids[0], funder=roles.funder, amount=1)
    assert ids[0] not in prog.liveClaimRounds()
    prog.approveRound(last, sender=roles.approver)
    assert last in prog.liveClaimRounds()
    assert len(prog.liveClaimRounds()) == MAX_LIVE_CLAIM_ROUNDS


# ----------------------------------------------------------------------------------------------------------------
# Cancel
# ----------------------------------------------------------------------------------------------------------------


def test_cancel_by_proposer_or_rejection_by_approver(cash: Cash, chain) -> None:
    prog, roles = cash.prog, cash.roles
    mine = propose(cash, chain)
    assert_event(prog.cancelRound(mine, sender=roles.disburser), "RoundCancelled", roundId=mine, by=roles.disburser)
    assert round_info(prog, mine)["status"] == RoundStatus.Cancelled
    rejected = propose(cash, chain)
    assert_event(
        prog.cancelRound(rejected, sender=roles.approver), "RoundCancelled", roundId=rejected, by=roles.approver
    )
    with reverts("InvalidRoundStatus", roundId=rejected, status=RoundStatus.Cancelled):
        prog.cancelRound(rejected, sender=roles.approver)
    with reverts("UnknownRound", roundId=99):
        prog.cancelRound(99, sender=roles.approver)


def test_cancel_refused_to_others_and_after_approval(cash: Cash, chain) -> None:
    prog, roles = cash.prog, cash.roles
    round_id = propose(cash, chain)
    for who in (roles.stranger, roles.registrar, roles.pauser, roles.admin, roles.merchant_manager):
        with reverts("AccessControlUnauthorizedAccount", account=who, neededRole=APPROVER_ROLE):
            prog.cancelRound(round_id, sender=who)
    # Another disburser is not the proposer.
    prog.grantRole(DISBURSER_ROLE, roles.stranger.address, sender=roles.admin)
    with reverts("AccessControlUnauthorizedAccount", account=roles.stranger, neededRole=APPROVER_ROLE):
        prog.cancelRound(round_id, sender=roles.stranger)
    # A proposer who lost the disburser role can no longer cancel its round.
    prog.revokeRole(DISBURSER_ROLE, roles.disburser.address, sender=roles.admin)
    with reverts("AccessControlUnauthorizedAccount", account=roles.disburser, neededRole=APPROVER_ROLE):
        prog.cancelRound(round_id, sender=roles.disburser)
    # Nor can its pending proposal be approved (review finding 8) until it holds the role again.
    with reverts("ProposerNotDisburser", roundId=round_id, proposer=roles.disburser):
        prog.approveRound(round_id, sender=roles.approver)
    prog.grantRole(DISBURSER_ROLE, roles.disburser.address, sender=roles.admin)
    prog.approveRound(round_id, sender=roles.approver)
    with reverts("InvalidRoundStatus", roundId=round_id, status=RoundStatus.Approved):
        prog.cancelRound(round_id, sender=roles.approver)


# ----------------------------------------------------------------------------------------------------------------
# Sweep
# ----------------------------------------------------------------------------------------------------------------


def test_sweep_only_after_close_and_only_to_the_funder(cash: Cash, chain) -> None:
    prog, roles = cash.prog, cash.roles
    round_id = open_round(cash, chain, budget=100 * USDC, lasts=DAY)
    prog.payFlat(round_id, [1, 2], sender=roles.disburser)
    closes_at = round_info(prog, round_id)["closesAt"]
    with reverts("RoundStillOpen", roundId=round_id, closesAt=closes_at):
        prog.sweep(round_id, sender=roles.stranger)
    with reverts("RoundStillOpen", roundId=round_id, closesAt=closes_at):
        transact_at(chain, closes_at - 1, prog, "sweep", round_id, sender=roles.funder)
    funder_before, stranger_before = balance(cash, roles.funder), balance(cash, roles.stranger)
    # Anyone may trigger it, from the closing second on; the money goes to the funder.
    result = transact_at(chain, closes_at, prog, "sweep", round_id, sender=roles.stranger)
    assert_event(result, "RoundSwept", roundId=round_id, funder=roles.funder, amount=50 * USDC)
    assert_event(result, "Transfer", **{"from": prog.address, "to": roles.funder.address, "value": 50 * USDC})
    assert balance(cash, roles.funder) == funder_before + 50 * USDC
    assert balance(cash, roles.stranger) == stranger_before
    info = round_info(prog, round_id)
    assert (info["status"], info["remaining"], info["paid"], info["swept"]) == (
        RoundStatus.Closed,
        0,
        50 * USDC,
        50 * USDC,
    )
    assert prog.totalSwept() == 50 * USDC
    assert balance(cash, prog) == prog.totalFunded() - 50 * USDC - prog.totalSwept() == 0
    with reverts("InvalidRoundStatus", roundId=round_id, status=RoundStatus.Closed):
        prog.sweep(round_id, sender=roles.stranger)


def test_sweep_of_a_fully_paid_round_moves_nothing(cash: Cash, chain) -> None:
    prog, roles = cash.prog, cash.roles
    round_id = open_round(cash, chain, budget=2 * AMOUNT, lasts=DAY)
    prog.payFlat(round_id, [1, 2], sender=roles.disburser)
    chain.sleep(DAY)
    result = prog.sweep(round_id, sender=roles.stranger)
    assert_event(result, "RoundSwept", roundId=round_id, funder=roles.funder, amount=0)
    assert_no_event(result, "Transfer")


def test_sweep_rejections(cash: Cash, chain) -> None:
    prog = cash.prog
    with reverts("UnknownRound", roundId=5):
        prog.sweep(5, sender=cash.roles.stranger)
    proposed = propose(cash, chain, lasts=DAY)
    chain.sleep(2 * DAY)
    with reverts("InvalidRoundStatus", roundId=proposed, status=RoundStatus.Proposed):
        prog.sweep(proposed, sender=cash.roles.stranger)
    prog.cancelRound(proposed, sender=cash.roles.disburser)
    with reverts("InvalidRoundStatus", roundId=proposed, status=RoundStatus.Cancelled):
        prog.sweep(proposed, sender=cash.roles.stranger)
