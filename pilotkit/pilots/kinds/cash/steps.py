"""The cash kind's replay steps: enrolment and statuses, funding, rounds (push, list, claim), vouchers, recovery."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from pilotkit.cash_claims import BatchTree, ClaimTree, beneficiary_id
from pilotkit.pilots.eip712 import CLAIM_TYPE, SPEND_TYPE, digest
from pilotkit.pilots.kinds.cash.state import KIND, NAME, SKIP_REASONS, STATUS, Round, state
from pilotkit.pilots.kit import MAX_UINT, ZERO32, role_id, units

if TYPE_CHECKING:
    from pilotkit.pilots.actions import Pending
    from pilotkit.pilots.kit import Engine, StepHandler
    from pilotkit.pilots.model import Step
    from pilotkit.pilots.txs import ReplaySigner

ROLES = ("registrar", "disburser", "approver", "supervisor", "merchant_manager", "funder")
GRANTS = [("REGISTRAR_ROLE", "registrar"), ("DISBURSER_ROLE", "disburser"), ("DISBURSER_ROLE", "supervisor"),
          ("APPROVER_ROLE", "approver"), ("APPROVER_ROLE", "supervisor"), ("PAUSER_ROLE", "pauser"),
          ("MERCHANT_MANAGER_ROLE", "merchant_manager")]
GAS_PER_ITEM = {"cash.enrolBatch": 90_000, "cash.payFlat": 60_000, "cash.payList": 60_000, "cash.setClaimCap": 60_000}


def deploy(engine: Engine) -> dict[str, str]:
    """The settlement token and the programme; the programme's roles granted to the replay's officers."""
    admin = engine.role["admin"]
    prog = engine.scenario.programme
    deployed: dict[str, str] = {}
    deployed["token"] = engine.actions.deploy(
        "token", "TestStablecoin", ("Test " + prog.currency, prog.currency, admin.address), admin,
        engine.clock.next_block())
    config = (admin.address, deployed["token"], prog.voucher_mode, prog.recovery_delay, prog.period,
              prog.period_cap)
    deployed[NAME] = engine.actions.deploy(NAME, "CashProgramme", (config,), admin, engine.clock.next_block())
    for role, who in GRANTS:
        engine.send(NAME, "grantRole", role_id(role), engine.role[who].address, sender=admin)
    return deployed


# --- registry -----------------------------------------------------------------------------------------------

def enrol(engine: Engine, step: Step) -> None:
    s = state(engine)
    total = engine.actors.beneficiaries
    count = step.get("count", "all")
    count = total - len(s.ids) if count == "all" else min(int(count), total - len(s.ids))
    batch = int(step.get("batch", 150))
    first = len(s.ids) + 1
    for start in range(first, first + count, batch):
        indexes = range(start, min(start + batch, first + count))
        ids = [beneficiary_id(s.secret, f"synthetic-person:{engine.scenario.name}:{i}") for i in indexes]
        wallets = [engine.derive(f"beneficiary-{i}") for i in indexes]
        s.ids += ids
        s.wallets += wallets
        for i in indexes:
            s.status[i] = "Active"
        engine.send(NAME, "enrolBatch", ids, [w.address for w in wallets], sender=engine.role["registrar"],
                    items=len(ids))
    engine.detail.update(enrolled=count, first_index=first, total=len(s.ids))


def _set_status(engine: Engine, step: Step, function: str, new: str) -> None:
    s = state(engine)
    for index in step.params["beneficiaries"]:
        if index > len(s.ids):
            engine.fail(f"beneficiary {index} is not enrolled (only {len(s.ids)} are)")
            continue
        args: tuple[Any, ...] = (s.ids[index - 1],)
        if function in ("suspend", "remove"):
            args += (int(step.get("reason", 1)),)
        engine.send(NAME, function, *args, sender=engine.role["registrar"])
        s.status[index] = new
    engine.detail[new.lower()] = list(step.params["beneficiaries"])


def suspend(engine: Engine, step: Step) -> None:
    _set_status(engine, step, "suspend", "Suspended")


def reinstate(engine: Engine, step: Step) -> None:
    _set_status(engine, step, "reinstate", "Active")


def remove(engine: Engine, step: Step) -> None:
    _set_status(engine, step, "remove", "Removed")


def fund(engine: Engine, step: Step) -> None:
    funder = engine.role["funder"]
    amount = int(step.params.get("amount") or step.params["per_beneficiary"] * engine.actors.beneficiaries)
    engine.send("token", "mint", funder.address, amount, sender=engine.role["admin"])
    engine.send("token", "approve", engine.actions.address(NAME), MAX_UINT, sender=funder)
    kind_api = getattr(engine.actions, "kind_api", None)
    api_funder = kind_api(NAME).funder_address if kind_api is not None else None
    if api_funder is not None:  # --via api: rounds proposed through the API are funded by the service's
        # approver (the API sets its allowance); rounds left on the library path by the replay's funder
        engine.send("token", "mint", api_funder, amount, sender=engine.role["admin"])
        engine.detail["minted_to_api_approver"] = units(amount)
    engine.detail["minted"] = units(amount)


def wallet_recovery(engine: Engine, step: Step) -> None:
    s = state(engine)
    index = int(step.params["beneficiary"])
    registrar = engine.role["registrar"]
    bid = s.ids[index - 1]
    stolen = bool(step.get("stolen", True))
    pending_wallet, _ = engine.actions.call(NAME, "pendingRecovery", index)
    new_wallet = engine.derive(f"beneficiary-{index}-recovered-{s.recoveries + 1}")
    if int(pending_wallet, 16) == 0:
        if stolen and s.status[index] == "Active":
            engine.send(NAME, "suspend", bid, 7, sender=registrar)
            s.status[index] = "Suspended"
        engine.send(NAME, "requestWalletRecovery", bid, new_wallet.address, sender=registrar)
        engine.flush()
    else:
        new_wallet = s.pending_wallets.pop(index)
    # Four eyes (review finding 7): an approver confirms what the registrar requested.
    _, confirmed = engine.actions.call(NAME, "recoveryConfirmation", index)
    if not confirmed:
        engine.send(NAME, "confirmWalletRecovery", bid, sender=engine.role["approver"])
    engine.advance_to(engine.clock.now + engine.scenario.programme.recovery_delay)
    engine.send(NAME, "executeWalletRecovery", bid, sender=registrar)
    if s.status[index] == "Suspended":
        engine.send(NAME, "reinstate", bid, sender=registrar)
        s.status[index] = "Active"
    engine.flush()
    s.wallets[index - 1] = new_wallet
    s.recoveries += 1
    wallet, status, _ = engine.actions.call(NAME, "beneficiary", index)
    if wallet.lower() != new_wallet.address.lower() or STATUS[status] != "Active":
        engine.fail(f"after recovery beneficiary {index} has wallet {wallet} ({STATUS[status]}), "
                    f"expected {new_wallet.address} (Active)")
    engine.detail.update(beneficiary=index, new_wallet=new_wallet.address, stolen=stolen)


# --- rounds -------------------------------------------------------------------------------------------------

def window(engine: Engine, length: int) -> tuple[int, int]:
    """A round window of `length` seconds from the next block, moved to the next period if it would straddle."""
    period = engine.scenario.programme.period
    start = engine.clock.now + engine.clock.block_time
    period_end = (start // period + 1) * period
    if start + length > period_end:
        start = period_end
        engine.clock.now = start - engine.clock.block_time
    return start, start + length


def _eligible(engine: Engine, recipients: Any) -> list[int]:
    s = state(engine)
    enrolled = [i for i in range(1, len(s.ids) + 1) if s.status[i] != "Removed"]
    return enrolled if recipients in (None, "all") else enrolled[: int(recipients)]


def propose(engine: Engine, kind: str, budget: int, amount: int, opens: int, closes: int, root: bytes,
            proposer: ReplaySigner, recipients: list[int] | None = None, cap: int = 1) -> tuple[int, Pending]:
    s = state(engine)
    params = (KIND[kind], budget, amount, opens, closes, root, engine.role["funder"].address,
              keccak(text=f"plan:{engine.scenario.name}:{s.round_count + 1}"))
    if recipients is None:  # a round with no plan of its own (a misuse attempt): the first that fit the budget
        recipients = [i for i in sorted(s.status) if s.status[i] == "Active"][: budget // max(amount, 1)]
    active = [i for i in recipients if s.status.get(i) == "Active"]
    pending = engine.send(NAME, "proposeRound", params, sender=proposer,
                          meta={"recipients": recipients, "active": active, "cap": cap})
    s.round_count += 1
    return s.round_count, pending


def round_(engine: Engine, step: Step) -> None:
    s = state(engine)
    kind, amount = step.params["kind"], step.params["amount"]
    recipients = _eligible(engine, step.get("recipients"))
    opens, closes = window(engine, int(step.get("window", 7 * 86_400)))
    label = step.label or f"round-{s.round_count + 1}"
    tree: ClaimTree | None = None
    batches: BatchTree | None = None
    root = ZERO32
    size = int(step.get("batch", 250))
    chunks = [recipients[i:i + size] for i in range(0, len(recipients), size)]
    if kind == "claim":
        tree = ClaimTree(dict.fromkeys(recipients, amount), int(step.get("cap", 1)))
        root = tree.root
    elif kind == "list":
        batches = BatchTree([(chunk, [amount] * len(chunk)) for chunk in chunks])
        root = batches.root
    round_id, _ = propose(engine, kind, amount * len(recipients), amount, opens, closes, root,
                          engine.role["disburser"], recipients, tree.cap_size if tree is not None else 1)
    if tree is not None and tree.cap_size > 1:
        engine.flush()  # the cap is stored for the round id the proposal's receipt gives
        for offset, nodes in tree.cap_chunks():
            engine.send(NAME, "setClaimCap", round_id, tree.cap_size, offset, nodes,
                        sender=engine.role["disburser"], items=len(nodes))
    engine.flush()
    engine.send(NAME, "approveRound", round_id, sender=engine.role["approver"])
    engine.flush()
    info = Round(label, round_id, kind, amount, opens, closes, recipients, tree, batches, approved=True)
    s.rounds[label] = info
    detail: dict[str, Any] = {"round_id": round_id, "kind": kind, "amount": units(amount),
                              "recipients": len(recipients), "opens_at": opens, "closes_at": closes}
    if kind == "push":
        pays = [engine.send(NAME, "payFlat", round_id, chunk, sender=engine.role["disburser"], items=len(chunk))
                for chunk in chunks]
        engine.flush()
        detail.update(_settle_push(engine, info, pays))
    elif kind == "list":
        assert batches is not None
        pays = [engine.send(NAME, "payList", round_id, chunk, [amount] * len(chunk), batches.proof(n),
                            sender=engine.role["disburser"], items=len(chunk)) for n, chunk in enumerate(chunks)]
        engine.flush()
        detail.update(_settle_push(engine, info, pays))
    else:
        detail.update(_claims(engine, info, step))
    if step.get("sweep"):
        detail["swept"] = _sweep(engine, info)
    engine.detail.update(detail)


def credit(engine: Engine, info: Round, index: int, timestamp: int) -> None:
    """Count one payment of round `info` to beneficiary `index` (and its point on the timeline)."""
    s = state(engine)
    info.paid.add(index)
    s.payments += 1
    s.paid_units += info.amount
    if engine.scenario.programme.voucher_mode:
        s.entitlement[index] = s.entitlement.get(index, 0) + info.amount
    if engine.timeline[-1][0] == timestamp:
        engine.timeline[-1] = (timestamp, s.paid_units)
    else:
        engine.timeline.append((timestamp, s.paid_units))


def _settle_push(engine: Engine, info: Round, pays: list[Pending]) -> dict[str, Any]:
    skipped: dict[str, int] = {}
    for pending in pays:
        if not pending.ok:
            continue
        events = pending.events
        skipped_here = set()
        for event in events:
            if event.name == "PaymentSkipped":
                reason = SKIP_REASONS[int(event["reason"])]
                skipped[reason] = skipped.get(reason, 0) + 1
                skipped_here.add(int(event["index"]))
        # --via api: the service pays its own plan (active beneficiaries only): count whom its jobs carried
        carried = pending.operation.meta.get("api_carried")
        for index in pending.operation.args[1]:
            if index not in skipped_here and (carried is None or index in carried):
                credit(engine, info, index, pending.timestamp)
    return {"paid": len(info.paid), "skipped": skipped}


def _claims(engine: Engine, info: Round, step: Step) -> dict[str, Any]:
    s = state(engine)
    assert info.tree is not None
    rng = random.Random(f"{engine.seed}:{step.number}:claims")
    active = [i for i in info.recipients if s.status[i] == "Active"]
    claimers = sorted(rng.sample(active, round(len(active) * float(step.get("claim_share", 1.0)))))
    relayed = set(rng.sample(claimers, round(len(claimers) * float(step.get("relayed_share", 0.0)))))
    engine.advance_to(info.opens)
    sent = []
    for index in claimers:
        proof = info.tree.cap_proof(index) if info.tree.cap_size > 1 else info.tree.proof(index)
        if index in relayed:
            sig = claim_signature(engine, s.wallet(index), info, index)
            pending = engine.send(NAME, "claimFor", info.round_id, index, info.amount, proof, info.closes, sig,
                                  sender=engine.role["relayer"])
            info.relayed.append(pending.operation)
            s.last_relayed = pending.operation
        else:
            pending = engine.send(NAME, "claim", info.round_id, index, info.amount, proof, sender=s.wallet(index))
        sent.append(pending)
    engine.flush()
    for pending in sent:
        if pending.ok:
            credit(engine, info, int(pending.operation.args[1]), pending.timestamp)
    return {"claimed": len(info.paid), "relayed": len(relayed), "unclaimed": len(info.recipients) - len(info.paid)}


def claim_signature(engine: Engine, signer: ReplaySigner, info: Round, index: int,
                    deadline: int | None = None) -> bytes:
    separator = engine.separator(NAME, "pilotkit CashProgramme")
    message = digest(separator, CLAIM_TYPE, ["uint256"] * 4,
                     [info.round_id, index, info.amount, deadline or info.closes])
    return signer.sign_digest(message)


def _sweep(engine: Engine, info: Round) -> int | float:
    engine.advance_to(info.closes)
    pending = engine.send(NAME, "sweep", info.round_id, sender=engine.role["disburser"])
    engine.flush()
    info.swept = True
    events = pending.events_named("RoundSwept")
    return units(int(events[0]["amount"])) if events else 0


def sweep(engine: Engine, step: Step) -> None:
    s = state(engine)
    label = step.get("round")
    targets = [s.rounds[label]] if label else [r for r in s.rounds.values() if r.approved and not r.swept]
    engine.detail["swept"] = {r.label: _sweep(engine, r) for r in targets}


# --- vouchers -----------------------------------------------------------------------------------------------

def approve_merchants(engine: Engine, step: Step) -> None:
    s = state(engine)
    count = step.get("count", "all")
    chosen = s.merchants if count == "all" else s.merchants[: int(count)]
    for merchant in chosen:
        engine.send(NAME, "approveMerchant", merchant.address, keccak(text=f"merchant-ref:{merchant.label}"),
                    sender=engine.role["merchant_manager"])
        s.merchant_balance.setdefault(merchant.address, 0)
    engine.detail["merchants"] = len(chosen)


def spend_digest(engine: Engine, index: int, merchant: str, amount: int, deadline: int) -> bytes:
    """The EIP-712 digest a beneficiary's wallet signs to let a merchant till spend `amount` for it."""
    separator = engine.separator(NAME, "pilotkit CashProgramme")
    nonce = state(engine).spend_nonce.get(index, 0)
    return digest(separator, SPEND_TYPE, ["uint256", "address", "uint256", "uint256", "uint256"],
                  [index, merchant, amount, nonce, deadline])


