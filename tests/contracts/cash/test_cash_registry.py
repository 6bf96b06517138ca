"""CashProgramme beneficiary registry: enrolment (single, batch), suspend, reinstate, remove, wallet recovery (and
the stolen-wallet procedure: suspend, request, the wallet cannot cancel, execute, reinstate)."""

from __future__ import annotations

import pytest
from cash_helpers import (
    ADMIN_ROLE,
    AMOUNT,
    APPROVER_ROLE,
    MAX_ENROL_BATCH,
    N_BENEFICIARIES,
    RECOVERY_DELAY,
    REGISTRAR_ROLE,
    ZERO32,
    ZERO_ADDRESS,
    BStatus,
    Cash,
    address_of,
    balance,
    make_wallet,
    open_round,
    person,
)

from pilotkit.testing.assertions import assert_event, assert_no_event, reverts


def test_fixture_enrolled_six_beneficiaries(cash: Cash) -> None:
    prog = cash.prog
    assert prog.beneficiaryCount() == N_BENEFICIARIES
    for index in range(1, N_BENEFICIARIES + 1):
        assert prog.beneficiaryIndex(cash.id(index)) == index
        assert prog.indexOfWallet(cash.wallet(index).address) == index
        assert tuple(prog.beneficiary(index)) == (cash.wallet(index).address, BStatus.Active, 0)


def test_unknown_lookups_are_zero(cash: Cash) -> None:
    prog = cash.prog
    assert prog.beneficiaryIndex(person("nobody")) == 0
    assert prog.indexOfWallet(address_of("nobody")) == 0
    assert tuple(prog.beneficiary(999)) == (ZERO_ADDRESS, BStatus.NONE, 0)
    assert tuple(prog.pendingRecovery(1)) == (ZERO_ADDRESS, 0)


def test_enrol_assigns_the_next_index(cash: Cash) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    wallet = address_of("enrol-1")
    index = prog.enrol.call(person("enrol-1"), wallet, sender=registrar)
    assert index == N_BENEFICIARIES + 1
    result = prog.enrol(person("enrol-1"), wallet, sender=registrar)
    assert_event(result, "BeneficiaryEnrolled", id=person("enrol-1"), index=index, wallet=wallet)
    assert prog.beneficiaryCount() == index
    assert tuple(prog.beneficiary(index)) == (wallet, BStatus.Active, 0)


def test_enrol_batch_assigns_consecutive_indexes(cash: Cash) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    ids = [person(f"batch-{i}") for i in range(5)]
    wallets = [address_of(f"batch-{i}") for i in range(5)]
    first = prog.enrolBatch.call(ids, wallets, sender=registrar)
    assert first == N_BENEFICIARIES + 1
    result = prog.enrolBatch(ids, wallets, sender=registrar)
    enrolled = result.events_named("BeneficiaryEnrolled")
    assert [(e["id"], e["index"], e["wallet"]) for e in enrolled] == [
        ("0x" + i.hex(), first + n, w) for n, (i, w) in enumerate(zip(ids, wallets, strict=True))
    ]
    assert prog.beneficiaryCount() == first + 4


def test_enrol_rejections(cash: Cash) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    with reverts("InvalidBeneficiaryId"):
        prog.enrol(ZERO32, address_of("x"), sender=registrar)
    with reverts("BeneficiaryAlreadyEnrolled", id=cash.id(1)):
        prog.enrol(cash.id(1), address_of("x"), sender=registrar)
    with reverts("InvalidWallet", wallet=ZERO_ADDRESS):
        prog.enrol(person("x"), ZERO_ADDRESS, sender=registrar)
    with reverts("InvalidWallet", wallet=prog.address):
        prog.enrol(person("x"), prog.address, sender=registrar)
    with reverts("WalletAlreadyBound", wallet=cash.wallet(2).address):
        prog.enrol(person("x"), cash.wallet(2).address, sender=registrar)


