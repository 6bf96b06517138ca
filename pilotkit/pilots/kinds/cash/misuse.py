"""The cash kind's misuse attempts: double and late claims, replayed and forged signatures, paying the
suspended, self-approval, voucher abuse, paying while paused, a thief cancelling a wallet recovery."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pilotkit.cash_claims import beneficiary_id
from pilotkit.pilots.kinds.cash.state import NAME, SKIP_REASONS, Round, state
from pilotkit.pilots.kinds.cash.steps import claim_signature, credit, propose, spend_digest, window
from pilotkit.pilots.kit import Impossible, tx

if TYPE_CHECKING:
    from pilotkit.pilots.kit import Attempt, Engine, Observed
    from pilotkit.pilots.model import Step


def _round(engine: Engine, step: Step, kind: str) -> Round:
    rounds = state(engine).rounds
    label = step.get("round")
    if label:
        return rounds[label]
    matching = [r for r in rounds.values() if r.kind == kind or (kind == "push" and r.kind == "list")]
    if not matching:
        raise Impossible(f"needs an earlier {kind} round")
    return matching[-1]


def _proof(info: Round, index: int) -> list[bytes]:
    assert info.tree is not None
    return info.tree.cap_proof(index) if info.tree.cap_size > 1 else info.tree.proof(index)


def double_claim(engine: Engine, step: Step) -> tuple[str, Observed]:
    info = _round(engine, step, "claim")
    if not info.paid:
        raise Impossible(f"round '{info.label}' has no claim to repeat")
    index = int(step.get("beneficiary", min(info.paid)))
    return (f"beneficiary {index} claims round '{info.label}' a second time",
            tx(engine, NAME, "claim", info.round_id, index, info.amount, _proof(info, index),
               sender=state(engine).wallet(index)))


def claim_after_window(engine: Engine, step: Step) -> tuple[str, Observed]:
    s = state(engine)
    info = _round(engine, step, "claim")
    unpaid = [i for i in info.recipients if i not in info.paid and s.status[i] == "Active"] or info.recipients
    index = int(step.get("beneficiary", unpaid[0]))
    engine.advance_to(info.closes)
    return (f"beneficiary {index} claims round '{info.label}' after it closed (chain time moved to its close)",
            tx(engine, NAME, "claim", info.round_id, index, info.amount, _proof(info, index),
               sender=s.wallet(index)))


def replayed_signature(engine: Engine, step: Step) -> tuple[str, Observed]:
    op = state(engine).last_relayed
    if op is None:
        raise Impossible("needs an earlier relayed claim or voucher spend (relayed_share > 0)")
    return (f"{op.sender.label} re-submits an already used {op.function} signature",
            tx(engine, op.contract, op.function, *op.args, sender=op.sender))


def forged_signature(engine: Engine, step: Step) -> tuple[str, Observed]:
    s = state(engine)
    stranger = engine.role["stranger"]
    claim_rounds = [r for r in s.rounds.values() if r.kind == "claim"]
    if claim_rounds or step.get("round"):
        info = _round(engine, step, "claim")
        unpaid = [i for i in info.recipients if i not in info.paid] or info.recipients
        index = int(step.get("beneficiary", unpaid[0]))
        signature = claim_signature(engine, stranger, info, index)
        return (f"a relayer submits a claim for beneficiary {index} signed by an outsider's key",
                tx(engine, NAME, "claimFor", info.round_id, index, info.amount, _proof(info, index), info.closes,
                   signature, sender=engine.role["relayer"]))
    merchant = next((m for m in s.merchants if m.address in s.merchant_balance), None)
    if merchant is None:
        raise Impossible("needs a claim round or an approved merchant")
    index = int(step.get("beneficiary", 1))
    deadline = engine.clock.now + 86_400
    message = spend_digest(engine, index, merchant.address, 1, deadline)
    return (f"a merchant till submits a spend for beneficiary {index} signed by an outsider's key",
            tx(engine, NAME, "spendFor", index, merchant.address, 1, deadline, stranger.sign_digest(message),
               sender=merchant))


def unauthorised_enrol(engine: Engine, step: Step) -> tuple[str, Observed]:
    """`unauthorised_role` against the programme: an account without the registrar role enrols someone."""
    stranger = engine.role["stranger"]
    fake = beneficiary_id(state(engine).secret, "not-a-real-person")
    return ("an account without the registrar role enrols a beneficiary",
            tx(engine, NAME, "enrol", fake, stranger.address, sender=stranger))


def pay_suspended(engine: Engine, step: Step) -> tuple[str, Observed]:
    s = state(engine)
    info = _round(engine, step, "push")
    suspended = [i for i, st in sorted(s.status.items()) if st == "Suspended"]
    index = int(step.get("beneficiary", suspended[0] if suspended else 0))
    if not index:
        raise Impossible("needs a suspended beneficiary")
    pending = engine.send(NAME, "payFlat", info.round_id, [index], sender=engine.role["disburser"])
    engine.flush()
    description = f"the disburser pushes a payment to suspended beneficiary {index} in round '{info.label}'"
    if not pending.ok:
        return description, ("error", pending.error or "reverted", pending)
    skipped = [e for e in pending.events_named("PaymentSkipped") if int(e["index"]) == index]
    if skipped:
        return description, ("skipped", SKIP_REASONS[int(skipped[0]["reason"])], pending)
    credit(engine, info, index, pending.timestamp)
    return description, ("none", "paid", pending)


def claim_suspended(engine: Engine, step: Step) -> tuple[str, Observed]:
    s = state(engine)
    info = _round(engine, step, "claim")
    suspended = [i for i in info.recipients if s.status[i] == "Suspended"]
    index = int(step.get("beneficiary", suspended[0] if suspended else 0))
    if not index:
        raise Impossible("needs a suspended beneficiary among the round's recipients")
    return (f"suspended beneficiary {index} claims round '{info.label}'",
            tx(engine, NAME, "claim", info.round_id, index, info.amount, _proof(info, index),
               sender=s.wallet(index)))


def self_approval(engine: Engine, step: Step) -> tuple[str, Observed]:
    supervisor = engine.role["supervisor"]
    opens, closes = window(engine, 86_400)
    round_id, _ = propose(engine, "push", 10**6, 10**6, opens, closes, bytes(32), supervisor)
    engine.flush()
    observed = tx(engine, NAME, "approveRound", round_id, sender=supervisor)
    engine.send(NAME, "cancelRound", round_id, sender=supervisor)
    engine.flush()
    return ("an officer holding both the disburser and approver roles approves a round it proposed itself "
            "(then cancels it)", observed)


def _voucher_holder(engine: Engine, step: Step) -> int:
    s = state(engine)
    holders = [i for i, v in sorted(s.entitlement.items()) if v > 0 and s.status[i] == "Active"]
    index = int(step.get("beneficiary", holders[0] if holders else 0))
    if not index:
        raise Impossible("needs a beneficiary with a voucher entitlement")
    return index


def spend_unapproved_merchant(engine: Engine, step: Step) -> tuple[str, Observed]:
    index = _voucher_holder(engine, step)
    return (f"beneficiary {index} spends its voucher at a shop that is not an approved merchant",
            tx(engine, NAME, "spend", engine.role["stranger"].address, 10**6, sender=state(engine).wallet(index)))


def overspend_voucher(engine: Engine, step: Step) -> tuple[str, Observed]:
    s = state(engine)
    index = _voucher_holder(engine, step)
    merchant = next((m for m in s.merchants if m.address in s.merchant_balance), None)
    if merchant is None:
        raise Impossible("needs an approved merchant")
    return (f"beneficiary {index} spends more than its entitlement",
            tx(engine, NAME, "spend", merchant.address, s.entitlement[index] + 1, sender=s.wallet(index)))


def paused_payment(engine: Engine, step: Step) -> tuple[str, Observed]:
    s = state(engine)
    active = [i for i, st in sorted(s.status.items()) if st == "Active"] or [1]
    open_rounds = [r for r in s.rounds.values() if r.opens <= engine.clock.now < r.closes]
    push = [r for r in open_rounds if r.kind == "push"]
    if push:
        return (f"the disburser pushes a payment while the programme is paused (round '{push[-1].label}')",
                tx(engine, NAME, "payFlat", push[-1].round_id, [active[0]], sender=engine.role["disburser"]))
    claims = [r for r in open_rounds if r.kind == "claim"]
    if claims:
        info = claims[-1]
        index = next((i for i in info.recipients if i not in info.paid), info.recipients[0])
        return (f"beneficiary {index} claims while the programme is paused",
                tx(engine, NAME, "claim", info.round_id, index, info.amount, _proof(info, index),
                   sender=s.wallet(index)))
    index = _voucher_holder(engine, step)
    merchant = next(m for m in s.merchants if m.address in s.merchant_balance)
    return (f"beneficiary {index} spends a voucher while the programme is paused",
            tx(engine, NAME, "spend", merchant.address, 10**6, sender=s.wallet(index)))


def thief_cancels_recovery(engine: Engine, step: Step) -> tuple[str, Observed]:
    s = state(engine)
    index = int(step.get("beneficiary", 1))
    registrar = engine.role["registrar"]
    bid = s.ids[index - 1]
    if s.status[index] == "Active":
        engine.send(NAME, "suspend", bid, 7, sender=registrar)
        s.status[index] = "Suspended"
    new_wallet = engine.derive(f"beneficiary-{index}-recovered-{s.recoveries + 1}")
    engine.send(NAME, "requestWalletRecovery", bid, new_wallet.address, sender=registrar)
    engine.flush()
    s.pending_wallets[index] = new_wallet
    return (f"a thief holding beneficiary {index}'s stolen wallet tries to cancel its recovery",
            tx(engine, NAME, "cancelWalletRecovery", bid, sender=s.wallet(index)))


def registrar_alone_recovers(engine: Engine, step: Step) -> tuple[str, Observed]:
    """Review finding 7: a registrar that suspends, requests a recovery and waits out the delay still cannot
    re-bind the wallet without an approver's (or the admin's) confirmation."""
    s = state(engine)
    index = int(step.get("beneficiary", 1))
    registrar = engine.role["registrar"]
    bid = s.ids[index - 1]
    if s.status[index] == "Active":
        engine.send(NAME, "suspend", bid, 7, sender=registrar)
        s.status[index] = "Suspended"
    if index not in s.pending_wallets:
        new_wallet = engine.derive(f"beneficiary-{index}-recovered-{s.recoveries + 1}")
        engine.send(NAME, "requestWalletRecovery", bid, new_wallet.address, sender=registrar)
        s.pending_wallets[index] = new_wallet
    engine.flush()
    engine.advance_to(engine.clock.now + engine.scenario.programme.recovery_delay)
    return (f"the registrar alone executes a recovery of beneficiary {index}'s wallet after the delay",
            tx(engine, NAME, "executeWalletRecovery", bid, sender=registrar))


ATTEMPTS: dict[str, Attempt] = {
    f.__name__: f for f in (double_claim, claim_after_window, replayed_signature, forged_signature, pay_suspended,
                            claim_suspended, self_approval, spend_unapproved_merchant, overspend_voucher,
                            paused_payment, thief_cancels_recovery, registrar_alone_recovers)
}