def spend(engine: Engine, step: Step) -> None:
    s = state(engine)
    amount = step.params["amount"]
    approved = [m for m in s.merchants if m.address in s.merchant_balance]
    if not approved:
        engine.fail("no approved merchant to spend at: add an approve_merchants step first")
        return
    rng = random.Random(f"{engine.seed}:{step.number}:spend")
    able = [i for i in sorted(s.entitlement) if s.entitlement[i] >= amount and s.status[i] == "Active"]
    spenders = sorted(rng.sample(able, round(len(able) * float(step.get("share", 1.0)))))
    relayed = set(rng.sample(spenders, round(len(spenders) * float(step.get("relayed_share", 0.0)))))
    sent = []
    for n, index in enumerate(spenders):
        merchant = approved[n % len(approved)]
        if index in relayed:
            deadline = engine.clock.now + 86_400
            sig = s.wallet(index).sign_digest(spend_digest(engine, index, merchant.address, amount, deadline))
            pending = engine.send(NAME, "spendFor", index, merchant.address, amount, deadline, sig, sender=merchant)
            s.spend_nonce[index] = s.spend_nonce.get(index, 0) + 1
            s.last_relayed = pending.operation
        else:
            pending = engine.send(NAME, "spend", merchant.address, amount, sender=s.wallet(index))
        sent.append((pending, index, merchant.address))
    engine.flush()
    for pending, index, merchant_address in sent:
        if pending.ok:
            s.entitlement[index] -= amount
            s.merchant_balance[merchant_address] += amount
    engine.detail.update(spenders=len(spenders), relayed=len(relayed), amount=units(amount))


def redeem(engine: Engine, step: Step) -> None:
    s = state(engine)
    share = float(step.get("share", 1.0))
    total = 0
    for merchant in s.merchants:
        amount = int(s.merchant_balance.get(merchant.address, 0) * share)
        if amount > 0:
            engine.send(NAME, "redeem", amount, keccak(text=f"settlement:{merchant.label}:{step.number}"),
                        sender=merchant)
            s.merchant_balance[merchant.address] -= amount
            total += amount
    engine.detail["redeemed"] = units(total)


STEPS: dict[str, StepHandler] = {
    "enrol": enrol, "fund": fund, "round": round_, "sweep": sweep, "suspend": suspend, "reinstate": reinstate,
    "remove": remove, "approve_merchants": approve_merchants, "spend": spend, "redeem": redeem,
    "wallet_recovery": wallet_recovery,
}
