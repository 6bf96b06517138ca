"""Cash rounds through the API: plan, propose, approve (maker-checker), cancel, sweep, and what a round is now.

A proposal becomes a `CashRound` row with its distribution plan (indexes and amounts), the on-chain parameters
(root and plan hash derived from the plan) and the proposing key; the chain's round id is read from the
proposal's receipt once it is mined. Approval is by another API key (403 otherwise) and is sent by the
approver signer, which also funds the round: an ERC-20 `approve` job first when its allowance is short, then
`approveRound`, both from the same signer, so their nonces keep that order.
A claim round may declare a Merkle cap (`claim_cap`, a power of two): its tree is built in the cap shape, and
once the proposal is mined `store_claim_cap` queues the `setClaimCap` calls (disburser) that put the cap nodes
on chain; approval waits until the contract holds them, so claims can carry the shorter cap proofs.
Payments (push batches, single payments, relayed claims) are in `cash_rounds_pay`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils import keccak
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pilotkit.cash_claims import MAX_BATCH as MAX_CAP_CHUNK
from pilotkit.cash_claims import MAX_CLAIM_CAP, BatchTree, ClaimTree
from pilotkit_backend.core.config import Settings
from pilotkit_backend.core.problems import Conflict, Forbidden, NotFound, Unprocessable
from pilotkit_backend.kinds.cash.models.rounds import CashRound, CashRoundPayment, RoundKind
from pilotkit_backend.kinds.cash.services.rounds_chain import (
    MAX_BATCH,
    PROGRAMME,
    RoundView,
    allowance,
    balance_of,
    chain_time,
    erc20_approve_data,
    indexed_statuses,
    refusal,
    round_view,
    token_of,
)
from pilotkit_backend.platform.auth import AuthenticatedKey
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.models.jobs import Job, JobStatus
from pilotkit_backend.platform.writes import Call, submit, submit_many

MAX_PLAN = 100_000  # beneficiaries in one round
AMOUNT_LIMIT = 2**88  # RoundParams.amount is a uint88
BUDGET_LIMIT = 2**96  # RoundParams.budget is a uint96
DEAD = frozenset({JobStatus.FAILED.value, JobStatus.EXPIRED.value, JobStatus.CANCELLED.value})


@dataclass(frozen=True)
class Plan:
    """Who a round pays and how much, in increasing index order; `amounts` is None for a flat amount.

    `cap_size`: a claim round's Merkle cap (1: none), part of the plan since it shapes the tree and its root."""

    kind: RoundKind
    indexes: list[int]
    amounts: list[int] | None
    flat: int | None
    cap_size: int = 1

    @property
    def amount(self) -> int:
        """The round's `amount`: the flat amount, or the largest one."""
        return self.flat if self.flat is not None else max(self.amounts or [0])

    @property
    def budget(self) -> int:
        return self.flat * len(self.indexes) if self.flat is not None else sum(self.amounts or [])

    def amount_of(self, position: int) -> int:
        return self.flat if self.flat is not None else (self.amounts or [])[position]

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"indexes": self.indexes, "amounts": self.amounts, "flat": self.flat}
        if self.cap_size > 1:  # only then: plans without a cap keep the hash they always had
            out["cap_size"] = self.cap_size
        return out

    @property
    def plan_hash(self) -> str:
        """keccak256 of the canonical JSON plan: what the approver reviews (`RoundParams.planHash`)."""
        text = json.dumps({"kind": self.kind.value, **self.as_json()}, sort_keys=True, separators=(",", ":"))
        return "0x" + keccak(text=text).hex()

    def batches(self) -> list[tuple[list[int], list[int]]]:
        """The plan in push batches of up to MAX_BATCH, in index order (ListPush tree leaves)."""
        out = []
        for start in range(0, len(self.indexes), MAX_BATCH):
            indexes = self.indexes[start:start + MAX_BATCH]
            out.append((indexes, [self.amount_of(start + i) for i in range(len(indexes))]))
        return out

    def root(self) -> str | None:
        if self.kind is RoundKind.flat_push:
            return None
        if self.kind is RoundKind.list_push:
            return "0x" + BatchTree(self.batches()).root.hex()
        return "0x" + claim_tree(self).root.hex()


