"""CashProgramme push payments: flat batches and pre-committed list batches, exactly once per (round, index)."""

from __future__ import annotations

from cash_helpers import (
    AMOUNT,
    DAY,
    MAX_BATCH,
    MAX_ENROL_BATCH,
    PERIOD,
    USDC,
    BStatus,
    Cash,
    Kind,
    RoundStatus,
    Skip,
    address_of,
    balance,
    open_round,
    person,
    propose,
    round_info,
    transact_at,
)

from pilotkit.cash_claims import BatchTree, batch_leaf
from pilotkit.merkle import MerkleTree
from pilotkit.testing.assertions import assert_event, assert_no_event, reverts


def transfers(cash: Cash, result) -> list[tuple[str, int]]:
    """(recipient, value) of the token's Transfer events from the programme, in order."""
    return [
        (e["to"], e["value"])
        for e in result.events_named("Transfer")
        if e.address == cash.token.address and e["from"] == cash.prog.address
    ]


# ----------------------------------------------------------------------------------------------------------------
# payFlat
# ----------------------------------------------------------------------------------------------------------------


def test_pay_flat_direct_mode(cash: Cash, chain) -> None:
    prog = cash.prog
    round_id = open_round(cash, chain, budget=10 * AMOUNT)
    result = prog.payFlat(round_id, [1, 2, 3], sender=cash.roles.disburser)
    assert_event(result, "BatchPaid", roundId=round_id, paidCount=3, total=3 * AMOUNT)
    assert_no_event(result, "Paid")  # direct mode: the token's Transfer is the per-payment record
    assert_no_event(result, "PaymentSkipped")
    assert transfers(cash, result) == [(cash.wallet(i).address, AMOUNT) for i in (1, 2, 3)]
    for index in (1, 2, 3):
        assert balance(cash, cash.wallet(index)) == AMOUNT
        assert prog.isPaid(round_id, index)
    assert not prog.isPaid(round_id, 4)
    info = round_info(prog, round_id)
    assert (info["paid"], info["remaining"]) == (3 * AMOUNT, 7 * AMOUNT)
    assert balance(cash, prog) == prog.totalFunded() - info["paid"] - prog.totalSwept()


def test_pay_flat_voucher_mode_credits_entitlements(vcash: Cash, chain) -> None:
    prog = vcash.prog
    round_id = open_round(vcash, chain, budget=10 * AMOUNT)
    result = prog.payFlat(round_id, [2, 4], sender=vcash.roles.disburser)
    assert_event(result, "BatchPaid", roundId=round_id, paidCount=2, total=2 * AMOUNT)
    assert_event(result, "Paid", roundId=round_id, index=2, amount=AMOUNT)
    assert_event(result, "Paid", roundId=round_id, index=4, amount=AMOUNT)
    assert transfers(vcash, result) == []  # tokens stay in the programme until merchants redeem
    assert tuple(prog.beneficiary(2)) == (vcash.wallet(2).address, BStatus.Active, AMOUNT)
    assert balance(vcash, vcash.wallet(2)) == 0
    assert balance(vcash, prog) == 10 * AMOUNT


def test_pay_flat_pays_each_index_once_within_a_batch(cash: Cash, chain) -> None:
    prog = cash.prog
    round_id = open_round(cash, chain)
    result = prog.payFlat(round_id, [1, 2, 1, 2, 1], sender=cash.roles.disburser)
    assert_event(result, "BatchPaid", roundId=round_id, paidCount=2, total=2 * AMOUNT)
    skipped = [(e["index"], e["reason"]) for e in result.events_named("PaymentSkipped")]
    assert skipped == [(1, Skip.AlreadyPaid), (2, Skip.AlreadyPaid), (1, Skip.AlreadyPaid)]
    assert transfers(cash, result) == [(cash.wallet(1).address, AMOUNT), (cash.wallet(2).address, AMOUNT)]
    assert balance(cash, cash.wallet(1)) == AMOUNT


def test_resent_batch_pays_nobody_twice(cash: Cash, chain) -> None:
    prog = cash.prog
    round_id = open_round(cash, chain)
    prog.payFlat(round_id, [1, 2, 3], sender=cash.roles.disburser)
    result = prog.payFlat(round_id, [1, 2, 3, 4], sender=cash.roles.disburser)  # resent after a "timeout", plus one
    assert_event(result, "BatchPaid", roundId=round_id, paidCount=1, total=AMOUNT)
    assert [e["index"] for e in result.events_named("PaymentSkipped")] == [1, 2, 3]
    assert all(e["reason"] == Skip.AlreadyPaid for e in result.events_named("PaymentSkipped"))
    assert transfers(cash, result) == [(cash.wallet(4).address, AMOUNT)]
    result = prog.payFlat(round_id, [1, 2, 3, 4], sender=cash.roles.disburser)
    assert_event(result, "BatchPaid", roundId=round_id, paidCount=0, total=0)
    assert transfers(cash, result) == []
    for index in (1, 2, 3, 4):
        assert balance(cash, cash.wallet(index)) == AMOUNT
    assert round_info(prog, round_id)["paid"] == 4 * AMOUNT


