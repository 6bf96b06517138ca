"""The replay engine: a scenario's steps, run deterministically against a fresh local chain.

Determinism: every key comes from the seed (`ReplaySigner.derive`), every transaction has fixed fees and a fixed
gas limit, every block is mined by the engine at a timestamp from the scenario clock (genesis time + block time,
plus `advance` steps), on a fresh chain with automine off and FIFO ordering. The same scenario and seed give the
same accounts, transaction hashes, gas and final state; only the `wall_clock` part of the result differs.

Speed: operations are signed locally and sent without waiting; one `flush` mines them all in one block (up to
`BLOCK_TXS` transactions), so a 10,000-beneficiary programme replays in seconds.
"""

from __future__ import annotations

import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from pilotkit.cash_claims import BatchTree, ClaimTree, beneficiary_id
from pilotkit.merkle import MerkleTree
from pilotkit.pilots import ReplayError
from pilotkit.pilots.actions import Actions, Operation, Pending
from pilotkit.pilots.eip712 import CLAIM_TYPE, ISSUE_CERTIFICATE_TYPE, SPEND_TYPE, digest, domain_separator
from pilotkit.pilots.scenario import UNIT, Scenario, Step
from pilotkit.pilots.txs import ReplaySigner

if TYPE_CHECKING:
    from pilotkit.pilots.actions import DirectActions
    from pilotkit.pilots.actions_api import ApiActions
    from pilotkit.project import Project

BLOCK_TXS = 2000
ETH = 10**18
ACTOR_BALANCE = 1000 * ETH
ZERO32 = bytes(32)
MAX_UINT = 2**256 - 1
ROLE = {name: keccak(text=name) for name in ("REGISTRAR_ROLE", "DISBURSER_ROLE", "APPROVER_ROLE", "PAUSER_ROLE",
                                              "MERCHANT_MANAGER_ROLE", "VERIFIER_ROLE")}
KIND = {"push": 0, "list": 1, "claim": 2}
STATUS = ["None", "Active", "Suspended", "Removed"]
CERT_STATUS = ["Unknown", "Valid", "Expired", "Suspended", "Revoked", "Superseded"]
SCHEMA_ID = keccak(text="pilotkit:certificate-schema:v1")
GAS = {  # fixed gas limits (part of each transaction's hash): generous, never binding
    "enrolBatch": 90_000, "payFlat": 60_000, "payList": 60_000, "default": 600_000, "setClaimCap": 60_000,
}


def _units(base: int) -> int | float:
    return base // UNIT if base % UNIT == 0 else base / UNIT


@dataclass
class Clock:
    """Scenario time: each mined block is `block_time` after the previous one; `advance` jumps ahead."""

    now: int
    block_time: int

    def next_block(self) -> int:
        self.now += self.block_time
        return self.now


@dataclass
class Round:
    label: str
    round_id: int
    kind: str
    amount: int
    opens: int
    closes: int
    recipients: list[int]
    tree: ClaimTree | None = None
    batches: BatchTree | None = None
    paid: set[int] = field(default_factory=set)
    relayed: list[Operation] = field(default_factory=list)
    approved: bool = False
    swept: bool = False


@dataclass
class Certificate:
    doc: bytes
    proof: list[bytes]
    root: bytes
    status: str = "Valid"


@dataclass
class StepRecord:
    step: Step
    ok: bool = True
    transactions: int = 0
    gas: int = 0
    detail: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Progress:
    """A plain progress bar on stderr (no dependency); silent when disabled."""

    def __init__(self, total_steps: int, enabled: bool) -> None:
        self.total = max(total_steps, 1)
        self.enabled = enabled
        self.step = 0
        self.label = ""
        self.txs = 0
        self._last = 0.0

    def update(self, step: int | None = None, label: str | None = None, txs: int | None = None,
               force: bool = False) -> None:
        if step is not None:
            self.step = step
        if label is not None:
            self.label = label
        if txs is not None:
            self.txs = txs
        if not self.enabled or (not force and time.monotonic() - self._last < 0.1):
            return
        self._last = time.monotonic()
        done = int(30 * self.step / self.total)
        sys.stderr.write(f"\r[{'#' * done}{'.' * (30 - done)}] step {self.step}/{self.total} "
                         f"{self.label[:28]:28} {self.txs:>8,} tx")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            self.update(force=True)
            sys.stderr.write("\n")


