"""CashProgramme Merkle claims: claim by the wallet, the Merkle cap (setClaimCap), exactly-once, window, budget.

Relayed claims (claimFor) and their signatures are in test_cash_signatures.py.
"""

from __future__ import annotations

import pytest
from cash_helpers import (
    AMOUNT,
    DAY,
    LONG,
    MAX_BATCH,
    MAX_CLAIM_CAP,
    USDC,
    ZERO32,
    BStatus,
    Cash,
    Kind,
    RoundStatus,
    balance,
    open_round,
    propose,
    round_info,
    transact_at,
)

from pilotkit.cash_claims import ClaimTree, claim_leaf
from pilotkit.testing.assertions import assert_event, assert_no_event, reverts

# Indexes 1..6 are enrolled by the fixture; 7..10 are in the tree but not enrolled.
AMOUNTS = {1: AMOUNT, 2: 10 * USDC, 3: 3 * USDC, 4: AMOUNT, 5: 1, 6: 7 * USDC, 7: USDC, 8: USDC, 9: USDC, 10: USDC}


def claim_round(
    cash: Cash, chain, tree: ClaimTree, *, budget: int = 100 * AMOUNT, amount: int = AMOUNT, cap: bool = False, **kwargs
) -> int:
    """A MerkleClaim round over `tree`, its cap set when asked, approved."""
    round_id = propose(cash, chain, Kind.MerkleClaim, root=tree.root, budget=budget, amount=amount, **kwargs)
    if cap:
        for offset, nodes in tree.cap_chunks():
            cash.prog.setClaimCap(round_id, tree.cap_size, offset, nodes, sender=cash.roles.disburser)
    cash.prog.approveRound(round_id, sender=cash.roles.approver)
    return round_id


def test_claim_with_a_full_proof(cash: Cash, chain) -> None:
    prog = cash.prog
    tree = ClaimTree(AMOUNTS)
    round_id = claim_round(cash, chain, tree)
    assert prog.liveClaimRounds() == [round_id]
    result = prog.claim(round_id, 2, 10 * USDC, tree.proof(2), sender=cash.wallet(2))
    assert_event(result, "Paid", roundId=round_id, index=2, amount=10 * USDC)
    assert_event(result, "Transfer", **{"from": prog.address, "to": cash.wallet(2).address, "value": 10 * USDC})
    assert balance(cash, cash.wallet(2)) == 10 * USDC
    assert prog.isPaid(round_id, 2)
    info = round_info(prog, round_id)
    assert (info["paid"], info["remaining"]) == (10 * USDC, 100 * AMOUNT - 10 * USDC)
    assert balance(cash, prog) == prog.totalFunded() - info["paid"] - prog.totalSwept()


def test_claim_twice_is_already_paid(cash: Cash, chain) -> None:
    prog = cash.prog
    tree = ClaimTree(AMOUNTS)
    round_id = claim_round(cash, chain, tree)
    prog.claim(round_id, 1, AMOUNT, tree.proof(1), sender=cash.wallet(1))
    with reverts("AlreadyPaid", roundId=round_id, index=1):
        prog.claim(round_id, 1, AMOUNT, tree.proof(1), sender=cash.wallet(1))
    assert balance(cash, cash.wallet(1)) == AMOUNT


def test_same_tree_in_two_rounds_pays_once_per_round(cash: Cash, chain) -> None:
    """Leaves carry no round id (accepted design): a list approved twice pays twice, once per round, within the
    period cap."""
    prog = cash.prog
    tree = ClaimTree(AMOUNTS)
    first, second = claim_round(cash, chain, tree), claim_round(cash, chain, tree)
    prog.claim(first, 1, AMOUNT, tree.proof(1), sender=cash.wallet(1))
    prog.claim(second, 1, AMOUNT, tree.proof(1), sender=cash.wallet(1))
    for round_id in (first, second):
        with reverts("AlreadyPaid", roundId=round_id, index=1):
            prog.claim(round_id, 1, AMOUNT, tree.proof(1), sender=cash.wallet(1))
    assert balance(cash, cash.wallet(1)) == 2 * AMOUNT