def test_enrol_batch_rejections(cash: Cash) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    with reverts("LengthMismatch", first=2, second=1):
        prog.enrolBatch([person("a"), person("b")], [address_of("a")], sender=registrar)
    with reverts("EmptyBatch"):
        prog.enrolBatch([], [], sender=registrar)
    n = MAX_ENROL_BATCH + 1
    with reverts("BatchTooLarge", size=n, max=MAX_ENROL_BATCH):
        prog.enrolBatch(
            [person(f"big-{i}") for i in range(n)], [address_of(f"big-{i}") for i in range(n)], sender=registrar
        )
    # One bad item reverts the whole batch: duplicate id inside the batch, duplicate wallet inside the batch.
    with reverts("BeneficiaryAlreadyEnrolled", id=person("dup")):
        prog.enrolBatch([person("dup"), person("dup")], [address_of("d1"), address_of("d2")], sender=registrar)
    with reverts("WalletAlreadyBound", wallet=address_of("same")):
        prog.enrolBatch([person("s1"), person("s2")], [address_of("same"), address_of("same")], sender=registrar)
    with reverts("InvalidBeneficiaryId"):
        prog.enrolBatch([person("ok"), ZERO32], [address_of("ok"), address_of("z")], sender=registrar)
    assert prog.beneficiaryCount() == N_BENEFICIARIES


def test_largest_enrol_batch_fits(cash: Cash) -> None:
    prog = cash.prog
    n = MAX_ENROL_BATCH
    result = prog.enrolBatch(
        [person(f"max-{i}") for i in range(n)], [address_of(f"max-{i}") for i in range(n)], sender=cash.roles.registrar
    )
    assert len(result.events_named("BeneficiaryEnrolled")) == n
    assert result.gas_used < 15_000_000


def test_suspend_reinstate(cash: Cash) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    assert_event(prog.suspend(cash.id(2), 7, sender=registrar), "BeneficiarySuspended", index=2, reasonCode=7)
    assert tuple(prog.beneficiary(2))[1] == BStatus.Suspended
    with reverts("InvalidBeneficiaryStatus", index=2, status=BStatus.Suspended):
        prog.suspend(cash.id(2), 7, sender=registrar)
    assert_event(prog.reinstate(cash.id(2), sender=registrar), "BeneficiaryReinstated", index=2)
    assert tuple(prog.beneficiary(2))[1] == BStatus.Active
    with reverts("InvalidBeneficiaryStatus", index=2, status=BStatus.Active):
        prog.reinstate(cash.id(2), sender=registrar)
    with reverts("UnknownBeneficiary", id=person("ghost")):
        prog.suspend(person("ghost"), 1, sender=registrar)
    with reverts("UnknownBeneficiary", id=person("ghost")):
        prog.reinstate(person("ghost"), sender=registrar)


def test_remove_is_final(cash: Cash) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    wallet = cash.wallet(3).address
    result = prog.remove(cash.id(3), 9, sender=registrar)
    assert_event(result, "BeneficiaryRemoved", index=3, reasonCode=9)
    assert_no_event(result, "WalletRecoveryCancelled")
    assert tuple(prog.beneficiary(3)) == (ZERO_ADDRESS, BStatus.Removed, 0)
    assert prog.indexOfWallet(wallet) == 0
    assert prog.beneficiaryIndex(cash.id(3)) == 3  # the id stays known, so it can never be enrolled again
    with reverts("BeneficiaryAlreadyEnrolled", id=cash.id(3)):
        prog.enrol(cash.id(3), address_of("new"), sender=registrar)
    for call in (
        lambda: prog.remove(cash.id(3), 1, sender=registrar),
        lambda: prog.suspend(cash.id(3), 1, sender=registrar),
        lambda: prog.reinstate(cash.id(3), sender=registrar),
        lambda: prog.requestWalletRecovery(cash.id(3), address_of("new"), sender=registrar),
    ):
        with reverts("InvalidBeneficiaryStatus", index=3, status=BStatus.Removed):
            call()
    # The unbound wallet may serve someone else.
    prog.enrol(person("successor"), wallet, sender=registrar)
    with reverts("UnknownBeneficiary", id=person("ghost")):
        prog.remove(person("ghost"), 1, sender=registrar)


def test_remove_suspended_beneficiary(cash: Cash) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    prog.suspend(cash.id(4), 1, sender=registrar)
    assert_event(prog.remove(cash.id(4), 2, sender=registrar), "BeneficiaryRemoved", index=4, reasonCode=2)


# ----------------------------------------------------------------------------------------------------------------
# Wallet recovery
# ----------------------------------------------------------------------------------------------------------------