def plan_of(row: CashRound) -> Plan:
    data = row.plan
    return Plan(row.round_kind, list(data["indexes"]), data.get("amounts"), data.get("flat"),
                int(data.get("cap_size", 1)))


_TREES: dict[tuple[str, str], ClaimTree] = {}


def claim_tree(plan: Plan) -> ClaimTree:
    """The claim round's tree (cached per plan hash: proofs are served from it many times)."""
    key = (plan.plan_hash, plan.kind.value)
    tree = _TREES.get(key)
    if tree is None:
        tree = ClaimTree({index: plan.amount_of(i) for i, index in enumerate(plan.indexes)}, plan.cap_size)
        if len(_TREES) > 32:
            _TREES.clear()
        _TREES[key] = tree
    return tree


def build_plan(engine: Engine, chain: ChainContext, programme: str, mode: str, flat: int | None,
               entitlements: Sequence[tuple[int, int]] | None, beneficiaries: str | Sequence[int] | None,
               claim_cap: int | None = None, include_suspended: bool = False) -> Plan:
    """Validate what a proposal asks for against the indexed beneficiary statuses (422 naming what is wrong).

    `claim_cap` and `include_suspended` are for claim rounds only: the tree's Merkle cap size, and whether the
    listed beneficiaries may include suspended ones (they can claim once reinstated within the window)."""
    if (flat is None) == (entitlements is None):
        raise Unprocessable("give exactly one of amount_per_beneficiary and entitlements")
    if entitlements is not None and beneficiaries is not None:
        raise Unprocessable("entitlements name their beneficiaries: leave beneficiaries out")
    if mode != "claim" and (claim_cap is not None or include_suspended):
        raise Unprocessable("claim_cap and include_suspended are for claim rounds (mode: claim) only")
    if claim_cap is not None and (claim_cap < 2 or claim_cap > MAX_CLAIM_CAP or claim_cap & (claim_cap - 1)):
        raise Unprocessable(f"claim_cap must be a power of two from 2 to {MAX_CLAIM_CAP}",
                            extra={"contract_error": "InvalidClaimCap"})
    if include_suspended and entitlements is None and not isinstance(beneficiaries, list | tuple):
        raise Unprocessable("include_suspended needs the beneficiaries listed (a list of indexes, or "
                            "entitlements): all-active plans active beneficiaries only")
    allowed = {"active", "suspended"} if include_suspended else {"active"}
    statuses = indexed_statuses(engine, chain, programme)
    if entitlements is not None:
        pairs = sorted(entitlements)
        indexes = [i for i, _ in pairs]
        amounts = [a for _, a in pairs]
        if len(set(indexes)) != len(indexes):
            raise Unprocessable("entitlements name an index twice")
        if any(a <= 0 or a >= AMOUNT_LIMIT for a in amounts):
            raise Unprocessable("every entitlement amount must be positive and below 2^88 base units")
    elif beneficiaries is None or beneficiaries == "all-active":
        indexes = sorted(i for i, s in statuses.items() if s == "active")
        amounts = None
    else:
        indexes = sorted(set(beneficiaries))
        if len(indexes) != len(beneficiaries):
            raise Unprocessable("beneficiaries names an index twice")
        amounts = None
    if not indexes:
        raise Unprocessable("the round would pay nobody: no active beneficiary is in it")
    if len(indexes) > MAX_PLAN:
        raise Unprocessable(f"a round pays at most {MAX_PLAN} beneficiaries")
    inactive = [i for i in indexes if statuses.get(i) not in allowed]
    if inactive:
        shown = ", ".join(str(i) for i in inactive[:10]) + (" ..." if len(inactive) > 10 else "")
        what = "active or suspended (removed or never enrolled)" if include_suspended else "active"
        raise Unprocessable(f"{len(inactive)} listed beneficiaries are not {what} (indexes {shown})")
    if not any(statuses.get(i) == "active" for i in indexes):
        raise Unprocessable("the round would pay nobody: no active beneficiary is in it")
    kind = {"push": RoundKind.list_push if amounts is not None else RoundKind.flat_push,
            "claim": RoundKind.merkle_claim}[mode]
    if flat is not None and kind is not RoundKind.flat_push:
        amounts = [flat] * len(indexes)  # a claim round's leaves carry each amount
        flat_value: int | None = None
    else:
        flat_value = flat
    plan = Plan(kind, indexes, amounts, flat_value, claim_cap or 1)
    if plan.amount <= 0 or plan.amount >= AMOUNT_LIMIT:
        raise Unprocessable("the amount per beneficiary must be positive and below 2^88 base units")
    if plan.budget >= BUDGET_LIMIT:
        raise Unprocessable("the round's budget (sum of its payments) must be below 2^96 base units")
    return plan


