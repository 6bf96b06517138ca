"""Paying a round: push batches (`disburse`), one payment, and claims (proof + typed data; relayed signatures).

Every payment job pays indexes of the round's approved plan and carries an effect check (`isPaid(round,
index)` of an index it pays) so the sender can tell, after any crash, whether it happened. The indexes each job
pays are stored with it (`CashRoundPayment`): disbursing again queues only what no live job (queued, sent or
confirmed) covers, and an index whose job failed is queued again. The contract skips indexes already paid or
not active, so even two racing requests can never pay anyone twice.
"""

from __future__ import annotations

import re
from typing import Any

from sqlalchemy import Engine, select, update
from sqlalchemy.orm import Session

from pilotkit.cash_claims import BatchTree, ClaimTree, claim_typed_data, typed_data_digest
from pilotkit_backend.core.config import Settings
from pilotkit_backend.core.problems import Conflict, NotFound, Unprocessable
from pilotkit_backend.db.types import utcnow
from pilotkit_backend.kinds.cash.models.rounds import CashRound, CashRoundPayment, PaymentKind, RoundKind
from pilotkit_backend.kinds.cash.services.rounds import DEAD, claim_tree, payment_rows, plan_of, require_on_chain
from pilotkit_backend.kinds.cash.services.rounds_chain import (
    PROGRAMME,
    RoundView,
    beneficiary_status,
    chain_time,
    indexed_statuses,
    is_paid,
    is_paid_check,
    refusal,
)
from pilotkit_backend.platform.auth import AuthenticatedKey
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.models.jobs import Job
from pilotkit_backend.platform.writes import Call, submit, submit_many

SIGNATURE_RE = re.compile(r"^0x([0-9a-fA-F]{2}){1,1024}$")


def _require_payable(chain: ChainContext, row: CashRound, round_id: int, view: RoundView) -> None:
    """Approved, not paused and open now: the contract's preconditions for any payment, as named refusals."""
    if view.status != "approved":
        raise refusal("InvalidRoundStatus", f"the round is {view.status}; only an approved round pays")
    if chain.call(row.programme, PROGRAMME, "paused"):
        raise refusal("EnforcedPause", "the programme is paused: no payments until it is unpaused")
    now = chain_time(chain)
    if not view.opens_at <= now < view.closes_at:
        raise refusal("RoundNotOpen", f"round {round_id} pays from {view.opens_at} until {view.closes_at} "
                      f"(chain time now {now})")


def _lock_round(session: Session, row: CashRound) -> None:
    """Write the round row first, so concurrent payment requests on it queue one after the other."""
    session.execute(update(CashRound).where(CashRound.id == row.id).values(updated_at=utcnow()))


def _live(session: Session, row: CashRound) -> list[CashRoundPayment]:
    return [p for p, job in payment_rows(session, row) if job is None or job.status not in DEAD]


def disburse(session: Session, engine: Engine, chain: ChainContext, settings: Settings, row: CashRound,
             key: AuthenticatedKey, ref: str) -> tuple[list[Job], int]:
    """Queue a push batch (≤ MAX_BATCH) for every active planned beneficiary no live job covers yet.

    Returns the new jobs and how many beneficiaries they pay. Pre-flights the first batch as the disburser.
    """
    round_id, view = require_on_chain(session, chain, row)
    if row.round_kind is RoundKind.merkle_claim:
        raise refusal("WrongRoundKind", "a claim round is paid by its beneficiaries' claims, not pushed")
    _require_payable(chain, row, round_id, view)
    _lock_round(session, row)
    plan = plan_of(row)
    statuses = indexed_statuses(engine, chain, row.programme)
    live = _live(session, row)
    calls: list[Call] = []
    chunks: list[tuple[int | None, list[int], int]] = []  # (tree position, indexes, total)
    if row.round_kind is RoundKind.flat_push:
        queued = {i for p in live for i in p.indexes}
        todo = [i for i in plan.indexes if i not in queued and statuses.get(i) == "active"]
        amount = int(row.amount)
        for start in range(0, len(todo), 250):
            batch = todo[start:start + 250]
            calls.append(Call("cash.round.pay_batch", "disburser", row.programme,
                              chain.encode(PROGRAMME, "payFlat", round_id, batch),
                              is_paid_check(chain, row.programme, round_id, batch[-1])))
            chunks.append((None, batch, amount * len(batch)))
    else:
        queued_positions = {p.batch_position for p in live}
        batches = plan.batches()
        tree = BatchTree(batches)
        for position, (indexes, amounts) in enumerate(batches):
            active = [i for i in indexes if statuses.get(i) == "active"]
            if position in queued_positions or not active:
                continue
            data = chain.encode(PROGRAMME, "payList", round_id, indexes, amounts, tree.proof(position))
            calls.append(Call("cash.round.pay_batch", "disburser", row.programme, data,
                              is_paid_check(chain, row.programme, round_id, active[-1])))
            chunks.append((position, indexes, sum(amounts)))
    if not calls:
        return [], 0
    jobs = submit_many(session, chain, settings, calls, api_key_id=key.id, object_address=row.programme, ref=ref)
    for job, (position, indexes, total) in zip(jobs, chunks, strict=True):
        session.add(_payment(row, PaymentKind.batch, indexes, total, job, position))
    session.flush()
    return jobs, sum(len(c[1]) for c in chunks)