def test_wallet_recovery_lifecycle(cash: Cash, chain) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    old, new = cash.wallet(1).address, make_wallet("recovered-1").address
    result = prog.requestWalletRecovery(cash.id(1), new, sender=registrar)
    request_time = prog.web3.eth.get_block(result.block_number)["timestamp"]
    assert_event(
        result,
        "WalletRecoveryRequested",
        index=1,
        oldWallet=old,
        newWallet=new,
        executableAt=request_time + RECOVERY_DELAY,
    )
    assert tuple(prog.pendingRecovery(1)) == (new, request_time + RECOVERY_DELAY)
    with reverts("RecoveryAlreadyPending", index=1):
        prog.requestWalletRecovery(cash.id(1), make_wallet("other").address, sender=registrar)
    assert tuple(prog.recoveryConfirmation(1)) == (registrar.address, False)
    assert_event(prog.confirmWalletRecovery(cash.id(1), sender=cash.roles.approver), "WalletRecoveryConfirmed",
                 index=1, by=cash.roles.approver)
    assert tuple(prog.recoveryConfirmation(1)) == (registrar.address, True)

    # Not before the delay (the last second before it included).
    with reverts("RecoveryNotReady", index=1, executableAt=request_time + RECOVERY_DELAY):
        prog.executeWalletRecovery(cash.id(1), sender=cash.roles.stranger)
    chain.set_next_timestamp(request_time + RECOVERY_DELAY - 1)
    with reverts("RecoveryNotReady", index=1, executableAt=request_time + RECOVERY_DELAY):
        prog.executeWalletRecovery(cash.id(1), sender=cash.roles.stranger)

    # Anyone may execute once the delay has passed.
    chain.sleep(RECOVERY_DELAY)
    result = prog.executeWalletRecovery(cash.id(1), sender=cash.roles.stranger)
    assert_event(result, "WalletRecovered", index=1, oldWallet=old, newWallet=new)
    assert tuple(prog.beneficiary(1))[0] == new
    assert prog.indexOfWallet(new) == 1
    assert prog.indexOfWallet(old) == 0
    assert tuple(prog.pendingRecovery(1)) == (ZERO_ADDRESS, 0)
    with reverts("NoPendingRecovery", index=1):
        prog.executeWalletRecovery(cash.id(1), sender=cash.roles.stranger)