def check_window(chain: ChainContext, programme: str, opens_at: int, closes_at: int, amount: int) -> None:
    """The contract's proposal rules on the window and amount, as 422s that say which rule failed."""
    if opens_at >= closes_at:
        raise Unprocessable("starts_at must be before ends_at")
    now = chain_time(chain)
    if closes_at <= now:
        raise Unprocessable("ends_at is in the past (chain time)")
    cap = int(chain.call(programme, PROGRAMME, "periodCap"))
    if amount > cap:
        raise refusal("InvalidRoundParams", f"one beneficiary would get {amount}, above the period cap {cap}")
    length = int(chain.call(programme, PROGRAMME, "periodLength"))
    period, current = opens_at // length, now // length
    if period < current:
        raise Unprocessable("starts_at lies in an earlier cap period than the current one (RoundPeriodPassed)",
                            extra={"contract_error": "RoundPeriodPassed"})
    if closes_at > (period + 1) * length:
        raise Unprocessable(f"the window must lie in one cap period of {length} s: ends_at is at most "
                            f"{(period + 1) * length} (RoundCrossesPeriods)",
                            extra={"contract_error": "RoundCrossesPeriods"})


def propose(session: Session, chain: ChainContext, settings: Settings, programme: str, plan: Plan, opens_at: int,
            closes_at: int, key: AuthenticatedKey, ref: str) -> tuple[CashRound, Job]:
    """Pre-flight and queue `proposeRound` as the disburser; the approver signer is the funder."""
    check_window(chain, programme, opens_at, closes_at, plan.amount)
    funder = chain.signer_for("approver").address
    root = plan.root()
    params = (plan.kind.chain_value, plan.budget, plan.amount, opens_at, closes_at,
              bytes.fromhex((root or "0x" + "00" * 32)[2:]), funder, bytes.fromhex(plan.plan_hash[2:]))
    data = chain.encode(PROGRAMME, "proposeRound", params)
    job = submit(session, chain, settings, Call("cash.round.propose", "disburser", programme, data),
                 api_key_id=key.id, object_address=programme, ref=ref)
    row = CashRound(chain_id=chain.chain_id, programme=programme, kind=plan.kind.value, amount=str(plan.amount),
                    budget=str(plan.budget), opens_at=opens_at, closes_at=closes_at, root=root,
                    plan_hash=plan.plan_hash, funder=funder, plan=plan.as_json(),
                    beneficiary_count=len(plan.indexes), proposer_key_id=key.id, proposer_label=key.label,
                    propose_job_id=job.id)
    session.add(row)
    session.flush()
    return row, job