def test_pay_flat_skips_inactive_indexes(cash: Cash, chain) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    prog.suspend(cash.id(2), 1, sender=registrar)
    prog.remove(cash.id(3), 1, sender=registrar)
    round_id = open_round(cash, chain)
    result = prog.payFlat(round_id, [1, 2, 3, 999, 0], sender=cash.roles.disburser)
    assert_event(result, "BatchPaid", roundId=round_id, paidCount=1, total=AMOUNT)
    skipped = [(e["roundId"], e["index"], e["reason"]) for e in result.events_named("PaymentSkipped")]
    assert skipped == [(round_id, i, Skip.NotActive) for i in (2, 3, 999, 0)]
    assert not prog.isPaid(round_id, 2)
    # Reinstated, the beneficiary is paid by a later batch of the same round.
    prog.reinstate(cash.id(2), sender=registrar)
    result = prog.payFlat(round_id, [2], sender=cash.roles.disburser)
    assert transfers(cash, result) == [(cash.wallet(2).address, AMOUNT)]


def test_payment_follows_a_recovered_wallet(cash: Cash, chain) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    new = address_of("recovered-pay")
    prog.requestWalletRecovery(cash.id(1), new, sender=registrar)
    prog.confirmWalletRecovery(cash.id(1), sender=cash.roles.approver)
    chain.sleep(prog.recoveryDelay())
    prog.executeWalletRecovery(cash.id(1), sender=registrar)
    round_id = open_round(cash, chain)
    result = prog.payFlat(round_id, [1], sender=cash.roles.disburser)
    assert transfers(cash, result) == [(new, AMOUNT)]


def test_pay_flat_budget_is_enforced(cash: Cash, chain) -> None:
    prog = cash.prog
    round_id = open_round(cash, chain, budget=2 * AMOUNT + 1)
    # `remaining` is what the batch's earlier items left.
    with reverts("BudgetExceeded", roundId=round_id, remaining=1, requested=AMOUNT):
        prog.payFlat(round_id, [1, 2, 3], sender=cash.roles.disburser)
    assert not prog.isPaid(round_id, 1)  # the whole batch reverted
    prog.payFlat(round_id, [1, 2], sender=cash.roles.disburser)
    with reverts("BudgetExceeded", roundId=round_id, remaining=1, requested=AMOUNT):
        prog.payFlat(round_id, [3], sender=cash.roles.disburser)
    # Skips cost no budget.
    result = prog.payFlat(round_id, [1, 2], sender=cash.roles.disburser)
    assert_event(result, "BatchPaid", paidCount=0, total=0)


def test_pay_flat_window(cash: Cash, chain) -> None:
    prog = cash.prog
    round_id = open_round(cash, chain, opens_in=DAY, lasts=DAY)
    info = round_info(prog, round_id)
    window = {"roundId": round_id, "opensAt": info["opensAt"], "closesAt": info["closesAt"]}
    with reverts("RoundNotOpen", **window):
        prog.payFlat(round_id, [1], sender=cash.roles.disburser)
    disburser = cash.roles.disburser
    with reverts("RoundNotOpen", **window):
        transact_at(chain, info["opensAt"] - 1, prog, "payFlat", round_id, [1], sender=disburser)
    transact_at(chain, info["opensAt"], prog, "payFlat", round_id, [1], sender=disburser)
    transact_at(chain, info["closesAt"] - 1, prog, "payFlat", round_id, [2], sender=disburser)
    with reverts("RoundNotOpen", **window):
        transact_at(chain, info["closesAt"], prog, "payFlat", round_id, [3], sender=disburser)
    assert [prog.isPaid(round_id, i) for i in (1, 2, 3)] == [True, True, False]