def test_claim_only_by_the_bound_active_wallet(cash: Cash, chain) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    tree = ClaimTree(AMOUNTS)
    round_id = claim_round(cash, chain, tree)
    with reverts("NotBeneficiaryWallet", index=1, caller=cash.wallet(2)):
        prog.claim(round_id, 1, AMOUNT, tree.proof(1), sender=cash.wallet(2))
    with reverts("NotBeneficiaryWallet", index=1, caller=cash.roles.stranger):
        prog.claim(round_id, 1, AMOUNT, tree.proof(1), sender=cash.roles.stranger)
    with reverts("NotBeneficiaryWallet", index=7, caller=cash.roles.stranger):  # in the tree, never enrolled
        prog.claim(round_id, 7, USDC, tree.proof(7), sender=cash.roles.stranger)
    prog.suspend(cash.id(3), 5, sender=registrar)
    with reverts("InvalidBeneficiaryStatus", index=3, status=BStatus.Suspended):
        prog.claim(round_id, 3, 3 * USDC, tree.proof(3), sender=cash.wallet(3))
    prog.reinstate(cash.id(3), sender=registrar)
    prog.claim(round_id, 3, 3 * USDC, tree.proof(3), sender=cash.wallet(3))
    prog.remove(cash.id(4), 5, sender=registrar)
    with reverts("NotBeneficiaryWallet", index=4, caller=cash.wallet(4)):
        prog.claim(round_id, 4, AMOUNT, tree.proof(4), sender=cash.wallet(4))


def test_claim_after_wallet_recovery(cash: Cash, chain) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    tree = ClaimTree(AMOUNTS)
    round_id = claim_round(cash, chain, tree, lasts=LONG)
    # The recovered wallet is dev account "stranger" here, so it can send transactions.
    prog.requestWalletRecovery(cash.id(6), cash.roles.stranger.address, sender=registrar)
    prog.confirmWalletRecovery(cash.id(6), sender=cash.roles.approver)
    chain.sleep(prog.recoveryDelay())
    prog.executeWalletRecovery(cash.id(6), sender=registrar)
    with reverts("NotBeneficiaryWallet", index=6, caller=cash.wallet(6)):
        prog.claim(round_id, 6, 7 * USDC, tree.proof(6), sender=cash.wallet(6))
    before = balance(cash, cash.roles.stranger)
    prog.claim(round_id, 6, 7 * USDC, tree.proof(6), sender=cash.roles.stranger)
    assert balance(cash, cash.roles.stranger) == before + 7 * USDC


def test_claim_proof_and_amount_rules(cash: Cash, chain) -> None:
    prog = cash.prog
    tree = ClaimTree(AMOUNTS)
    round_id = claim_round(cash, chain, tree, amount=AMOUNT)
    wallet = cash.wallet(2)
    with reverts("InvalidProof"):  # an amount that is not the leaf's
        prog.claim(round_id, 2, 10 * USDC + 1, tree.proof(2), sender=wallet)
    with reverts("InvalidProof"):  # another leaf's proof
        prog.claim(round_id, 2, 10 * USDC, tree.proof(1), sender=wallet)
    with reverts("InvalidProof"):  # a truncated proof
        prog.claim(round_id, 2, 10 * USDC, tree.proof(2)[:-1], sender=wallet)
    with reverts("InvalidProof"):
        prog.claim(round_id, 2, 10 * USDC, [], sender=wallet)
    with reverts("InvalidPaymentAmount", roundId=round_id, amount=0, cap=AMOUNT):
        prog.claim(round_id, 2, 0, tree.proof(2), sender=wallet)
    with reverts("InvalidPaymentAmount", roundId=round_id, amount=AMOUNT + 1, cap=AMOUNT):
        prog.claim(round_id, 2, AMOUNT + 1, tree.proof(2), sender=wallet)