@pytest.mark.parametrize("canceller", ["registrar", "admin", "wallet"])
def test_wallet_recovery_cancellable_during_delay(cash: Cash, chain, canceller: str) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    new = make_wallet("recovered-2").address
    prog.requestWalletRecovery(cash.id(2), new, sender=registrar)
    chain.sleep(RECOVERY_DELAY // 2)
    who = cash.wallet(2) if canceller == "wallet" else getattr(cash.roles, canceller)
    result = prog.cancelWalletRecovery(cash.id(2), sender=who)
    assert_event(result, "WalletRecoveryCancelled", index=2, by=who)
    assert tuple(prog.pendingRecovery(2)) == (ZERO_ADDRESS, 0)
    chain.sleep(RECOVERY_DELAY)
    with reverts("NoPendingRecovery", index=2):
        prog.executeWalletRecovery(cash.id(2), sender=cash.roles.stranger)
    with reverts("NoPendingRecovery", index=2):
        prog.cancelWalletRecovery(cash.id(2), sender=registrar)
    assert tuple(prog.beneficiary(2))[0] == cash.wallet(2).address


def test_wallet_recovery_cancel_not_allowed_for_others(cash: Cash) -> None:
    prog, roles = cash.prog, cash.roles
    prog.requestWalletRecovery(cash.id(2), make_wallet("recovered-3").address, sender=roles.registrar)
    for who in (roles.stranger, roles.disburser, roles.approver, roles.pauser, cash.wallet(3)):
        with reverts("RecoveryCancelNotAllowed", caller=who):
            prog.cancelWalletRecovery(cash.id(2), sender=who)
    # The wallet to be bound may not cancel either (it is not bound yet).
    assert prog.hasRole(REGISTRAR_ROLE, roles.registrar.address) and prog.hasRole(ADMIN_ROLE, roles.admin.address)


def test_wallet_recovery_rejections(cash: Cash, chain) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    with reverts("UnknownBeneficiary", id=person("ghost")):
        prog.requestWalletRecovery(person("ghost"), address_of("n"), sender=registrar)
    with reverts("UnknownBeneficiary", id=person("ghost")):
        prog.cancelWalletRecovery(person("ghost"), sender=registrar)
    with reverts("UnknownBeneficiary", id=person("ghost")):
        prog.executeWalletRecovery(person("ghost"), sender=registrar)
    with reverts("InvalidWallet", wallet=ZERO_ADDRESS):
        prog.requestWalletRecovery(cash.id(1), ZERO_ADDRESS, sender=registrar)
    with reverts("InvalidWallet", wallet=prog.address):
        prog.requestWalletRecovery(cash.id(1), prog.address, sender=registrar)
    with reverts("WalletAlreadyBound", wallet=cash.wallet(2).address):
        prog.requestWalletRecovery(cash.id(1), cash.wallet(2).address, sender=registrar)
    with reverts("WalletAlreadyBound", wallet=cash.wallet(1).address):
        prog.requestWalletRecovery(cash.id(1), cash.wallet(1).address, sender=registrar)
    with reverts("NoPendingRecovery", index=1):
        prog.cancelWalletRecovery(cash.id(1), sender=registrar)
    # The new wallet gets bound elsewhere during the delay: execution is refused.
    taken = address_of("taken-later")
    prog.requestWalletRecovery(cash.id(1), taken, sender=registrar)
    prog.confirmWalletRecovery(cash.id(1), sender=cash.roles.approver)
    prog.enrol(person("late"), taken, sender=registrar)
    chain.sleep(RECOVERY_DELAY)
    with reverts("WalletAlreadyBound", wallet=taken):
        prog.executeWalletRecovery(cash.id(1), sender=registrar)


def test_wallet_recovery_of_suspended_beneficiary(cash: Cash, chain) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    prog.suspend(cash.id(5), 3, sender=registrar)
    new = address_of("suspended-new")
    prog.requestWalletRecovery(cash.id(5), new, sender=registrar)
    prog.confirmWalletRecovery(cash.id(5), sender=cash.roles.approver)
    chain.sleep(RECOVERY_DELAY)
    prog.executeWalletRecovery(cash.id(5), sender=registrar)
    assert tuple(prog.beneficiary(5)) == (new, BStatus.Suspended, 0)


def test_remove_drops_pending_recovery(cash: Cash, chain) -> None:
    prog, registrar = cash.prog, cash.roles.registrar
    prog.requestWalletRecovery(cash.id(6), address_of("never"), sender=registrar)
    result = prog.remove(cash.id(6), 4, sender=registrar)
    assert_event(result, "BeneficiaryRemoved", index=6, reasonCode=4)
    assert_event(result, "WalletRecoveryCancelled", index=6, by=registrar)
    assert tuple(prog.pendingRecovery(6)) == (ZERO_ADDRESS, 0)
    chain.sleep(RECOVERY_DELAY)
    with reverts("NoPendingRecovery", index=6):
        prog.executeWalletRecovery(cash.id(6), sender=registrar)


# ----------------------------------------------------------------------------------------------------------------
# Stolen wallet: the bound wallet may cancel a recovery only while its beneficiary is Active
# ----------------------------------------------------------------------------------------------------------------


def test_stolen_wallet_cannot_block_recovery(cash: Cash, chain) -> None:
    """The documented procedure: suspend (payments stop) -> request -> the wallet cannot cancel -> execute after
    the delay -> reinstate. The thief's wallet is left with nothing; the new wallet is paid."""
    prog, roles = cash.prog, cash.roles
    stolen, new = cash.wallet(2), make_wallet("after-theft")
    chain.set_balance(new.address, 10**18)
    round_id = open_round(cash, chain, budget=10 * AMOUNT)

    assert_event(prog.suspend(cash.id(2), 11, sender=roles.registrar), "BeneficiarySuspended", index=2)
    result = prog.payFlat(round_id, [2], sender=roles.disburser)
    assert_event(result, "PaymentSkipped", roundId=round_id, index=2)  # payments stop at once
    prog.requestWalletRecovery(cash.id(2), new.address, sender=roles.registrar)
    with reverts("WalletCannotCancelRecovery", index=2, status=BStatus.Suspended):
        prog.cancelWalletRecovery(cash.id(2), sender=stolen)
    prog.confirmWalletRecovery(cash.id(2), sender=roles.approver)
    chain.sleep(RECOVERY_DELAY)
    with reverts("WalletCannotCancelRecovery", index=2, status=BStatus.Suspended):
        prog.cancelWalletRecovery(cash.id(2), sender=stolen)  # not even at the last moment
    assert_event(
        prog.executeWalletRecovery(cash.id(2), sender=roles.stranger),
        "WalletRecovered",
        index=2,
        oldWallet=stolen,
        newWallet=new,
    )
    assert_event(prog.reinstate(cash.id(2), sender=roles.registrar), "BeneficiaryReinstated", index=2)
    assert tuple(prog.beneficiary(2)) == (new.address, BStatus.Active, 0)
    assert prog.indexOfWallet(stolen.address) == 0

    before = balance(cash, stolen)
    prog.payFlat(round_id, [2], sender=roles.disburser)
    assert balance(cash, new) == AMOUNT
    assert balance(cash, stolen) == before
    # The old wallet is a stranger now: it cannot cancel a later recovery either.
    prog.requestWalletRecovery(cash.id(2), address_of("later"), sender=roles.registrar)
    with reverts("RecoveryCancelNotAllowed", caller=stolen):
        prog.cancelWalletRecovery(cash.id(2), sender=stolen)
    # ... while the new owner, Active again, can.
    assert_event(prog.cancelWalletRecovery(cash.id(2), sender=new), "WalletRecoveryCancelled", index=2, by=new)


@pytest.mark.parametrize("canceller", ["registrar", "admin"])
def test_registrar_and_admin_can_cancel_while_suspended(cash: Cash, chain, canceller: str) -> None:
    prog, roles = cash.prog, cash.roles
    prog.suspend(cash.id(3), 1, sender=roles.registrar)
    prog.requestWalletRecovery(cash.id(3), address_of("wrong-target"), sender=roles.registrar)
    who = getattr(roles, canceller)
    result = prog.cancelWalletRecovery(cash.id(3), sender=who)
    assert_event(result, "WalletRecoveryCancelled", index=3, by=who)
    assert tuple(prog.pendingRecovery(3)) == (ZERO_ADDRESS, 0)
    assert tuple(prog.beneficiary(3)) == (cash.wallet(3).address, BStatus.Suspended, 0)


def test_others_still_get_cancel_not_allowed_while_suspended(cash: Cash, chain) -> None:
    """Only the bound wallet gets the new error; everyone else (the wallet to be bound included) keeps getting
    RecoveryCancelNotAllowed."""
    prog, roles = cash.prog, cash.roles
    pending = make_wallet("pending-while-suspended")
    chain.set_balance(pending.address, 10**18)
    prog.suspend(cash.id(4), 1, sender=roles.registrar)
    prog.requestWalletRecovery(cash.id(4), pending.address, sender=roles.registrar)
    for who in (roles.stranger, roles.disburser, roles.approver, roles.pauser, cash.wallet(5), pending):
        with reverts("RecoveryCancelNotAllowed", caller=who):
            prog.cancelWalletRecovery(cash.id(4), sender=who)
    with reverts("WalletCannotCancelRecovery", index=4, status=BStatus.Suspended):
        prog.cancelWalletRecovery(cash.id(4), sender=cash.wallet(4))


def test_wallet_cancel_right_follows_the_status_at_cancel_time(cash: Cash) -> None:
    """A hostile re-binding of an Active beneficiary stays cancellable by its owner; suspension takes that right
    away, reinstatement gives it back (the status when cancelling is what counts, not when requesting)."""
    prog, roles = cash.prog, cash.roles
    owner = cash.wallet(1)
    prog.requestWalletRecovery(cash.id(1), address_of("hostile"), sender=roles.registrar)
    prog.suspend(cash.id(1), 1, sender=roles.registrar)
    with reverts("WalletCannotCancelRecovery", index=1, status=BStatus.Suspended):
        prog.cancelWalletRecovery(cash.id(1), sender=owner)
    prog.reinstate(cash.id(1), sender=roles.registrar)
    assert_event(prog.cancelWalletRecovery(cash.id(1), sender=owner), "WalletRecoveryCancelled", index=1, by=owner)
    assert tuple(prog.pendingRecovery(1)) == (ZERO_ADDRESS, 0)


def test_role_holder_that_is_also_the_wallet_cancels_by_role(cash: Cash, chain) -> None:
    """Roles are checked whatever the status: a registrar whose own wallet is enrolled and suspended may cancel."""
    prog, roles = cash.prog, cash.roles
    prog.enrol(person("registrar-self"), roles.registrar.address, sender=roles.registrar)
    prog.suspend(person("registrar-self"), 1, sender=roles.registrar)
    prog.requestWalletRecovery(person("registrar-self"), address_of("registrar-new"), sender=roles.registrar)
    index = prog.beneficiaryIndex(person("registrar-self"))
    result = prog.cancelWalletRecovery(person("registrar-self"), sender=roles.registrar)
    assert_event(result, "WalletRecoveryCancelled", index=index, by=roles.registrar)


# ----------------------------------------------------------------------------------------------------------------
# Four eyes on recovery (review finding 7): the registrar alone can no longer redirect a beneficiary's money
# ----------------------------------------------------------------------------------------------------------------


def test_registrar_alone_cannot_redirect_money(cash: Cash, chain) -> None:
    """Suspend -> request -> wait -> execute used to re-bind the wallet with no one else involved."""
    prog, roles = cash.prog, cash.roles
    hostile = address_of("registrar-controlled")
    prog.suspend(cash.id(3), 1, sender=roles.registrar)
    prog.requestWalletRecovery(cash.id(3), hostile, sender=roles.registrar)
    chain.sleep(RECOVERY_DELAY)
    with reverts("RecoveryNotConfirmed", index=3):
        prog.executeWalletRecovery(cash.id(3), sender=roles.registrar)
    with reverts("RecoveryNotConfirmed", index=3):
        prog.executeWalletRecovery(cash.id(3), sender=roles.stranger)
    assert tuple(prog.beneficiary(3))[0] == cash.wallet(3).address


def test_recovery_confirmation_rules(cash: Cash, chain, accounts) -> None:
    prog, roles = cash.prog, cash.roles
    with reverts("NoPendingRecovery", index=1):
        prog.confirmWalletRecovery(cash.id(1), sender=roles.approver)
    prog.requestWalletRecovery(cash.id(1), address_of("confirm-rules"), sender=roles.registrar)
    for who in (roles.registrar, roles.disburser, roles.pauser, roles.stranger, cash.wallet(1)):
        with reverts("AccessControlUnauthorizedAccount"):
            prog.confirmWalletRecovery(cash.id(1), sender=who)
    with reverts("UnknownBeneficiary", id=person("ghost")):
        prog.confirmWalletRecovery(person("ghost"), sender=roles.approver)
    # A registrar that is also an approver cannot confirm its own request.
    prog.grantRole(APPROVER_ROLE, roles.registrar.address, sender=roles.admin)
    with reverts("RecoveryConfirmerIsRequester", index=1, account=roles.registrar):
        prog.confirmWalletRecovery(cash.id(1), sender=roles.registrar)
    # The admin may confirm (as may any approver), once.
    assert_event(prog.confirmWalletRecovery(cash.id(1), sender=roles.admin), "WalletRecoveryConfirmed", index=1,
                 by=roles.admin)
    with reverts("RecoveryAlreadyConfirmed", index=1):
        prog.confirmWalletRecovery(cash.id(1), sender=roles.approver)
    # Confirmation does not shorten the delay.
    with reverts("RecoveryNotReady"):
        prog.executeWalletRecovery(cash.id(1), sender=roles.stranger)
    # A confirmed recovery can still be vetoed by the Active bound wallet.
    assert_event(prog.cancelWalletRecovery(cash.id(1), sender=cash.wallet(1)), "WalletRecoveryCancelled", index=1)
    assert tuple(prog.recoveryConfirmation(1)) == (ZERO_ADDRESS, False)
    # A new request starts unconfirmed.
    prog.requestWalletRecovery(cash.id(1), address_of("confirm-rules-2"), sender=roles.registrar)
    chain.sleep(RECOVERY_DELAY)
    with reverts("RecoveryNotConfirmed", index=1):
        prog.executeWalletRecovery(cash.id(1), sender=roles.stranger)