def test_pay_flat_round_state_and_kind(cash: Cash, chain) -> None:
    prog, disburser = cash.prog, cash.roles.disburser
    with reverts("UnknownRound", roundId=77):
        prog.payFlat(77, [1], sender=disburser)
    proposed = propose(cash, chain)
    with reverts("InvalidRoundStatus", roundId=proposed, status=RoundStatus.Proposed):
        prog.payFlat(proposed, [1], sender=disburser)
    prog.cancelRound(proposed, sender=disburser)
    with reverts("InvalidRoundStatus", roundId=proposed, status=RoundStatus.Cancelled):
        prog.payFlat(proposed, [1], sender=disburser)
    listed = open_round(cash, chain, Kind.ListPush, root=BatchTree([([1], [AMOUNT])]).root)
    with reverts("WrongRoundKind", roundId=listed, kind=Kind.ListPush):
        prog.payFlat(listed, [1], sender=disburser)
    claims = open_round(cash, chain, Kind.MerkleClaim, root=batch_leaf([1], [1]))
    with reverts("WrongRoundKind", roundId=claims, kind=Kind.MerkleClaim):
        prog.payFlat(claims, [1], sender=disburser)
    closed = open_round(cash, chain, lasts=DAY)
    chain.sleep(DAY)
    prog.sweep(closed, sender=disburser)
    with reverts("InvalidRoundStatus", roundId=closed, status=RoundStatus.Closed):
        prog.payFlat(closed, [1], sender=disburser)


def test_pay_flat_batch_size(cash: Cash, chain) -> None:
    prog = cash.prog
    round_id = open_round(cash, chain)
    with reverts("EmptyBatch"):
        prog.payFlat(round_id, [], sender=cash.roles.disburser)
    with reverts("BatchTooLarge", size=MAX_BATCH + 1, max=MAX_BATCH):
        prog.payFlat(round_id, list(range(1, MAX_BATCH + 2)), sender=cash.roles.disburser)


def test_largest_batch_of_fresh_wallets_fits_in_half_a_block(cash: Cash, chain) -> None:
    prog = cash.prog
    first = prog.beneficiaryCount() + 1
    for start in range(0, MAX_BATCH, MAX_ENROL_BATCH):
        labels = [f"max-batch-{i}" for i in range(start, min(start + MAX_ENROL_BATCH, MAX_BATCH))]
        prog.enrolBatch([person(x) for x in labels], [address_of(x) for x in labels], sender=cash.roles.registrar)
    round_id = open_round(cash, chain, amount=USDC, budget=MAX_BATCH * USDC)
    result = prog.payFlat(round_id, list(range(first, first + MAX_BATCH)), sender=cash.roles.disburser)
    assert_event(result, "BatchPaid", paidCount=MAX_BATCH, total=MAX_BATCH * USDC)
    assert result.gas_used < 15_000_000
    assert round_info(prog, round_id)["remaining"] == 0


def test_entitlement_overflow_is_refused(vcash: Cash, chain) -> None:
    """A voucher entitlement is 88 bits wide: crediting past it reverts instead of wrapping."""
    prog, roles = vcash.prog, vcash.roles
    big = 2**88 - 1
    vcash.token.mint(roles.funder.address, 2 * big, sender=roles.admin)
    prog.setPeriodCap(big, sender=roles.admin)
    first = open_round(vcash, chain, amount=big, budget=big)
    prog.payFlat(first, [1], sender=roles.disburser)
    assert tuple(prog.beneficiary(1))[2] == big
    second = open_round(vcash, chain, amount=1, budget=1, opens_in=PERIOD)  # next period: the cap allows it
    chain.sleep(PERIOD)
    with reverts("EntitlementOverflow", index=1):
        prog.payFlat(second, [1], sender=roles.disburser)


# ----------------------------------------------------------------------------------------------------------------
# payList
# ----------------------------------------------------------------------------------------------------------------


def _list_round(cash: Cash, chain, tree: BatchTree, cap: int = AMOUNT, budget: int = 20 * AMOUNT) -> int:
    return open_round(cash, chain, Kind.ListPush, root=tree.root, amount=cap, budget=budget)


def test_pay_list_pays_committed_batches(cash: Cash, chain) -> None:
    prog = cash.prog
    tree = BatchTree([([1, 2], [AMOUNT, 10 * USDC]), ([3], [USDC]), ([4, 5, 6], [1, 2, 3])])
    round_id = _list_round(cash, chain, tree)
    for number, (indexes, amounts) in enumerate(tree):
        result = prog.payList(round_id, indexes, amounts, tree.proof(number), sender=cash.roles.disburser)
        assert_event(result, "BatchPaid", roundId=round_id, paidCount=len(indexes), total=sum(amounts))
        assert transfers(cash, result) == [(cash.wallet(i).address, a) for i, a in zip(indexes, amounts, strict=True)]
    assert round_info(prog, round_id)["paid"] == AMOUNT + 10 * USDC + USDC + 6
    # Resending a batch pays nobody twice.
    result = prog.payList(round_id, [1, 2], [AMOUNT, 10 * USDC], tree.proof(0), sender=cash.roles.disburser)
    assert_event(result, "BatchPaid", paidCount=0, total=0)
    assert [(e["index"], e["reason"]) for e in result.events_named("PaymentSkipped")] == [
        (1, Skip.AlreadyPaid),
        (2, Skip.AlreadyPaid),
    ]