def test_leaf_amounts_above_the_round_cap_never_pay(cash: Cash, chain) -> None:
    prog = cash.prog
    tree = ClaimTree({1: AMOUNT + 1, 2: AMOUNT})
    round_id = claim_round(cash, chain, tree, amount=AMOUNT)
    with reverts("InvalidPaymentAmount", roundId=round_id, amount=AMOUNT + 1, cap=AMOUNT):
        prog.claim(round_id, 1, AMOUNT + 1, tree.proof(1), sender=cash.wallet(1))
    prog.claim(round_id, 2, AMOUNT, tree.proof(2), sender=cash.wallet(2))


def test_claim_budget(cash: Cash, chain) -> None:
    prog = cash.prog
    tree = ClaimTree(AMOUNTS)
    round_id = claim_round(cash, chain, tree, budget=AMOUNT + 10 * USDC)
    prog.claim(round_id, 1, AMOUNT, tree.proof(1), sender=cash.wallet(1))
    prog.claim(round_id, 5, 1, tree.proof(5), sender=cash.wallet(5))
    with reverts("BudgetExceeded", roundId=round_id, remaining=10 * USDC - 1, requested=10 * USDC):
        prog.claim(round_id, 2, 10 * USDC, tree.proof(2), sender=cash.wallet(2))
    prog.claim(round_id, 3, 3 * USDC, tree.proof(3), sender=cash.wallet(3))


def test_claim_window_and_status(cash: Cash, chain) -> None:
    prog = cash.prog
    tree = ClaimTree(AMOUNTS)
    with reverts("UnknownRound", roundId=9):
        prog.claim(9, 1, AMOUNT, tree.proof(1), sender=cash.wallet(1))
    proposed = propose(cash, chain, Kind.MerkleClaim, root=tree.root, budget=100 * AMOUNT)
    with reverts("InvalidRoundStatus", roundId=proposed, status=RoundStatus.Proposed):
        prog.claim(proposed, 1, AMOUNT, tree.proof(1), sender=cash.wallet(1))
    prog.cancelRound(proposed, sender=cash.roles.disburser)
    with reverts("InvalidRoundStatus", roundId=proposed, status=RoundStatus.Cancelled):
        prog.claim(proposed, 1, AMOUNT, tree.proof(1), sender=cash.wallet(1))

    round_id = claim_round(cash, chain, tree, opens_in=DAY, lasts=DAY)
    info = round_info(prog, round_id)
    window = {"roundId": round_id, "opensAt": info["opensAt"], "closesAt": info["closesAt"]}
    with reverts("RoundNotOpen", **window):
        transact_at(
            chain, info["opensAt"] - 1, prog, "claim", round_id, 1, AMOUNT, tree.proof(1), sender=cash.wallet(1)
        )
    transact_at(chain, info["opensAt"], prog, "claim", round_id, 1, AMOUNT, tree.proof(1), sender=cash.wallet(1))
    transact_at(
        chain, info["closesAt"] - 1, prog, "claim", round_id, 2, 10 * USDC, tree.proof(2), sender=cash.wallet(2)
    )
    with reverts("RoundNotOpen", **window):
        transact_at(chain, info["closesAt"], prog, "claim", round_id, 3, 3 * USDC, tree.proof(3), sender=cash.wallet(3))
    prog.sweep(round_id, sender=cash.roles.stranger)
    assert prog.liveClaimRounds() == []
    with reverts("InvalidRoundStatus", roundId=round_id, status=RoundStatus.Closed):
        prog.claim(round_id, 3, 3 * USDC, tree.proof(3), sender=cash.wallet(3))


def test_claims_only_pay_merkle_claim_rounds(cash: Cash, chain) -> None:
    """A leaf proven against a push round's root never pays: only MerkleClaim rounds store nodes."""
    prog = cash.prog
    tree = ClaimTree(AMOUNTS)
    flat = open_round(cash, chain, budget=100 * AMOUNT)
    with reverts("WrongRoundKind", roundId=flat, kind=Kind.FlatPush):
        prog.claim(flat, 1, AMOUNT, tree.proof(1), sender=cash.wallet(1))
    listed = open_round(cash, chain, Kind.ListPush, root=tree.root, budget=100 * AMOUNT)
    with reverts("WrongRoundKind", roundId=listed, kind=Kind.ListPush):
        prog.claim(listed, 1, AMOUNT, tree.proof(1), sender=cash.wallet(1))