class Replay:
    """Runs one scenario through an `Actions` implementation and collects everything the reports need."""

    def __init__(self, scenario: Scenario, actions: Actions, seed: int | None = None, full: bool = False,
                 progress: bool = False) -> None:
        self.scenario = scenario
        self.actions = actions
        self.seed = scenario.seed if seed is None else seed
        self.full = full
        self.actors = scenario.actors.scaled(full)
        self.clock = Clock(scenario.chain.genesis_time, scenario.chain.block_time)
        self.progress = Progress(len(scenario.steps), progress)
        name = scenario.name

        def derive(label: str) -> ReplaySigner:
            return ReplaySigner.derive(self.seed, name, label)

        self.derive = derive
        self.role = {r: derive(r) for r in ("admin", "registrar", "disburser", "approver", "supervisor", "pauser",
                                            "merchant_manager", "funder", "relayer", "stranger", "verifier",
                                            "issuer", "developer")}
        self.merchants = [derive(f"merchant-{i + 1}") for i in range(self.actors.merchants)]
        self.buyers = [derive(f"credit-buyer-{i + 1}") for i in range(self.actors.credit_buyers)]
        self.wallets: list[ReplaySigner] = []  # index i-1 → beneficiary i's current wallet
        self.secret = keccak(text=f"pilotkit replay programme secret|{name}|{self.seed}")
        self.ids: list[bytes] = []
        self.status: dict[int, str] = {}
        self.entitlement: dict[int, int] = {}
        self.spend_nonce: dict[int, int] = {}
        self.merchant_balance: dict[str, int] = {}
        self.funded: set[str] = set()
        self.rounds: dict[str, Round] = {}
        self.round_count = 0
        self.payments = 0
        self.paid_units = 0
        self.recoveries = 0
        self.paused: dict[str, bool] = {}
        self.timeline: list[tuple[int, int]] = [(self.clock.now, 0)]
        self.gas: dict[str, list[tuple[int, int]]] = {}
        self.hashes: list[str] = []
        self.projects = 0
        self.batches: list[dict[str, Any]] = []
        self.ranges: dict[bytes, list[int]] = {}
        self.certificates: list[Certificate] = []
        self.batch_docs: list[Certificate] = []
        self.misuse: list[dict[str, Any]] = []
        self.records: list[StepRecord] = []
        self.current: StepRecord | None = None
        self.block_seconds: list[float] = []
        self.last_relayed: Operation | None = None
        self.separators: dict[str, bytes] = {}
        self._pending_wallets: dict[int, ReplaySigner] = {}
        self.registry_of = ZERO32
        self.last_retirement: tuple[ReplaySigner, int, int] | None = None
        self.api_steps: list[dict[str, Any]] = []  # --via api: per step, the path, requests, jobs and seconds

    # --- plumbing -------------------------------------------------------------------------------------------

    def send(self, contract: str, function: str, *args: Any, sender: ReplaySigner, items: int = 1,
             gas: int | None = None, meta: dict[str, Any] | None = None) -> Pending:
        if sender.address not in self.funded:
            self.actions.fund([sender.address], ACTOR_BALANCE)
            self.funded.add(sender.address)
        limit = gas or GAS.get(function, GAS["default"])
        if function in ("enrolBatch", "payFlat", "payList", "setClaimCap"):
            limit = 200_000 + limit * items
        pending = self.actions.submit(Operation(contract, function, tuple(args), sender, limit, items,
                                                meta=meta or {}))
        if self.actions.pending_count() >= BLOCK_TXS:
            self.flush()
        return pending

    def flush(self) -> list[Pending]:
        return self.actions.flush(self.clock.next_block())

    def record_block(self, settled: list[Pending], seconds: float) -> None:
        """Bookkeeping for every mined block (deployments included): hashes, gas, the current step's outcome."""
        self.block_seconds.append(seconds)
        for pending in settled:
            op = pending.operation
            if pending.tx_hash:  # an API request refused before any transaction has none
                self.hashes.append(pending.tx_hash)
                self.gas.setdefault(op.key, []).append((pending.gas_used, op.items))
            if self.current is not None and pending.tx_hash:
                self.current.transactions += 1
                self.current.gas += pending.gas_used
            if self.current is not None and not pending.ok and not op.expect_revert:
                self.current.ok = False
                if len(self.current.problems) < 5:
                    self.current.problems.append(f"{op.key} by {op.sender.label} reverted: {pending.error} "
                                                 f"{pending.error_values or ''}".rstrip())
        self.progress.update(txs=len(self.hashes))

    def wallet(self, index: int) -> ReplaySigner:
        return self.wallets[index - 1]

    def separator(self, key: str, name: str) -> bytes:
        if key not in self.separators:
            self.separators[key] = domain_separator(name, "1", self.actions.chain_id, self.actions.address(key))
        return self.separators[key]

    def _advance_to(self, timestamp: int) -> None:
        """Mine an empty block so the chain's latest time is at least `timestamp`."""
        if self.clock.now < timestamp:
            self.clock.now = timestamp - self.clock.block_time
            self.flush()

    def _fail(self, text: str) -> None:
        assert self.current is not None
        self.current.ok = False
        self.current.problems.append(text)

    # --- run ------------------------------------------------------------------------------------------------

    def run(self) -> None:
        self.actions.fund([s.address for s in self.role.values()], ACTOR_BALANCE)
        self.funded.update(s.address for s in self.role.values())
        try:
            for step in self.scenario.steps:
                record = StepRecord(step)
                self.current = record
                self.progress.update(step=step.number, label=step.kind, force=True)
                started = time.perf_counter()
                handler: Callable[[Step], None] = getattr(self, f"_do_{step.kind}")
                handler(step)
                if self.actions.pending_count():
                    self.flush()
                record.seconds = time.perf_counter() - started
                take_via = getattr(self.actions, "take_step_via", None)
                if take_via is not None:  # --via api: how this step's operations went (api, library or both)
                    taken = take_via()
                    record.detail = {"via": taken["via"], **record.detail}
                    self.api_steps.append({"step": step.number, "do": step.kind, **taken,
                                           "seconds": round(record.seconds, 3)})
                self.records.append(record)
            self.current = None
        finally:
            self.progress.close()

    # --- deployment -----------------------------------------------------------------------------------------

    def _do_deploy(self, step: Step) -> None:
        admin = self.role["admin"]
        deployed: dict[str, str] = {}
        for contract in step.params["contracts"]:
            if contract == "cash":
                prog = self.scenario.programme
                deployed["token"] = self.actions.deploy(
                    "token", "TestStablecoin", ("Test " + prog.currency, prog.currency, admin.address), admin,
                    self.clock.next_block())
                config = (admin.address, deployed["token"], prog.voucher_mode, prog.recovery_delay, prog.period,
                          prog.period_cap)
                deployed["cash"] = self.actions.deploy("cash", "CashProgramme", (config,), admin,
                                                       self.clock.next_block())
                grants = [("REGISTRAR_ROLE", "registrar"), ("DISBURSER_ROLE", "disburser"),
                          ("DISBURSER_ROLE", "supervisor"), ("APPROVER_ROLE", "approver"),
                          ("APPROVER_ROLE", "supervisor"), ("PAUSER_ROLE", "pauser"),
                          ("MERCHANT_MANAGER_ROLE", "merchant_manager")]
                for role, who in grants:
                    self.send("cash", "grantRole", ROLE[role], self.role[who].address, sender=admin)
                self.paused["cash"] = False
            elif contract == "credits":
                deployed["credits"] = self.actions.deploy(
                    "credits", "EcoCreditRegistry", (admin.address, "ipfs://pilotkit-replay/credits/{id}.json"),
                    admin, self.clock.next_block())
                self.send("credits", "grantRole", ROLE["VERIFIER_ROLE"], self.role["verifier"].address, sender=admin)
                self.send("credits", "grantRole", ROLE["PAUSER_ROLE"], self.role["pauser"].address, sender=admin)
                self.paused["credits"] = False
            else:
                deployed["certs"] = self.actions.deploy("certs", "CertificateRegistry", (admin.address,), admin,
                                                        self.clock.next_block())
                self.send("certs", "grantRole", ROLE["PAUSER_ROLE"], self.role["pauser"].address, sender=admin)
                self.paused["certs"] = False
        assert self.current is not None
        self.current.detail["contracts"] = deployed

    # --- cash: registry -------------------------------------------------------------------------------------

    def _do_enrol(self, step: Step) -> None:
        total = self.actors.beneficiaries
        count = step.get("count", "all")
        count = total - len(self.ids) if count == "all" else min(int(count), total - len(self.ids))
        batch = int(step.get("batch", 150))
        first = len(self.ids) + 1
        for start in range(first, first + count, batch):
            indexes = range(start, min(start + batch, first + count))
            ids = [beneficiary_id(self.secret, f"synthetic-person:{self.scenario.name}:{i}") for i in indexes]
            wallets = [self.derive(f"beneficiary-{i}") for i in indexes]
            self.ids += ids
            self.wallets += wallets
            for i in indexes:
                self.status[i] = "Active"
            self.send("cash", "enrolBatch", ids, [w.address for w in wallets], sender=self.role["registrar"],
                      items=len(ids))
        assert self.current is not None
        self.current.detail.update(enrolled=count, first_index=first, total=len(self.ids))

    def _set_status(self, step: Step, function: str, new: str) -> None:
        for index in step.params["beneficiaries"]:
            if index > len(self.ids):
                self._fail(f"beneficiary {index} is not enrolled (only {len(self.ids)} are)")
                continue
            args: tuple[Any, ...] = (self.ids[index - 1],)
            if function in ("suspend", "remove"):
                args += (int(step.get("reason", 1)),)
            self.send("cash", function, *args, sender=self.role["registrar"])
            self.status[index] = new
        assert self.current is not None
        self.current.detail[new.lower()] = list(step.params["beneficiaries"])

    def _do_suspend(self, step: Step) -> None:
        self._set_status(step, "suspend", "Suspended")

    def _do_reinstate(self, step: Step) -> None:
        self._set_status(step, "reinstate", "Active")

    def _do_remove(self, step: Step) -> None:
        self._set_status(step, "remove", "Removed")

    def _do_fund(self, step: Step) -> None:
        funder = self.role["funder"]
        amount = int(step.params.get("amount") or step.params["per_beneficiary"] * self.actors.beneficiaries)
        self.send("token", "mint", funder.address, amount, sender=self.role["admin"])
        self.send("token", "approve", self.actions.address("cash"), MAX_UINT, sender=funder)
        api_funder = getattr(self.actions, "funder_address", None)
        if api_funder is not None:  # --via api: rounds proposed through the API are funded by the service's
            # approver (the API sets its allowance); rounds left on the library path by the replay's funder
            self.send("token", "mint", api_funder, amount, sender=self.role["admin"])
            assert self.current is not None
            self.current.detail["minted_to_api_approver"] = _units(amount)
        assert self.current is not None
        self.current.detail["minted"] = _units(amount)

    def _do_wallet_recovery(self, step: Step) -> None:
        index = int(step.params["beneficiary"])
        registrar = self.role["registrar"]
        bid = self.ids[index - 1]
        stolen = bool(step.get("stolen", True))
        pending_wallet, _ = self.actions.call("cash", "pendingRecovery", index)
        new_wallet = self.derive(f"beneficiary-{index}-recovered-{self.recoveries + 1}")
        if int(pending_wallet, 16) == 0:
            if stolen and self.status[index] == "Active":
                self.send("cash", "suspend", bid, 7, sender=registrar)
                self.status[index] = "Suspended"
            self.send("cash", "requestWalletRecovery", bid, new_wallet.address, sender=registrar)
            self.flush()
        else:
            new_wallet = self._pending_wallets.pop(index)
        self._advance_to(self.clock.now + self.scenario.programme.recovery_delay)
        self.send("cash", "executeWalletRecovery", bid, sender=registrar)
        if self.status[index] == "Suspended":
            self.send("cash", "reinstate", bid, sender=registrar)
            self.status[index] = "Active"
        self.flush()
        self.wallets[index - 1] = new_wallet
        self.recoveries += 1
        wallet, status, _ = self.actions.call("cash", "beneficiary", index)
        if wallet.lower() != new_wallet.address.lower() or STATUS[status] != "Active":
            self._fail(f"after recovery beneficiary {index} has wallet {wallet} ({STATUS[status]}), "
                       f"expected {new_wallet.address} (Active)")
        assert self.current is not None
        self.current.detail.update(beneficiary=index, new_wallet=new_wallet.address, stolen=stolen)

    # --- cash: rounds ---------------------------------------------------------------------------------------

    def _window(self, length: int) -> tuple[int, int]:
        period = self.scenario.programme.period
        start = self.clock.now + self.clock.block_time
        period_end = (start // period + 1) * period
        if start + length > period_end:
            start = period_end
            self.clock.now = start - self.clock.block_time
        return start, start + length

    def _eligible(self, recipients: Any) -> list[int]:
        enrolled = [i for i in range(1, len(self.ids) + 1) if self.status[i] != "Removed"]
        return enrolled if recipients in (None, "all") else enrolled[: int(recipients)]

    def _propose(self, kind: str, budget: int, amount: int, opens: int, closes: int, root: bytes,
                 proposer: ReplaySigner, recipients: list[int] | None = None) -> tuple[int, Pending]:
        params = (KIND[kind], budget, amount, opens, closes, root, self.role["funder"].address,
                  keccak(text=f"plan:{self.scenario.name}:{self.round_count + 1}"))
        if recipients is None:  # a round with no plan of its own (a misuse attempt): the first that fit the budget
            recipients = [i for i in sorted(self.status) if self.status[i] == "Active"][: budget // max(amount, 1)]
        active = [i for i in recipients if self.status.get(i) == "Active"]
        pending = self.send("cash", "proposeRound", params, sender=proposer,
                            meta={"recipients": recipients, "active": active})
        self.round_count += 1
        return self.round_count, pending

    def _do_round(self, step: Step) -> None:
        kind, amount = step.params["kind"], step.params["amount"]
        recipients = self._eligible(step.get("recipients"))
        opens, closes = self._window(int(step.get("window", 7 * 86_400)))
        label = step.label or f"round-{self.round_count + 1}"
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
        round_id, _ = self._propose(kind, amount * len(recipients), amount, opens, closes, root,
                                    self.role["disburser"], recipients)
        if tree is not None and tree.cap_size > 1:
            for offset, nodes in tree.cap_chunks():
                self.send("cash", "setClaimCap", round_id, tree.cap_size, offset, nodes,
                          sender=self.role["disburser"], items=len(nodes))
        self.flush()
        self.send("cash", "approveRound", round_id, sender=self.role["approver"])
        self.flush()
        info = Round(label, round_id, kind, amount, opens, closes, recipients, tree, batches, approved=True)
        self.rounds[label] = info
        detail: dict[str, Any] = {"round_id": round_id, "kind": kind, "amount": _units(amount),
                                  "recipients": len(recipients), "opens_at": opens, "closes_at": closes}
        if kind == "push":
            pays = [self.send("cash", "payFlat", round_id, chunk, sender=self.role["disburser"], items=len(chunk))
                    for chunk in chunks]
            self.flush()
            detail.update(self._settle_push(info, pays))
        elif kind == "list":
            assert batches is not None
            pays = [self.send("cash", "payList", round_id, chunk, [amount] * len(chunk), batches.proof(n),
                              sender=self.role["disburser"], items=len(chunk)) for n, chunk in enumerate(chunks)]
            self.flush()
            detail.update(self._settle_push(info, pays))
        else:
            detail.update(self._claims(info, step))
        if step.get("sweep"):
            detail["swept"] = self._sweep(info)
        assert self.current is not None
        self.current.detail.update(detail)

    def _credit(self, info: Round, index: int, timestamp: int) -> None:
        info.paid.add(index)
        self.payments += 1
        self.paid_units += info.amount
        if self.scenario.programme.voucher_mode:
            self.entitlement[index] = self.entitlement.get(index, 0) + info.amount
        if self.timeline[-1][0] == timestamp:
            self.timeline[-1] = (timestamp, self.paid_units)
        else:
            self.timeline.append((timestamp, self.paid_units))

    def _settle_push(self, info: Round, pays: list[Pending]) -> dict[str, Any]:
        skipped: dict[str, int] = {}
        for pending in pays:
            if not pending.ok:
                continue
            events = pending.events
            skipped_here = set()
            for event in events:
                if event.name == "PaymentSkipped":
                    reason = ["NotActive", "AlreadyPaid"][int(event["reason"])]
                    skipped[reason] = skipped.get(reason, 0) + 1
                    skipped_here.add(int(event["index"]))
            # --via api: the service pays its own plan (active beneficiaries only): count whom its jobs carried
            carried = pending.operation.meta.get("api_carried")
            for index in pending.operation.args[1]:
                if index not in skipped_here and (carried is None or index in carried):
                    self._credit(info, index, pending.timestamp)
        return {"paid": len(info.paid), "skipped": skipped}

    def _claims(self, info: Round, step: Step) -> dict[str, Any]:
        assert info.tree is not None
        rng = random.Random(f"{self.seed}:{step.number}:claims")
        active = [i for i in info.recipients if self.status[i] == "Active"]
        claimers = sorted(rng.sample(active, round(len(active) * float(step.get("claim_share", 1.0)))))
        relayed = set(rng.sample(claimers, round(len(claimers) * float(step.get("relayed_share", 0.0)))))
        self._advance_to(info.opens)
        sent = []
        for index in claimers:
            proof = info.tree.cap_proof(index) if info.tree.cap_size > 1 else info.tree.proof(index)
            if index in relayed:
                sig = self._claim_signature(self.wallet(index), info, index)
                pending = self.send("cash", "claimFor", info.round_id, index, info.amount, proof, info.closes, sig,
                                    sender=self.role["relayer"])
                info.relayed.append(pending.operation)
                self.last_relayed = pending.operation
            else:
                pending = self.send("cash", "claim", info.round_id, index, info.amount, proof,
                                    sender=self.wallet(index))
            sent.append(pending)
        self.flush()
        for pending in sent:
            if pending.ok:
                self._credit(info, int(pending.operation.args[1]), pending.timestamp)
        return {"claimed": len(info.paid), "relayed": len(relayed), "unclaimed": len(info.recipients) - len(info.paid)}

    def _claim_signature(self, signer: ReplaySigner, info: Round, index: int, deadline: int | None = None) -> bytes:
        separator = self.separator("cash", "pilotkit CashProgramme")
        message = digest(separator, CLAIM_TYPE, ["uint256"] * 4,
                         [info.round_id, index, info.amount, deadline or info.closes])
        return signer.sign_digest(message)

    def _sweep(self, info: Round) -> int | float:
        self._advance_to(info.closes)
        pending = self.send("cash", "sweep", info.round_id, sender=self.role["disburser"])
        self.flush()
        info.swept = True
        events = pending.events_named("RoundSwept")
        return _units(int(events[0]["amount"])) if events else 0

    def _do_sweep(self, step: Step) -> None:
        label = step.get("round")
        targets = [self.rounds[label]] if label else [r for r in self.rounds.values() if r.approved and not r.swept]
        swept = {r.label: self._sweep(r) for r in targets}
        assert self.current is not None
        self.current.detail["swept"] = swept

    def _do_advance(self, step: Step) -> None:
        self._advance_to(self.clock.now + int(step.params["by"]))
        assert self.current is not None
        self.current.detail["chain_time"] = self.clock.now

    def _do_pause(self, step: Step) -> None:
        contract = step.get("contract", "cash")
        self.send(contract, "pause", sender=self.role["pauser"])
        self.paused[contract] = True

    def _do_unpause(self, step: Step) -> None:
        contract = step.get("contract", "cash")
        self.send(contract, "unpause", sender=self.role["admin"])
        self.paused[contract] = False

    # --- cash: vouchers -------------------------------------------------------------------------------------

    def _do_approve_merchants(self, step: Step) -> None:
        count = step.get("count", "all")
        chosen = self.merchants if count == "all" else self.merchants[: int(count)]
        for merchant in chosen:
            self.send("cash", "approveMerchant", merchant.address, keccak(text=f"merchant-ref:{merchant.label}"),
                      sender=self.role["merchant_manager"])
            self.merchant_balance.setdefault(merchant.address, 0)
        assert self.current is not None
        self.current.detail["merchants"] = len(chosen)

    def _spend_signature(self, index: int, merchant: str, amount: int, deadline: int) -> bytes:
        separator = self.separator("cash", "pilotkit CashProgramme")
        nonce = self.spend_nonce.get(index, 0)
        message = digest(separator, SPEND_TYPE, ["uint256", "address", "uint256", "uint256", "uint256"],
                         [index, merchant, amount, nonce, deadline])
        return self.wallet(index).sign_digest(message)

    def _do_spend(self, step: Step) -> None:
        amount = step.params["amount"]
        approved = [m for m in self.merchants if m.address in self.merchant_balance]
        if not approved:
            self._fail("no approved merchant to spend at: add an approve_merchants step first")
            return
        rng = random.Random(f"{self.seed}:{step.number}:spend")
        able = [i for i in sorted(self.entitlement) if self.entitlement[i] >= amount and self.status[i] == "Active"]
        spenders = sorted(rng.sample(able, round(len(able) * float(step.get("share", 1.0)))))
        relayed = set(rng.sample(spenders, round(len(spenders) * float(step.get("relayed_share", 0.0)))))
        sent = []
        for n, index in enumerate(spenders):
            merchant = approved[n % len(approved)]
            if index in relayed:
                deadline = self.clock.now + 86_400
                sig = self._spend_signature(index, merchant.address, amount, deadline)
                pending = self.send("cash", "spendFor", index, merchant.address, amount, deadline, sig,
                                    sender=merchant)
                self.spend_nonce[index] = self.spend_nonce.get(index, 0) + 1
                self.last_relayed = pending.operation
            else:
                pending = self.send("cash", "spend", merchant.address, amount, sender=self.wallet(index))
            sent.append((pending, index, merchant.address))
        self.flush()
        for pending, index, merchant_address in sent:
            if pending.ok:
                self.entitlement[index] -= amount
                self.merchant_balance[merchant_address] += amount
        assert self.current is not None
        self.current.detail.update(spenders=len(spenders), relayed=len(relayed), amount=_units(amount))

    def _do_redeem(self, step: Step) -> None:
        share = float(step.get("share", 1.0))
        total = 0
        for merchant in self.merchants:
            amount = int(self.merchant_balance.get(merchant.address, 0) * share)
            if amount > 0:
                self.send("cash", "redeem", amount, keccak(text=f"settlement:{merchant.label}:{step.number}"),
                          sender=merchant)
                self.merchant_balance[merchant.address] -= amount
                total += amount
        assert self.current is not None
        self.current.detail["redeemed"] = _units(total)

    # --- credits --------------------------------------------------------------------------------------------

    def _do_register_project(self, step: Step) -> None:
        def b32(text: str) -> bytes:
            return text.encode()[:32].ljust(32, b"\0")

        p = step.params
        project = (b32(p["registry"]), b32(p["external_id"]), b32(p["methodology"]), p["country"].encode(),
                   keccak(text=f"project-document:{p['external_id']}"), f"ipfs://pilotkit-replay/{p['external_id']}")
        self.send("credits", "registerProject", project, sender=self.role["admin"])
        self.projects += 1
        self.registry_of = b32(p["registry"])
        assert self.current is not None
        self.current.detail["project_id"] = self.projects

    def _serial_hint(self, start: int) -> int:
        earlier = [s for s in self.ranges.get(self.registry_of, []) if s < start]
        return max(earlier, default=0)

    def _issue_params(self, serials: int, start: int, vintage: list[int]) -> tuple[Any, ...]:
        from calendar import timegm

        vstart = timegm((vintage[0], 1, 1, 0, 0, 0))
        vend = timegm((vintage[1], 12, 31, 23, 59, 59))
        evidence = keccak(text=f"verification-report:{self.scenario.name}:{start}")
        return (self.projects, vstart, vend, start, start + serials - 1, evidence, self.role["developer"].address)

    def _do_issue_credits(self, step: Step) -> None:
        serials = int(step.params["serials"])
        used = self.ranges.get(self.registry_of, [])
        start = int(step.get("serial_start", max((b["end"] for b in self.batches), default=0) + 1))
        params = self._issue_params(serials, start, step.get("vintage", [2024, 2024]))
        self.send("credits", "issueBatch", params, self._serial_hint(start), sender=self.role["verifier"])
        self.flush()
        self.ranges[self.registry_of] = sorted([*used, start])
        self.batches.append({"id": len(self.batches) + 1, "start": start, "end": start + serials - 1,
                             "serials": serials})
        assert self.current is not None
        self.current.detail.update(batch_id=len(self.batches), serials=[start, start + serials - 1])

    def _holder(self, who: Any) -> ReplaySigner:
        return self.role["developer"] if who in (None, "holder") else self.buyers[int(who) - 1]

    def _do_transfer_credits(self, step: Step) -> None:
        batch = int(step.get("batch", len(self.batches)))
        to = self.buyers[int(step.get("to", 1)) - 1]
        holder = self.role["developer"]
        self.send("credits", "safeTransferFrom", holder.address, to.address, batch, int(step.params["amount"]), b"",
                  sender=holder)
        assert self.current is not None
        self.current.detail.update(batch=batch, to=to.address, amount=step.params["amount"])

    def _do_retire_credits(self, step: Step) -> None:
        batch = int(step.get("batch", len(self.batches)))
        holder = self._holder(step.get("by"))
        beneficiary = keccak(text=f"hmac-retirement-beneficiary:{step.get('beneficiary', holder.label)}")
        self.send("credits", "retire", batch, int(step.params["amount"]), beneficiary,
                  step.get("reason", "Offsetting reported emissions"), sender=holder)
        self.last_retirement = (holder, batch, int(step.params["amount"]))
        assert self.current is not None
        self.current.detail.update(batch=batch, by=holder.label, amount=step.params["amount"])

    def _do_freeze_credits(self, step: Step) -> None:
        batch = int(step.get("batch", len(self.batches)))
        self.send("credits", "freezeBatch", batch, int(step.get("reason", 1)), sender=self.role["verifier"])

    # --- certificates ---------------------------------------------------------------------------------------

    def _do_accredit_issuer(self, step: Step) -> None:
        self.send("certs", "accreditIssuer", self.role["issuer"].address, step.params["name"],
                  sender=self.role["admin"])

    def _doc(self, label: str) -> bytes:
        return keccak(text=f"document:{self.scenario.name}:{self.seed}:{label}")

    def _do_issue_certificates(self, step: Step) -> None:
        issuer = self.role["issuer"]
        count = int(step.params["count"])
        expires = self.clock.now + int(step.get("valid_for", 3650 * 86_400))
        rng = random.Random(f"{self.seed}:{step.number}:certs")
        relayed = set(rng.sample(range(count), round(count * float(step.get("relayed_share", 0.0)))))
        for n in range(count):
            doc = self._doc(f"single-{len(self.certificates) + 1}")
            subject = keccak(text=f"hmac-subject:{self.scenario.name}:{len(self.certificates) + 1}")
            if n in relayed:
                deadline = self.clock.now + 86_400
                message = digest(self.separator("certs", "pilotkit CertificateRegistry"), ISSUE_CERTIFICATE_TYPE,
                                 ["bytes32", "bytes32", "uint64", "bytes32", "uint256"],
                                 [doc, subject, expires, SCHEMA_ID, deadline])
                self.send("certs", "issueWithSig", (doc, subject, expires, SCHEMA_ID), issuer.address, deadline,
                          issuer.sign_digest(message), sender=self.role["relayer"])
            else:
                self.send("certs", "issue", doc, subject, expires, SCHEMA_ID, sender=issuer)
            self.certificates.append(Certificate(doc, [], doc))
        assert self.current is not None
        self.current.detail.update(issued=count, relayed=len(relayed))

    def _do_issue_certificate_batch(self, step: Step) -> None:
        count = int(step.params["documents"])
        base = len(self.batch_docs)
        docs = [self._doc(f"batch-{base + i + 1}") for i in range(count)]
        tree = MerkleTree.from_documents(docs)
        expires = self.clock.now + int(step.get("valid_for", 3650 * 86_400))
        self.send("certs", "issueBatch", tree.root, expires, SCHEMA_ID, sender=self.role["issuer"],
                  meta={"documents": docs})
        self.batch_docs += [Certificate(doc, tree.proof(i), tree.root) for i, doc in enumerate(docs)]
        assert self.current is not None
        self.current.detail.update(documents=count, root="0x" + tree.root.hex())

    def cert_issuer(self, doc: bytes) -> str:
        """Whose record a document is (records are per issuer): the service's issuer for documents issued
        through the API (--via api), else the replay's issuer."""
        via = getattr(self.actions, "certificate_issuer", None)
        return (via(doc) if via is not None else None) or self.role["issuer"].address

    def _verify(self, cert: Certificate) -> str:
        (result,) = self.actions.call("certs", "verify", self.cert_issuer(cert.doc), cert.doc, cert.proof)
        return CERT_STATUS[int(result[0])]

    def _do_verify_certificates(self, step: Step) -> None:
        everything = self.certificates + self.batch_docs
        rng = random.Random(f"{self.seed}:{step.number}:verify")
        sample = rng.sample(everything, min(int(step.get("sample", len(everything))), len(everything)))
        counts: dict[str, int] = {}
        for cert in sample:
            status = self._verify(cert)
            counts[status] = counts.get(status, 0) + 1
            if status != cert.status:
                self._fail(f"certificate 0x{cert.doc.hex()[:12]}… verifies as {status}, expected {cert.status}")
        assert self.current is not None
        self.current.detail.update(verified=len(sample), statuses=counts)

    def _single(self, step: Step) -> Certificate:
        return self.certificates[int(step.params["certificate"]) - 1]

    def _do_revoke_certificate(self, step: Step) -> None:
        cert = self._single(step)
        self.send("certs", "revoke", self.role["issuer"].address, cert.doc, [], int(step.get("reason", 1)),
                  sender=self.role["issuer"])
        cert.status = "Revoked"

    def _do_suspend_certificate(self, step: Step) -> None:
        cert = self._single(step)
        self.send("certs", "suspend", self.role["issuer"].address, cert.doc, [], int(step.get("reason", 1)),
                  sender=self.role["issuer"])
        cert.status = "Suspended"

    def _do_reinstate_certificate(self, step: Step) -> None:
        cert = self._single(step)
        self.send("certs", "reinstate", self.role["issuer"].address, cert.doc, [], sender=self.role["issuer"])
        cert.status = "Valid"

    def _do_supersede_certificate(self, step: Step) -> None:
        cert = self._single(step)
        replacement = self._doc(f"single-{len(self.certificates) + 1}")
        subject = keccak(text=f"hmac-subject:{self.scenario.name}:{len(self.certificates) + 1}")
        self.send("certs", "issue", replacement, subject, self.clock.now + 3650 * 86_400, SCHEMA_ID,
                  sender=self.role["issuer"])
        self.flush()
        self.send("certs", "supersede", self.role["issuer"].address, cert.doc, [], replacement,
                  sender=self.role["issuer"])
        cert.status = "Superseded"
        self.certificates.append(Certificate(replacement, [], replacement))
        assert self.current is not None
        self.current.detail["replacement"] = "0x" + replacement.hex()

    def _do_revoke_batch_document(self, step: Step) -> None:
        cert = self.batch_docs[int(step.params["document"]) - 1]
        self.send("certs", "revoke", self.role["issuer"].address, cert.doc, cert.proof, int(step.get("reason", 1)),
                  sender=self.role["issuer"],
                  meta={"root": cert.root})
        cert.status = "Revoked"

    # --- misuse attempts ------------------------------------------------------------------------------------

    def _do_misuse(self, step: Step) -> None:
        from pilotkit.pilots.misuse import attempt

        if self.actions.pending_count():
            self.flush()
        refused_before = len(getattr(self.actions, "refusals", ()))
        assert self.current is not None
        problems, ok = list(self.current.problems), self.current.ok
        outcome = attempt(self, step)
        if self._api_refusal(outcome, refused_before):  # the API's refusal is the expected one: not a failure
            self.current.problems, self.current.ok = problems, ok
        self.misuse.append(outcome)
        if not outcome["refused_as_expected"]:
            self._fail(f"misuse '{outcome['attempt']}' was not refused as expected: {outcome['observed']}")
        assert self.current is not None
        self.current.detail.update(outcome)


    def _api_refusal(self, outcome: dict[str, Any], refused_before: int) -> bool:
        """--via api: record the API's own refusal of a misuse attempt, and map it when it is the same refusal.

        The API refuses some attempts before anything reaches the chain (maker-checker by API key, a beneficiary
        outside a round's plan); `actions_api.API_EQUIVALENTS` lists which answers mean the expected refusal.
        """
        refusals = getattr(self.actions, "refusals", None)
        if refusals is None or len(refusals) == refused_before:
            return False
        from pilotkit.pilots.actions_api import equivalent_refusal

        refusal = refusals[-1]
        outcome["api"] = refusal.public()
        if outcome.get("error_values", {}).keys() == {"api"}:
            outcome.pop("error_values")
        if not outcome.get("tx_hash"):
            outcome.pop("tx_hash", None)
            outcome["on_chain"] = "not sent: refused by the API before any transaction"
        if outcome["refused_as_expected"] or not equivalent_refusal(outcome["attempt"], refusal):
            return False
        outcome["observed"] = dict(outcome["expected"])
        outcome["refused"] = outcome["refused_as_expected"] = True
        outcome["mapped_from"] = f"API {refusal.status} {refusal.title}: {refusal.detail}"[:300]
        return True


def start_chain(project: Project, network_name: str, genesis: int) -> Any:
    """A fresh local node for one replay: fixed genesis time, no automine, FIFO ordering, roomy blocks."""
    from pilotkit.chain.local import AnvilNode, GanacheNode

    config = project.config.network(network_name)
    if config.kind == "anvil":
        return AnvilNode(chain_id=config.chain_id or 31337, hardfork=config.hardfork, project_root=project.root,
                         accounts=1, extra_args=["--timestamp", str(genesis), "--no-mining", "--order", "fifo",
                                                 "--gas-limit", "1000000000000"]).start()
    if config.kind == "ganache":
        start = datetime.fromtimestamp(genesis, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        return GanacheNode(chain_id=config.chain_id or 1337, hardfork=config.hardfork or "shanghai",
                           project_root=project.root, accounts=1,
                           extra_args=["--chain.time", start, "--miner.blockGasLimit", "0x3B9ACA000",
                                       "--chain.vmErrorsOnRPCResponse", "false"]).start()
    raise ReplayError(f"network '{network_name}' is a remote chain: replays need a local chain (anvil or ganache) "
                      "whose clock and balances they control. Deploy to remote networks with `pilotkit run`")


def replay(scenario: Scenario, project: Project, seed: int | None = None, full: bool = False, via: str = "direct",
           network: str | None = None, progress: bool | None = False) -> dict[str, Any]:
    """Replay `scenario` on a fresh local chain; returns the result document (see report_json)."""
    from pilotkit.chain.control import ChainControl
    from pilotkit.pilots.actions import DirectActions
    from pilotkit.pilots.report_json import build_result

    network_name = network or scenario.chain.network
    config = project.config.network(network_name)
    store = project.artifacts(network_name)
    wall_start = datetime.now(UTC)
    started = time.perf_counter()
    node = start_chain(project, network_name, scenario.chain.genesis_time)
    node_seconds = time.perf_counter() - started
    service = None
    try:
        rpc = node.rpc()
        control = ChainControl(rpc, node.kind)
        chain_id = int(rpc.call("eth_chainId"), 16)
        direct = DirectActions(rpc, control, chain_id, store, project.error_decoder(store),
                               project.event_decoder(store))
        actions: DirectActions | ApiActions = direct
        if via == "api":
            service, actions = _api_actions(project, network_name, node, control, direct)
        engine = Replay(scenario, actions, seed=seed, full=full, progress=bool(progress))
        actions.on_block = engine.record_block
        run_started = time.perf_counter()
        engine.run()
        replay_seconds = time.perf_counter() - run_started
        from pilotkit.pilots.measure import measure

        measured = measure(engine)
        final_block = rpc.call("eth_getBlockByNumber", ["latest", False])
        chain = {"network": network_name, "kind": node.kind, "chain_id": chain_id,
                 "evm_version": project.settings(network_name).evm_version, "hardfork": config.hardfork,
                 "genesis_time": scenario.chain.genesis_time, "block_time": scenario.chain.block_time,
                 "blocks": int(final_block["number"], 16), "final_block_hash": final_block["hash"],
                 "final_state_root": final_block.get("stateRoot"), "transactions": actions.transactions,
                 "via": via}
        wall = {"started_at": wall_start.isoformat(timespec="seconds"), "replay_seconds": round(replay_seconds, 3),
                "node_start_seconds": round(node_seconds, 3), "total_seconds": round(time.perf_counter() - started, 3)}
        result = build_result(engine, measured, chain, wall)
        if service is not None:
            from pilotkit.pilots.actions_api import ApiActions

            assert isinstance(actions, ApiActions)
            result["api"] = {**actions.summary(), "steps": engine.api_steps}
        return result
    finally:
        if service is not None:
            if hasattr(actions, "close"):
                actions.close()
            service.close()
        node.stop()


def _api_actions(project: Project, network_name: str, node: Any, control: Any,
                 direct: DirectActions) -> tuple[Any, ApiActions]:
    """The backend started on the replay's node, and `ApiActions` talking to it (see actions_api)."""
    try:
        from pilotkit.pilots.actions_api import ApiActions
        from pilotkit.pilots.api_service import start_api_service
    except ImportError as exc:  # the backend package (pilotkit_backend) or its dependencies are missing
        from pilotkit.pilots import ViaNotAvailable

        raise ViaNotAvailable(f"--via api needs the backend package (pilotkit_backend): {exc}. Replay with "
                              "--via direct (the default)") from exc
    service = start_api_service(project, network_name, node, control)
    return service, ApiActions(direct, service)


def replay_file(path: Path, project: Project, **options: Any) -> dict[str, Any]:
    from pilotkit.pilots.scenario import load_scenario

    return replay(load_scenario(path), project, **options)