def get_round(session: Session, chain: ChainContext, programme: str, round_pk: int) -> CashRound:
    row = session.get(CashRound, round_pk)
    if row is None or row.chain_id != chain.chain_id or row.programme != programme:
        raise NotFound("no such round in this programme")
    return row


def list_rounds(session: Session, chain: ChainContext, programme: str, after: int | None,
                limit: int) -> list[CashRound]:
    """Newest first; `after` is the id of the last round of the previous page."""
    query = select(CashRound).where(CashRound.chain_id == chain.chain_id, CashRound.programme == programme)
    if after is not None:
        query = query.where(CashRound.id < after)
    return list(session.execute(query.order_by(CashRound.id.desc()).limit(limit)).scalars())


def resolve_chain_id(session: Session, chain: ChainContext, row: CashRound) -> int | None:
    """The on-chain round id, read from the proposal's receipt once the proposal job is confirmed (cached)."""
    if row.chain_round_id is not None:
        return row.chain_round_id
    job = session.get(Job, row.propose_job_id)
    if job is None or job.status != JobStatus.CONFIRMED.value or not job.tx_hash:
        return None
    receipt = chain.web3.eth.get_transaction_receipt(job.tx_hash)
    topic = _round_proposed_topic(chain)
    for log in receipt["logs"]:
        topics = [bytes(t) for t in log["topics"]]
        if log["address"].lower() == row.programme.lower() and topics and topics[0] == topic:
            row.chain_round_id = int.from_bytes(topics[1], "big")
            session.flush()
            return row.chain_round_id
    return None


def _round_proposed_topic(chain: ChainContext) -> bytes:
    from pilotkit.contracts.abi import signature

    entry = next(e for e in chain.abi(PROGRAMME) if e.get("type") == "event" and e.get("name") == "RoundProposed")
    return keccak(text=signature(entry))


def require_on_chain(session: Session, chain: ChainContext, row: CashRound) -> tuple[int, RoundView]:
    """The chain's round id and view; 409 while the proposal is not mined (or if it failed)."""
    round_id = resolve_chain_id(session, chain, row)
    if round_id is None:
        job = session.get(Job, row.propose_job_id)
        status = job.status if job is not None else "unknown"
        if status in DEAD:
            raise Conflict(f"the proposal never reached the chain (its job {row.propose_job_id} is {status})")
        raise Conflict(f"the proposal is not mined yet (job {row.propose_job_id} is {status}); retry shortly",
                       headers={"Retry-After": "1"})
    return round_id, round_view(chain, row.programme, round_id)


def _pending(session: Session, job_id: str | None) -> Job | None:
    """The job if it may still happen (not failed, expired or cancelled)."""
    if job_id is None:
        return None
    job = session.get(Job, job_id)
    return job if job is not None and job.status not in DEAD else None