def test_claim_in_voucher_mode_credits_the_entitlement(vcash: Cash, chain) -> None:
    prog = vcash.prog
    tree = ClaimTree(AMOUNTS)
    round_id = claim_round(vcash, chain, tree)
    result = prog.claim(round_id, 2, 10 * USDC, tree.proof(2), sender=vcash.wallet(2))
    assert_event(result, "Paid", roundId=round_id, index=2, amount=10 * USDC)
    assert_no_event(result, "Transfer")
    assert tuple(prog.beneficiary(2))[2] == 10 * USDC
    assert balance(vcash, vcash.wallet(2)) == 0


# ----------------------------------------------------------------------------------------------------------------
# Merkle cap
# ----------------------------------------------------------------------------------------------------------------


def test_cap_in_one_chunk(cash: Cash, chain) -> None:
    prog, disburser = cash.prog, cash.roles.disburser
    tree = ClaimTree(AMOUNTS, cap_size=4)
    round_id = propose(cash, chain, Kind.MerkleClaim, root=tree.root, budget=100 * AMOUNT)
    result = prog.setClaimCap(round_id, 4, 0, tree.cap_nodes, sender=disburser)
    assert_event(result, "ClaimCapNodesStored", roundId=round_id, size=4, offset=0, count=4)
    assert_event(result, "ClaimCapSet", roundId=round_id, size=4)
    assert round_info(prog, round_id)["capSize"] == 4
    assert [prog.claimNode(round_id, p) for p in range(5)] == [*tree.cap_nodes, ZERO32]
    prog.approveRound(round_id, sender=cash.roles.approver)
    for index in (1, 2, 3, 4):  # one per residue
        assert len(tree.cap_proof(index)) < len(tree.proof(index))
        prog.claim(round_id, index, AMOUNTS[index], tree.cap_proof(index), sender=cash.wallet(index))
    prog.claim(round_id, 5, 1, tree.proof(5), sender=cash.wallet(5))  # a full proof still works
    with reverts("InvalidProof"):  # another leaf's short proof
        prog.claim(round_id, 6, 7 * USDC, tree.cap_proof(2), sender=cash.wallet(6))


def test_cap_in_chunks_is_in_use_only_once_complete(cash: Cash, chain) -> None:
    prog, disburser = cash.prog, cash.roles.disburser
    tree = ClaimTree(AMOUNTS, cap_size=8)
    round_id = propose(cash, chain, Kind.MerkleClaim, root=tree.root, budget=100 * AMOUNT)
    chunks = tree.cap_chunks(chunk=3)
    assert [(o, len(n)) for o, n in chunks] == [(0, 3), (3, 3), (6, 2)]
    for offset, nodes in chunks[:-1]:
        result = prog.setClaimCap(round_id, 8, offset, nodes, sender=disburser)
        assert_event(result, "ClaimCapNodesStored", roundId=round_id, size=8, offset=offset, count=3)
        assert_no_event(result, "ClaimCapSet")
        assert round_info(prog, round_id)["capSize"] == 1
        assert prog.claimNode(round_id, 0) == tree.root
    result = prog.setClaimCap(round_id, 8, 6, chunks[-1][1], sender=disburser)
    assert_event(result, "ClaimCapNodesStored", roundId=round_id, size=8, offset=6, count=2)
    assert_event(result, "ClaimCapSet", roundId=round_id, size=8)
    assert round_info(prog, round_id)["capSize"] == 8
    prog.approveRound(round_id, sender=cash.roles.approver)
    prog.claim(round_id, 6, 7 * USDC, tree.cap_proof(6), sender=cash.wallet(6))


