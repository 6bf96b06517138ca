"""Misuse attempts: what an insider or outsider might try, sent for real, and how the contracts refused it.

Each attempt sends a real transaction (mined in its own block) or makes the verification read a relying party
would make, and returns a record: what was tried, by whom, what was expected and what was observed (the
decoded custom error, a skipped payment, or a certificate status).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from pilotkit.cash_claims import beneficiary_id
from pilotkit.pilots.actions import Pending

if TYPE_CHECKING:
    from pilotkit.pilots.engine import Replay, Round
    from pilotkit.pilots.scenario import Step

Observed = tuple[str, str, Pending | None]  # (kind: error|status|skipped|none, name, the transaction)


def _round(engine: Replay, step: Step, kind: str) -> Round:
    label = step.get("round")
    if label:
        return engine.rounds[label]
    matching = [r for r in engine.rounds.values() if r.kind == kind or (kind == "push" and r.kind == "list")]
    if not matching:
        raise _Impossible(f"needs an earlier {kind} round")
    return matching[-1]


class _Impossible(Exception):
    """The scenario gives the attempt nothing to work on (reported as a failed step, not a crash)."""


def _tx(engine: Replay, contract: str, function: str, *args: Any, sender: Any) -> Observed:
    pending = engine.send(contract, function, *args, sender=sender)
    pending.operation.expect_revert = True
    engine.flush()
    if pending.ok:
        return "none", f"{function} succeeded", pending
    return "error", pending.error or "reverted", pending


def _proof(info: Round, index: int) -> list[bytes]:
    assert info.tree is not None
    return info.tree.cap_proof(index) if info.tree.cap_size > 1 else info.tree.proof(index)


def double_claim(engine: Replay, step: Step) -> tuple[str, Observed]:
    info = _round(engine, step, "claim")
    if not info.paid:
        raise _Impossible(f"round '{info.label}' has no claim to repeat")
    index = int(step.get("beneficiary", min(info.paid)))
    return (f"beneficiary {index} claims round '{info.label}' a second time",
            _tx(engine, "cash", "claim", info.round_id, index, info.amount, _proof(info, index),
                sender=engine.wallet(index)))


def claim_after_window(engine: Replay, step: Step) -> tuple[str, Observed]:
    info = _round(engine, step, "claim")
    unpaid = [i for i in info.recipients if i not in info.paid and engine.status[i] == "Active"] or info.recipients
    index = int(step.get("beneficiary", unpaid[0]))
    engine._advance_to(info.closes)
    return (f"beneficiary {index} claims round '{info.label}' after it closed (chain time moved to its close)",
            _tx(engine, "cash", "claim", info.round_id, index, info.amount, _proof(info, index),
                sender=engine.wallet(index)))


def replayed_signature(engine: Replay, step: Step) -> tuple[str, Observed]:
    op = engine.last_relayed
    if op is None:
        raise _Impossible("needs an earlier relayed claim or voucher spend (relayed_share > 0)")
    return (f"{op.sender.label} re-submits an already used {op.function} signature",
            _tx(engine, op.contract, op.function, *op.args, sender=op.sender))


def forged_signature(engine: Replay, step: Step) -> tuple[str, Observed]:
    stranger = engine.role["stranger"]
    claim_rounds = [r for r in engine.rounds.values() if r.kind == "claim"]
    if claim_rounds or step.get("round"):
        info = _round(engine, step, "claim")
        unpaid = [i for i in info.recipients if i not in info.paid] or info.recipients
        index = int(step.get("beneficiary", unpaid[0]))
        signature = engine._claim_signature(stranger, info, index)
        return (f"a relayer submits a claim for beneficiary {index} signed by an outsider's key",
                _tx(engine, "cash", "claimFor", info.round_id, index, info.amount, _proof(info, index), info.closes,
                    signature, sender=engine.role["relayer"]))
    merchant = next((m for m in engine.merchants if m.address in engine.merchant_balance), None)
    if merchant is None:
        raise _Impossible("needs a claim round or an approved merchant")
    index = int(step.get("beneficiary", 1))
    deadline = engine.clock.now + 86_400
    from pilotkit.pilots.eip712 import SPEND_TYPE, digest

    message = digest(engine.separator("cash", "pilotkit CashProgramme"), SPEND_TYPE,
                     ["uint256", "address", "uint256", "uint256", "uint256"],
                     [index, merchant.address, 1, engine.spend_nonce.get(index, 0), deadline])
    return (f"a merchant till submits a spend for beneficiary {index} signed by an outsider's key",
            _tx(engine, "cash", "spendFor", index, merchant.address, 1, deadline, stranger.sign_digest(message),
                sender=merchant))


def unauthorised_role(engine: Replay, step: Step) -> tuple[str, Observed]:
    stranger = engine.role["stranger"]
    contracts = [c for s in engine.scenario.steps if s.kind == "deploy" for c in s.params["contracts"]]
    if "cash" in contracts:
        fake = beneficiary_id(engine.secret, "not-a-real-person")
        return ("an account without the registrar role enrols a beneficiary",
                _tx(engine, "cash", "enrol", fake, stranger.address, sender=stranger))
    if "credits" in contracts:
        params = engine._issue_params(10, 10**12, [2024, 2024])
        return ("an account without the verifier role issues credits",
                _tx(engine, "credits", "issueBatch", params, 0, sender=stranger))
    return ("an account without the admin role accredits itself as an issuer",
            _tx(engine, "certs", "accreditIssuer", stranger.address, "Fake University", sender=stranger))


def pay_suspended(engine: Replay, step: Step) -> tuple[str, Observed]:
    info = _round(engine, step, "push")
    suspended = [i for i, s in sorted(engine.status.items()) if s == "Suspended"]
    index = int(step.get("beneficiary", suspended[0] if suspended else 0))
    if not index:
        raise _Impossible("needs a suspended beneficiary")
    pending = engine.send("cash", "payFlat", info.round_id, [index], sender=engine.role["disburser"])
    engine.flush()
    description = f"the disburser pushes a payment to suspended beneficiary {index} in round '{info.label}'"
    if not pending.ok:
        return description, ("error", pending.error or "reverted", pending)
    skipped = [e for e in pending.events_named("PaymentSkipped") if int(e["index"]) == index]
    if skipped:
        return description, ("skipped", ["NotActive", "AlreadyPaid"][int(skipped[0]["reason"])], pending)
    engine._credit(info, index, pending.timestamp)
    return description, ("none", "paid", pending)


def claim_suspended(engine: Replay, step: Step) -> tuple[str, Observed]:
    info = _round(engine, step, "claim")
    suspended = [i for i in info.recipients if engine.status[i] == "Suspended"]
    index = int(step.get("beneficiary", suspended[0] if suspended else 0))
    if not index:
        raise _Impossible("needs a suspended beneficiary among the round's recipients")
    return (f"suspended beneficiary {index} claims round '{info.label}'",
            _tx(engine, "cash", "claim", info.round_id, index, info.amount, _proof(info, index),
                sender=engine.wallet(index)))


def self_approval(engine: Replay, step: Step) -> tuple[str, Observed]:
    supervisor = engine.role["supervisor"]
    opens, closes = engine._window(86_400)
    round_id, _ = engine._propose("push", 10**6, 10**6, opens, closes, bytes(32), supervisor)
    engine.flush()
    observed = _tx(engine, "cash", "approveRound", round_id, sender=supervisor)
    engine.send("cash", "cancelRound", round_id, sender=supervisor)
    engine.flush()
    return ("an officer holding both the disburser and approver roles approves a round it proposed itself "
            "(then cancels it)", observed)


def _voucher_holder(engine: Replay, step: Step) -> int:
    holders = [i for i, v in sorted(engine.entitlement.items()) if v > 0 and engine.status[i] == "Active"]
    index = int(step.get("beneficiary", holders[0] if holders else 0))
    if not index:
        raise _Impossible("needs a beneficiary with a voucher entitlement")
    return index


def spend_unapproved_merchant(engine: Replay, step: Step) -> tuple[str, Observed]:
    index = _voucher_holder(engine, step)
    return (f"beneficiary {index} spends its voucher at a shop that is not an approved merchant",
            _tx(engine, "cash", "spend", engine.role["stranger"].address, 10**6, sender=engine.wallet(index)))


def overspend_voucher(engine: Replay, step: Step) -> tuple[str, Observed]:
    index = _voucher_holder(engine, step)
    merchant = next((m for m in engine.merchants if m.address in engine.merchant_balance), None)
    if merchant is None:
        raise _Impossible("needs an approved merchant")
    return (f"beneficiary {index} spends more than its entitlement",
            _tx(engine, "cash", "spend", merchant.address, engine.entitlement[index] + 1,
                sender=engine.wallet(index)))


def paused_payment(engine: Replay, step: Step) -> tuple[str, Observed]:
    active = [i for i, s in sorted(engine.status.items()) if s == "Active"] or [1]
    open_rounds = [r for r in engine.rounds.values() if r.opens <= engine.clock.now < r.closes]
    push = [r for r in open_rounds if r.kind == "push"]
    if push:
        return (f"the disburser pushes a payment while the programme is paused (round '{push[-1].label}')",
                _tx(engine, "cash", "payFlat", push[-1].round_id, [active[0]], sender=engine.role["disburser"]))
    claims = [r for r in open_rounds if r.kind == "claim"]
    if claims:
        info = claims[-1]
        index = next((i for i in info.recipients if i not in info.paid), info.recipients[0])
        return (f"beneficiary {index} claims while the programme is paused",
                _tx(engine, "cash", "claim", info.round_id, index, info.amount, _proof(info, index),
                    sender=engine.wallet(index)))
    index = _voucher_holder(engine, step)
    merchant = next(m for m in engine.merchants if m.address in engine.merchant_balance)
    return (f"beneficiary {index} spends a voucher while the programme is paused",
            _tx(engine, "cash", "spend", merchant.address, 10**6, sender=engine.wallet(index)))


def transfer_retired(engine: Replay, step: Step) -> tuple[str, Observed]:
    if engine.last_retirement is None:
        raise _Impossible("needs an earlier retire_credits step")
    holder, batch, amount = engine.last_retirement
    (balance,) = engine.actions.call("credits", "balanceOf", holder.address, batch)
    return (f"{holder.label} transfers its {balance} credits plus the {amount} it already retired",
            _tx(engine, "credits", "safeTransferFrom", holder.address, engine.role["stranger"].address, batch,
                int(balance) + amount, b"", sender=holder))


def overlapping_serials(engine: Replay, step: Step) -> tuple[str, Observed]:
    if not engine.batches:
        raise _Impossible("needs an earlier issue_credits step")
    first = engine.batches[0]
    start = first["start"] + first["serials"] // 2
    params = engine._issue_params(first["serials"], start, [2024, 2024])
    return (f"the verifier issues serials {start}-{start + first['serials'] - 1}, overlapping batch 1 "
            f"({first['start']}-{first['end']}): double issuance",
            _tx(engine, "credits", "issueBatch", params, engine._serial_hint(start), sender=engine.role["verifier"]))


def unaccredited_issuer(engine: Replay, step: Step) -> tuple[str, Observed]:
    stranger = engine.role["stranger"]
    doc = keccak(text="forged document")
    return ("an unaccredited account issues a certificate",
            _tx(engine, "certs", "issue", doc, keccak(text="hmac-subject:forged"), engine.clock.now + 86_400 * 365,
                keccak(text="pilotkit:certificate-schema:v1"), sender=stranger))


def verify_revoked(engine: Replay, step: Step) -> tuple[str, Observed]:
    revoked = [c for c in engine.certificates + engine.batch_docs if c.status == "Revoked"]
    if step.get("certificate"):
        cert = engine.certificates[int(step.params["certificate"]) - 1]
    elif revoked:
        cert = revoked[0]
    else:
        raise _Impossible("needs a revoked certificate")
    (result,) = engine.actions.call("certs", "verify", engine.cert_issuer(cert.doc), cert.doc, cert.proof)
    from pilotkit.pilots.engine import CERT_STATUS

    status = CERT_STATUS[int(result[0])]
    return (f"a relying party verifies revoked certificate 0x{cert.doc.hex()[:12]}… (reason code {int(result[4])})",
            ("status", status, None))


def issuer_squats_batch(engine: Replay, step: Step) -> tuple[str, Observed]:
    """Review finding 1: a second accredited issuer copies the issuer's batch root into an issuance of its own
    (records are per issuer, so this neither blocked nor shadows the original) and then tries to revoke the
    original issuer's batch: refused."""
    if not engine.batch_docs:
        raise _Impossible("needs an earlier certificate batch")
    root, victim = engine.batch_docs[0].root, engine.cert_issuer(engine.batch_docs[0].doc)
    rival = engine.derive("rival-issuer")
    engine.send("certs", "accreditIssuer", rival.address, "Rival Certification Body", sender=engine.role["admin"])
    engine.send("certs", "issueBatch", root, 0, keccak(text="pilotkit:certificate-schema:v1"), sender=rival)
    return (f"another accredited issuer re-anchors batch 0x{root.hex()[:12]}… as its own and tries to revoke "
            "the original issuer's record of it",
            _tx(engine, "certs", "revokeBatch", victim, root, 1, sender=rival))