def test_pay_list_overlapping_batches_pay_once(cash: Cash, chain) -> None:
    prog = cash.prog
    tree = BatchTree([([1, 2], [AMOUNT, AMOUNT]), ([2, 3], [5, 6])])
    round_id = _list_round(cash, chain, tree)
    prog.payList(round_id, [1, 2], [AMOUNT, AMOUNT], tree.proof(0), sender=cash.roles.disburser)
    result = prog.payList(round_id, [2, 3], [5, 6], tree.proof(1), sender=cash.roles.disburser)
    assert_event(result, "PaymentSkipped", roundId=round_id, index=2, reason=Skip.AlreadyPaid)
    assert transfers(cash, result) == [(cash.wallet(3).address, 6)]
    assert balance(cash, cash.wallet(2)) == AMOUNT


def test_pay_list_rejects_anything_not_committed(cash: Cash, chain) -> None:
    prog, disburser = cash.prog, cash.roles.disburser
    tree = BatchTree([([1, 2], [AMOUNT, AMOUNT]), ([3], [AMOUNT])])
    round_id = _list_round(cash, chain, tree)
    for indexes, amounts, proof in (
        ([1, 2], [AMOUNT, AMOUNT + 1], tree.proof(0)),  # tampered amount
        ([2, 1], [AMOUNT, AMOUNT], tree.proof(0)),  # reordered batch
        ([1], [AMOUNT], tree.proof(0)),  # partial batch
        ([3], [AMOUNT], tree.proof(0)),  # another batch's proof
        ([3], [AMOUNT], []),  # no proof
    ):
        with reverts("InvalidProof"):
            prog.payList(round_id, indexes, amounts, proof, sender=disburser)
    with reverts("LengthMismatch", first=2, second=1):
        prog.payList(round_id, [1, 2], [AMOUNT], tree.proof(0), sender=disburser)


def test_pay_list_amount_rules(cash: Cash, chain) -> None:
    prog, disburser = cash.prog, cash.roles.disburser
    batches = [([1], [0]), ([2], [AMOUNT + 1]), ([3, 4], [AMOUNT, AMOUNT]), ([5], [AMOUNT])]
    tree = BatchTree(batches)
    round_id = _list_round(cash, chain, tree, budget=AMOUNT + 1)
    with reverts("InvalidPaymentAmount", roundId=round_id, amount=0, cap=AMOUNT):
        prog.payList(round_id, [1], [0], tree.proof(0), sender=disburser)
    with reverts("InvalidPaymentAmount", roundId=round_id, amount=AMOUNT + 1, cap=AMOUNT):
        prog.payList(round_id, [2], [AMOUNT + 1], tree.proof(1), sender=disburser)
    with reverts("BudgetExceeded", roundId=round_id, remaining=1, requested=AMOUNT):
        prog.payList(round_id, [3, 4], [AMOUNT, AMOUNT], tree.proof(2), sender=disburser)


def test_pay_list_batch_size_and_kind(cash: Cash, chain) -> None:
    prog, disburser = cash.prog, cash.roles.disburser
    big = list(range(1, MAX_BATCH + 2))
    empty_leaf, big_leaf = batch_leaf([], []), batch_leaf(big, [1] * len(big))
    tree = MerkleTree([empty_leaf, big_leaf])
    round_id = open_round(cash, chain, Kind.ListPush, root=tree.root)
    with reverts("EmptyBatch"):
        prog.payList(round_id, [], [], tree.proof(0), sender=disburser)
    with reverts("BatchTooLarge", size=MAX_BATCH + 1, max=MAX_BATCH):
        prog.payList(round_id, big, [1] * len(big), tree.proof(1), sender=disburser)
    flat = open_round(cash, chain)
    with reverts("WrongRoundKind", roundId=flat, kind=Kind.FlatPush):
        prog.payList(flat, [1], [1], [], sender=disburser)
    with reverts("UnknownRound", roundId=1234):
        prog.payList(1234, [1], [1], [], sender=disburser)


def test_pay_list_voucher_mode(vcash: Cash, chain) -> None:
    prog = vcash.prog
    tree = BatchTree([([1, 3], [7, 9])])
    round_id = _list_round(vcash, chain, tree)
    result = prog.payList(round_id, [1, 3], [7, 9], tree.proof(0), sender=vcash.roles.disburser)
    assert_event(result, "Paid", roundId=round_id, index=1, amount=7)
    assert_event(result, "Paid", roundId=round_id, index=3, amount=9)
    assert_event(result, "BatchPaid", roundId=round_id, paidCount=2, total=16)
    assert tuple(prog.beneficiary(3))[2] == 9