def approve(session: Session, chain: ChainContext, settings: Settings, row: CashRound, key: AuthenticatedKey,
            ref: str) -> list[Job]:
    """Maker-checker approval: another key, the approver signer funds the round (allowance job first)."""
    if key.id == row.proposer_key_id:
        raise Forbidden("maker-checker: the API key that proposed this round cannot approve it; "
                        "an approver with another key must")
    round_id, view = require_on_chain(session, chain, row)
    queued = _pending(session, row.approve_job_id)
    if queued is not None:
        raise Conflict(f"the approval is queued already (job {queued.id} is {queued.status})")
    if view.status != "proposed":
        raise refusal("InvalidRoundStatus", f"the round is {view.status}; only a proposed round can be approved")
    if chain.call(row.programme, PROGRAMME, "paused"):
        raise refusal("EnforcedPause", "the programme is paused: no round can be approved until it is unpaused")
    now = chain_time(chain)
    if now >= view.closes_at:
        raise refusal("RoundNotOpen", "the round's window has closed; it can only be cancelled")
    length = int(chain.call(row.programme, PROGRAMME, "periodLength"))
    if view.period < now // length:
        raise refusal("RoundPeriodPassed", "the round's cap period is over; it can only be cancelled")
    reserved = int(chain.call(row.programme, PROGRAMME, "periodReserved", view.period))
    cap = int(chain.call(row.programme, PROGRAMME, "periodCap"))
    if reserved + view.amount > cap:
        raise refusal("PeriodCapExceeded", f"approved rounds of this period already reserve {reserved} per "
                      f"beneficiary; this round's {view.amount} would exceed the period cap {cap}")
    plan = plan_of(row)
    if plan.cap_size > 1 and view.cap_size != plan.cap_size:
        cap_queued = ", ".join(cap_jobs(row)) or "none yet"
        raise Conflict(f"the round declares a claim cap of {plan.cap_size} that the contract does not hold yet "
                       f"(its jobs: {cap_queued}): POST .../claim-cap, and approve once those jobs are confirmed",
                       extra={"claim_cap": plan.cap_size, "claim_cap_on_chain": view.cap_size})
    if view.kind == RoundKind.merkle_claim.chain_value:
        live = len(chain.call(row.programme, PROGRAMME, "liveClaimRounds"))
        if live >= int(chain.call(row.programme, PROGRAMME, "MAX_LIVE_CLAIM_ROUNDS")):
            raise refusal("TooManyLiveClaimRounds", "too many claim rounds are live; sweep closed ones first")
    approver = chain.signer_for("approver").address
    token = token_of(chain, row.programme)
    if balance_of(chain, token, view.funder) < view.budget:
        raise refusal("ERC20InsufficientBalance", "the funder's token balance is below the round's budget")
    calls = []
    if view.funder == approver and allowance(chain, token, approver, row.programme) < view.budget:
        calls.append(Call("cash.round.fund", "approver", token, erc20_approve_data(row.programme, view.budget)))
    calls.append(Call("cash.round.approve", "approver", row.programme,
                      chain.encode(PROGRAMME, "approveRound", round_id)))
    jobs = submit_many(session, chain, settings, calls, api_key_id=key.id, object_address=row.programme, ref=ref)
    if len(jobs) == 2:
        row.funding_job_id = jobs[0].id
    row.approve_job_id = jobs[-1].id
    row.approver_key_id, row.approver_label = key.id, key.label
    session.flush()
    return jobs


def cap_jobs(row: CashRound) -> list[str]:
    """The `setClaimCap` jobs queued for the round (kept in its plan document, outside the plan hash)."""
    return list(row.plan.get("cap_jobs", []))


def store_claim_cap(session: Session, chain: ChainContext, settings: Settings, row: CashRound,
                    key: AuthenticatedKey, ref: str) -> list[Job]:
    """Queue the `setClaimCap` calls (disburser signer, chunks of up to 250 nodes, in order: the last one verifies
    the nodes against the root) that store the claim cap the proposal declared. Once the proposal is mined and
    while the round is proposed; 409 if the cap is stored, or its live jobs are queued, already."""
    if row.round_kind is not RoundKind.merkle_claim:
        raise refusal("WrongRoundKind", "only a claim round has a claim cap")
    plan = plan_of(row)
    if plan.cap_size == 1:
        raise Unprocessable("this round declares no claim cap (propose it with claim_cap)")
    round_id, view = require_on_chain(session, chain, row)
    if view.status != "proposed":
        raise refusal("InvalidRoundStatus", f"the round is {view.status}; a claim cap is stored before approval")
    if view.cap_size == plan.cap_size:
        raise Conflict(f"the claim cap of {plan.cap_size} is stored already")
    live = [job for job in (_pending(session, j) for j in cap_jobs(row)) if job is not None]
    if live:
        raise Conflict(f"the claim cap is being stored already (jobs {', '.join(j.id for j in live)})")
    tree = claim_tree(plan)
    calls = [Call("cash.round.claim_cap", "disburser", row.programme,
                  chain.encode(PROGRAMME, "setClaimCap", round_id, tree.cap_size, offset, nodes))
             for offset, nodes in tree.cap_chunks(MAX_CAP_CHUNK)]
    jobs = submit_many(session, chain, settings, calls, api_key_id=key.id, object_address=row.programme, ref=ref)
    row.plan = {**row.plan, "cap_jobs": [j.id for j in jobs]}
    session.flush()
    return jobs