def thief_cancels_recovery(engine: Replay, step: Step) -> tuple[str, Observed]:
    index = int(step.get("beneficiary", 1))
    registrar = engine.role["registrar"]
    bid = engine.ids[index - 1]
    if engine.status[index] == "Active":
        engine.send("cash", "suspend", bid, 7, sender=registrar)
        engine.status[index] = "Suspended"
    new_wallet = engine.derive(f"beneficiary-{index}-recovered-{engine.recoveries + 1}")
    engine.send("cash", "requestWalletRecovery", bid, new_wallet.address, sender=registrar)
    engine.flush()
    engine._pending_wallets[index] = new_wallet
    return (f"a thief holding beneficiary {index}'s stolen wallet tries to cancel its recovery",
            _tx(engine, "cash", "cancelWalletRecovery", bid, sender=engine.wallet(index)))


ATTEMPTS: dict[str, Callable[[Replay, Step], tuple[str, Observed]]] = {
    f.__name__: f for f in (double_claim, claim_after_window, replayed_signature, forged_signature,
                            unauthorised_role, pay_suspended, claim_suspended, self_approval,
                            spend_unapproved_merchant, overspend_voucher, paused_payment, transfer_retired,
                            overlapping_serials, unaccredited_issuer, verify_revoked, thief_cancels_recovery,
                            issuer_squats_batch)
}


def attempt(engine: Replay, step: Step) -> dict[str, Any]:
    """Run one misuse attempt; the record says whether it was refused in the expected way."""
    name = step.params["attempt"]
    (expected_kind, expected_name), = step.params["expect"].items()
    try:
        description, (kind, observed, pending) = ATTEMPTS[name](engine, step)
    except _Impossible as exc:
        description, kind, observed, pending = f"could not be attempted: {exc}", "none", str(exc), None
    refused = kind in ("error", "skipped") or (kind == "status" and observed != "Valid")
    record: dict[str, Any] = {
        "step": step.number,
        "attempt": name,
        "description": description,
        "expected": {expected_kind: expected_name},
        "observed": {kind: observed} if kind != "none" else {"accepted": observed},
        "refused": refused,
        "refused_as_expected": kind == expected_kind and observed == expected_name,
    }
    if pending is not None:
        record.update(tx_hash=pending.tx_hash, gas_used=pending.gas_used, actor=pending.operation.sender.label,
                      on_chain="reverted" if pending.ok is False else "mined")
        if pending.error_values:
            record["error_values"] = {k: v for k, v in pending.error_values.items()}
    return record