def test_a_new_chunk_takes_the_cap_out_of_use(cash: Cash, chain) -> None:
    prog, disburser = cash.prog, cash.roles.disburser
    tree = ClaimTree(AMOUNTS, cap_size=4)
    round_id = propose(cash, chain, Kind.MerkleClaim, root=tree.root, budget=100 * AMOUNT)
    prog.setClaimCap(round_id, 4, 0, tree.cap_nodes, sender=disburser)
    assert round_info(prog, round_id)["capSize"] == 4
    # A chunk of an (unfinished) size-8 cap: the size-4 cap is out of use until a cap is complete again.
    prog.setClaimCap(round_id, 8, 0, ClaimTree(AMOUNTS, cap_size=8).cap_nodes[:4], sender=disburser)
    assert round_info(prog, round_id)["capSize"] == 1
    assert prog.claimNode(round_id, 0) == tree.root
    prog.approveRound(round_id, sender=cash.roles.approver)
    with reverts("InvalidProof"):
        prog.claim(round_id, 1, AMOUNT, tree.cap_proof(1), sender=cash.wallet(1))
    prog.claim(round_id, 1, AMOUNT, tree.proof(1), sender=cash.wallet(1))


def test_cap_is_rebuilt_by_resending_it(cash: Cash, chain) -> None:
    prog, disburser = cash.prog, cash.roles.disburser
    tree = ClaimTree(AMOUNTS, cap_size=4)
    round_id = propose(cash, chain, Kind.MerkleClaim, root=tree.root, budget=100 * AMOUNT)
    prog.setClaimCap(round_id, 4, 0, tree.cap_nodes[:2], sender=disburser)
    prog.setClaimCap(round_id, 2, 0, ClaimTree(AMOUNTS, cap_size=2).cap_nodes[:1], sender=disburser)
    # Completing the size-4 cap verifies all four stored nodes again (earlier chunks count).
    assert_event(prog.setClaimCap(round_id, 4, 2, tree.cap_nodes[2:], sender=disburser), "ClaimCapSet", size=4)
    assert round_info(prog, round_id)["capSize"] == 4
    prog.approveRound(round_id, sender=cash.roles.approver)
    prog.claim(round_id, 2, 10 * USDC, tree.cap_proof(2), sender=cash.wallet(2))


def test_misordered_cap_only_breaks_short_proofs_of_its_residues(cash: Cash, chain) -> None:
    """Sorted-pair hashing cannot see a swapped pair: the cap verifies, short proofs of those residues fail, full
    proofs still pay, and no leaf outside the tree ever verifies."""
    prog, disburser = cash.prog, cash.roles.disburser
    tree = ClaimTree(AMOUNTS, cap_size=4)
    nodes = tree.cap_nodes
    swapped = [nodes[1], nodes[0], nodes[2], nodes[3]]
    round_id = propose(cash, chain, Kind.MerkleClaim, root=tree.root, budget=100 * AMOUNT)
    assert_event(prog.setClaimCap(round_id, 4, 0, swapped, sender=disburser), "ClaimCapSet", size=4)
    prog.approveRound(round_id, sender=cash.roles.approver)
    with reverts("InvalidProof"):
        prog.claim(round_id, 4, AMOUNT, tree.cap_proof(4), sender=cash.wallet(4))  # residue 0
    prog.claim(round_id, 4, AMOUNT, tree.proof(4), sender=cash.wallet(4))
    prog.claim(round_id, 2, 10 * USDC, tree.cap_proof(2), sender=cash.wallet(2))  # residue 2 untouched


def test_cap_with_an_empty_residue(cash: Cash, chain) -> None:
    prog = cash.prog
    tree = ClaimTree({1: AMOUNT, 2: AMOUNT, 3: AMOUNT}, cap_size=4)  # residue 0 is empty: zero node
    assert tree.cap_nodes[0] == ZERO32
    round_id = claim_round(cash, chain, tree, cap=True)
    assert round_info(prog, round_id)["capSize"] == 4
    for index in (1, 2, 3):
        assert tree.cap_proof(index) == []  # alone in its subtree: the leaf is the cap node
        prog.claim(round_id, index, AMOUNT, [], sender=cash.wallet(index))