def cancel(session: Session, chain: ChainContext, settings: Settings, row: CashRound, key: AuthenticatedKey,
           ref: str) -> Job:
    """Cancel (the proposer's disburser) or reject (an approver) a proposed round."""
    from pilotkit_backend.platform.models.access import Scope

    round_id, view = require_on_chain(session, chain, row)
    if view.status != "proposed":
        raise refusal("InvalidRoundStatus", f"the round is {view.status}; only a proposed round can be cancelled")
    role = "approver" if key.has_any([Scope.approver]) and key.id != row.proposer_key_id else "disburser"
    if role == "disburser" and not key.has_any([Scope.disburser]):
        raise Forbidden("only an approver, or a disburser, may cancel a round")
    job = submit(session, chain, settings,
                 Call("cash.round.cancel", role, row.programme, chain.encode(PROGRAMME, "cancelRound", round_id)),
                 api_key_id=key.id, object_address=row.programme, ref=ref)
    row.cancel_job_id = job.id
    session.flush()
    return job


def sweep(session: Session, chain: ChainContext, settings: Settings, row: CashRound, key: AuthenticatedKey,
          ref: str) -> Job:
    """Return a closed round's unpaid budget to its funder (sent by the disburser signer)."""
    round_id, view = require_on_chain(session, chain, row)
    if view.status != "approved":
        raise refusal("InvalidRoundStatus", f"the round is {view.status}; only an approved round can be swept")
    if chain_time(chain) < view.closes_at:
        raise refusal("RoundStillOpen", f"the round is open until {view.closes_at}; sweep after it closes")
    job = submit(session, chain, settings,
                 Call("cash.round.sweep", "disburser", row.programme, chain.encode(PROGRAMME, "sweep", round_id)),
                 api_key_id=key.id, object_address=row.programme, ref=ref)
    row.sweep_job_id = job.id
    session.flush()
    return job


def payment_rows(session: Session, row: CashRound) -> list[tuple[CashRoundPayment, Job | None]]:
    jobs = {j.id: j for j in session.execute(
        select(Job).join(CashRoundPayment, CashRoundPayment.job_id == Job.id)
        .where(CashRoundPayment.round_pk == row.id)).scalars()}
    payments = session.execute(select(CashRoundPayment).where(CashRoundPayment.round_pk == row.id)
                               .order_by(CashRoundPayment.id)).scalars()
    return [(p, jobs.get(p.job_id)) for p in payments]


def progress(session: Session, row: CashRound) -> dict[str, Any]:
    """Payment jobs by status, indexes they cover, and each failure with its error name."""
    by_status: dict[str, int] = {}
    queued_indexes = confirmed_indexes = 0
    failures = []
    for payment, job in payment_rows(session, row):
        status = job.status if job is not None else "unknown"
        by_status[status] = by_status.get(status, 0) + 1
        if status not in DEAD:
            queued_indexes += len(payment.indexes)
        if status == JobStatus.CONFIRMED.value:
            confirmed_indexes += len(payment.indexes)
        if status in DEAD:
            failures.append({"job_id": payment.job_id, "kind": payment.kind, "beneficiaries": len(payment.indexes),
                             "status": status, "error": (job.error_name if job is not None else None) or status})
    return {"jobs": sum(by_status.values()), "jobs_by_status": by_status, "beneficiaries_planned":
            row.beneficiary_count, "beneficiaries_queued": queued_indexes,
            "beneficiaries_in_confirmed_jobs": confirmed_indexes, "failures": failures[:100]}