def _not_queued(session: Session, row: CashRound, index: int) -> None:
    """409 if a live job of the round pays `index` (only the jobs whose index span holds it are read)."""
    candidates = session.execute(
        select(CashRoundPayment, Job.status).join(Job, Job.id == CashRoundPayment.job_id)
        .where(CashRoundPayment.round_pk == row.id, CashRoundPayment.first_index <= index,
               CashRoundPayment.last_index >= index)).all()
    for payment, status in candidates:
        if status not in DEAD and index in payment.indexes:
            raise Conflict(f"beneficiary {index} is already being paid in this round by job {payment.job_id}")


def _payment(row: CashRound, kind: PaymentKind, indexes: list[int], total: int, job: Job,
             position: int | None = None) -> CashRoundPayment:
    return CashRoundPayment(round_pk=row.id, kind=kind.value, batch_position=position, indexes=indexes,
                            first_index=min(indexes), last_index=max(indexes), total=str(total), job_id=job.id)


def pay_one(session: Session, chain: ChainContext, settings: Settings, row: CashRound, index: int,
            key: AuthenticatedKey, ref: str) -> Job:
    """One payment of a flat push round to a planned, active, unpaid beneficiary (one job)."""
    round_id, view = require_on_chain(session, chain, row)
    if row.round_kind is not RoundKind.flat_push:
        raise refusal("WrongRoundKind", "single payments are for flat push rounds; list rounds pay whole "
                      "pre-committed batches (disburse), claim rounds pay claims")
    if index not in set(plan_of(row).indexes):
        raise Unprocessable(f"beneficiary {index} is not in this round's approved plan")
    _require_payable(chain, row, round_id, view)
    _lock_round(session, row)
    if is_paid(chain, row.programme, round_id, index):
        raise refusal("AlreadyPaid", f"beneficiary {index} was already paid in this round")
    status = beneficiary_status(chain, row.programme, index)
    if status != "active":
        raise refusal("InvalidBeneficiaryStatus", f"beneficiary {index} is {status}: it cannot be paid")
    _not_queued(session, row, index)
    job = submit(session, chain, settings,
                 Call("cash.round.pay", "disburser", row.programme,
                      chain.encode(PROGRAMME, "payFlat", round_id, [index]),
                      is_paid_check(chain, row.programme, round_id, index)),
                 api_key_id=key.id, object_address=row.programme, ref=ref)
    session.add(_payment(row, PaymentKind.payment, [index], int(row.amount), job))
    session.flush()
    return job


def claim_proof(tree: ClaimTree, view: RoundView, index: int) -> list[bytes]:
    """The proof a claim carries: up to its cap node once the contract holds the round's cap, else to the root."""
    if tree.cap_size > 1 and view.cap_size == tree.cap_size:
        return tree.cap_proof(index)
    return tree.proof(index)


def claim_info(session: Session, chain: ChainContext, row: CashRound, index: int,
               deadline: int | None) -> dict[str, Any]:
    """What a beneficiary's wallet needs to claim: amount, Merkle proof, EIP-712 typed data and its digest."""
    if row.round_kind is not RoundKind.merkle_claim:
        raise refusal("WrongRoundKind", "this round pays by push, not by claims")
    plan = plan_of(row)
    tree = claim_tree(plan)
    if index not in tree:
        raise NotFound(f"beneficiary {index} has no claim in this round")
    round_id, view = require_on_chain(session, chain, row)
    deadline = view.closes_at if deadline is None else deadline
    amount = tree.amount(index)
    typed = claim_typed_data(chain.chain_id, row.programme, round_id, index, amount, deadline)
    return {"round_id": row.id, "chain_round_id": round_id, "index": index, "amount": str(amount),
            "proof": ["0x" + p.hex() for p in claim_proof(tree, view, index)], "root": row.root,
            "deadline": deadline, "cap_size": view.cap_size,
            "opens_at": view.opens_at, "closes_at": view.closes_at,
            "paid": is_paid(chain, row.programme, round_id, index), "typed_data": typed,
            "digest": "0x" + typed_data_digest(typed).hex()}


def relay_claim(session: Session, chain: ChainContext, settings: Settings, row: CashRound, index: int,
                amount: int, deadline: int, signature: str, key: AuthenticatedKey, ref: str) -> Job:
    """Relay a wallet-signed claim (`claimFor`, sent by the disburser signer, which pays the gas)."""
    if row.round_kind is not RoundKind.merkle_claim:
        raise refusal("WrongRoundKind", "this round pays by push, not by claims")
    if not SIGNATURE_RE.fullmatch(signature):
        raise refusal("InvalidSignature", "signature must be 0x-hex bytes (65 for a wallet key's signature)")
    tree = claim_tree(plan_of(row))
    if index not in tree:
        raise Unprocessable(f"beneficiary {index} has no claim in this round")
    if amount != tree.amount(index):
        raise refusal("InvalidProof", "amount is not this beneficiary's amount in the round")
    if deadline < chain_time(chain):
        raise refusal("DeadlineExpired", "the signature's deadline has passed; sign again with a later one")
    round_id, view = require_on_chain(session, chain, row)
    _require_payable(chain, row, round_id, view)
    _lock_round(session, row)
    if is_paid(chain, row.programme, round_id, index):
        raise refusal("AlreadyPaid", f"beneficiary {index} has already claimed in this round")
    _not_queued(session, row, index)
    data = chain.encode(PROGRAMME, "claimFor", round_id, index, amount, claim_proof(tree, view, index), deadline,
                        bytes.fromhex(signature[2:]))
    job = submit(session, chain, settings,
                 Call("cash.round.claim", "disburser", row.programme, data,
                      is_paid_check(chain, row.programme, round_id, index)),
                 api_key_id=key.id, object_address=row.programme, ref=ref)
    session.add(_payment(row, PaymentKind.claim, [index], amount, job))
    session.flush()
    return job