def test_largest_cap(cash: Cash, chain) -> None:
    """A 1,024-node cap over a 3,000-leaf tree: five chunks, then 2-hash proofs (full proofs: 12)."""
    prog = cash.prog
    amounts = {i: USDC for i in range(1, 3001)}
    tree = ClaimTree(amounts, cap_size=MAX_CLAIM_CAP)
    assert len(tree.cap_chunks()) == 5
    round_id = claim_round(cash, chain, tree, cap=True, budget=3000 * USDC)
    assert round_info(prog, round_id)["capSize"] == MAX_CLAIM_CAP
    assert prog.claimNode(round_id, MAX_CLAIM_CAP - 1) == tree.cap_nodes[-1]
    assert len(tree.cap_proof(5)) == 2 and len(tree.proof(5)) == 12
    prog.claim(round_id, 5, USDC, tree.cap_proof(5), sender=cash.wallet(5))


@pytest.mark.parametrize(
    ("size", "offset", "count"),
    [
        (1, 0, 1),
        (0, 0, 1),
        (3, 0, 3),
        (6, 0, 6),
        (2 * MAX_CLAIM_CAP, 0, 1),
        (4, 3, 2),
        (4, 4, 1),
        (2, 0, 3),
        (4, 2**256 - 1, 1),
        (4, 2**255, 2),
    ],
)
def test_cap_shape_rules(cash: Cash, chain, size: int, offset: int, count: int) -> None:
    tree = ClaimTree(AMOUNTS)
    round_id = propose(cash, chain, Kind.MerkleClaim, root=tree.root)
    with reverts("InvalidClaimCap"):
        cash.prog.setClaimCap(round_id, size, offset, [tree.leaf(1)] * count, sender=cash.roles.disburser)


def test_cap_must_hash_to_the_root(cash: Cash, chain) -> None:
    prog, disburser = cash.prog, cash.roles.disburser
    tree = ClaimTree(AMOUNTS, cap_size=4)
    round_id = propose(cash, chain, Kind.MerkleClaim, root=tree.root)
    wrong = ClaimTree({**AMOUNTS, 1: AMOUNT - 1}, cap_size=4).cap_nodes
    with reverts("InvalidClaimCap"):
        prog.setClaimCap(round_id, 4, 0, wrong, sender=disburser)
    with reverts("InvalidClaimCap"):  # a cap of another size of the right tree
        prog.setClaimCap(round_id, 2, 0, ClaimTree(AMOUNTS, cap_size=2).cap_nodes, sender=disburser)
    prog.setClaimCap(round_id, 4, 0, tree.cap_nodes[:3], sender=disburser)
    with reverts("InvalidClaimCap"):  # completing chunk with a wrong last node
        prog.setClaimCap(round_id, 4, 3, [ZERO32], sender=disburser)
    assert round_info(prog, round_id)["capSize"] == 1


def test_cap_chunk_size_and_round_rules(cash: Cash, chain) -> None:
    prog, disburser = cash.prog, cash.roles.disburser
    tree = ClaimTree(AMOUNTS)
    round_id = propose(cash, chain, Kind.MerkleClaim, root=tree.root)
    with reverts("EmptyBatch"):
        prog.setClaimCap(round_id, 4, 0, [], sender=disburser)
    with reverts("BatchTooLarge", size=MAX_BATCH + 1, max=MAX_BATCH):
        prog.setClaimCap(round_id, MAX_CLAIM_CAP, 0, [ZERO32] * (MAX_BATCH + 1), sender=disburser)
    with reverts("UnknownRound", roundId=31):
        prog.setClaimCap(31, 4, 0, [ZERO32], sender=disburser)
    flat = propose(cash, chain)
    with reverts("WrongRoundKind", roundId=flat, kind=Kind.FlatPush):
        prog.setClaimCap(flat, 4, 0, [ZERO32], sender=disburser)
    listed = propose(cash, chain, Kind.ListPush, root=claim_leaf(1, 1))
    with reverts("WrongRoundKind", roundId=listed, kind=Kind.ListPush):
        prog.setClaimCap(listed, 4, 0, [ZERO32], sender=disburser)
    prog.approveRound(round_id, sender=cash.roles.approver)
    with reverts("InvalidRoundStatus", roundId=round_id, status=RoundStatus.Approved):
        prog.setClaimCap(round_id, 4, 0, [ZERO32], sender=disburser)
