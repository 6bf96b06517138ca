"""CashProgramme property-based stateful test: random enrolment, suspension, reinstatement, removal, wallet
recovery (request, cancel by the bound wallet / a registrar / the admin / a stranger, execute), rounds (propose
with windows that may be backdated or cross a period boundary, cap, approve, cancel), flat push batches, Merkle
claims (own and relayed), sweeps, pause and time travel — plus voucher spending and redemption in voucher mode —
against a Python model that predicts every outcome (success or the exact named error with its arguments).

Invariants, checked on chain after every step:
- money, direct mode: `token.balanceOf(programme) == funded - paid - swept` (and the totals equal the model's);
- money, voucher mode: `balance == funded - redeemed - swept` and `paid - redeemed == unspent entitlements +
  unredeemed merchant balance`;
- exactly once: every payment the chain makes (token Transfer to a wallet, or Paid event) is one the model
  predicted, and no (round, beneficiary) pair is ever paid twice; `isPaid` agrees with the model; every wallet
  ever bound holds exactly what the model paid to it (direct mode);
- registry (after registry steps): each beneficiary's wallet, status and pending recovery are the model's.

Model rules under test: a round's window lies in one cap period not earlier than the current one (proposal and
approval); the bound wallet may cancel a pending recovery only while its beneficiary is Active; a recovery
executes only once an approver or the admin (never the requesting registrar) confirmed it (finding 7). Every example
starts with one wallet reported stolen; `test_cash_model_scenario` also walks the rarer branches (stolen-wallet
procedure, owner cancelling, backdated / straddling / expired rounds) in a fixed order through the same model.

Every transaction is mined at a model-chosen timestamp (no gas estimation), so window edges are exact.
CI runs the `ci` hypothesis profile (tests/contracts/conftest.py); for a long run:
    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/contracts/cash/test_cash_stateful.py -q -p no:cacheprovider
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

import pytest
from cash_helpers import (
    DAY,
    PERIOD,
    RECOVERY_DELAY,
    USDC,
    ZERO_ADDRESS,
    BStatus,
    Cash,
    Kind,
    RoundStatus,
    Skip,
    make_wallet,
    period_of,
    person,
    round_params,
    sign_claim,
    transact_at,
)
from eth_utils import keccak
from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    initialize,
    invariant,
    precondition,
    rule,
)

from pilotkit.accounts.signer import Signer
from pilotkit.cash_claims import ClaimTree
from pilotkit.chain.control import ChainControl
from pilotkit.testing.stateful import ChainStateMachine

CAP = 60 * USDC  # period cap used by the machine
AMOUNTS = (10 * USDC, 25 * USDC)
MAX_BENEFICIARIES = 9
MAX_ROUNDS = 8
UNKNOWN_ROUND = 99
PICK_ANY, PICK_UNKNOWN = 6, 7  # round picks: see CashMachine._pick
PICKS = st.integers(0, PICK_UNKNOWN)
# Claim trees over indexes 1..MAX_BENEFICIARIES (some never enrolled while a round runs), amounts <= the cap.
TREES = [
    ClaimTree({i: (i % 3 + 1) * 3 * USDC for i in range(1, MAX_BENEFICIARIES + 1)}, cap_size=1),
    ClaimTree({i: 10 * USDC for i in range(1, MAX_BENEFICIARIES + 1, 2)}, cap_size=2),
]
ETH = 10**18
CI_EXAMPLES = 20
CI_STEPS = 30
# Where a proposed round opens, relative to the block that proposes it (t) and its cap period.
OPENS = ("now", "tomorrow", "in 20 days", "period start", "previous period", "next period")
# How long it lasts; "to period end" closes it at the first second of the next period (the longest allowed).
LASTS = (2 * DAY, 15 * DAY, "to period end")
RECOVERY_ACTIONS = ("request", "report theft", "cancel", "cancel", "execute", "execute")
CANCELLERS = ("wallet", "wallet", "registrar", "admin", "stranger")
THEFT_VICTIM = 6  # reported stolen at the start of every example (not in the first claim round's tree)
Expected = tuple[str, dict[str, Any]] | None


@dataclass
class RoundModel:
    kind: Kind
    budget: int
    amount: int
    opens: int
    closes: int
    tree: ClaimTree | None
    status: RoundStatus = RoundStatus.Proposed
    remaining: int = 0
    paid: int = 0
    swept: int = 0
    capped: bool = False
    paid_indexes: set[int] = field(default_factory=set)

    @property
    def period(self) -> int:
        return period_of(self.opens)


class CashMachine(ChainStateMachine):
    """Model of one programme; the chain is reset to a snapshot for every example."""

    cash: ClassVar[Cash]

    def __init__(self) -> None:
        super().__init__()
        self.prog = self.cash.prog
        self.voucher = self.cash.voucher
        self.now = self.chain.time()
        self.wallets: dict[int, Signer] = {i: self.cash.wallet(i) for i in range(1, len(self.cash.wallets) + 1)}
        self.ids: dict[int, bytes] = {i: self.cash.id(i) for i in self.wallets}
        self.status: dict[int, BStatus] = {i: BStatus.Active for i in self.wallets}
        self.entitlement: Counter[int] = Counter()
        self.received: Counter[str] = Counter()  # tokens each wallet address received (direct mode)
        self.ever_bound: dict[str, Signer] = {w.address: w for w in self.wallets.values()}
        self.pending: dict[int, tuple[Signer, int]] = {}  # index -> (new wallet, executableAt)
        self.confirmed: set[int] = set()  # pending recoveries an approver or the admin confirmed (finding 7)
        self.recoveries = 0  # fresh-wallet counter
        self.registry_touched = False
        self.rounds: dict[int, RoundModel] = {}
        self.reserved: Counter[int] = Counter()
        self.paused = False
        self.funded = self.swept = self.redeemed = self.merchant_balance = 0
        self.payments: Counter[tuple[int, int]] = Counter()  # observed on chain
        self.touched: set[int] = set()

    # --- helpers ----------------------------------------------------------------------------------------------

    def _send(self, label: str, expected: Expected, function: str, *args: Any, sender: Signer) -> Any:
        """Mines the call one second after the model's clock; checks the predicted outcome."""
        self.now += 1
        return self.expect(label, expected,
                           lambda: transact_at(self.chain, self.now, self.prog, function, *args, sender=sender))[1]

    def _pick(self, ix: int, prefer: Callable[[RoundModel], bool]) -> int:
        """A round id for a step: mostly one the step can act on (`prefer`, newest first), sometimes any round
        (ix == PICK_ANY: wrong kind or status), sometimes an unknown id (ix == PICK_UNKNOWN)."""
        if ix == PICK_UNKNOWN or not self.rounds:
            return UNKNOWN_ROUND
        newest = sorted(self.rounds, reverse=True)
        preferred = [r for r in newest if prefer(self.rounds[r])]
        if ix == PICK_ANY or not preferred:
            return newest[ix % len(newest)]
        return preferred[ix % len(preferred)]

    def _round_state_error(self, round_id: int, expected: RoundStatus) -> Expected:
        model = self.rounds.get(round_id)
        if model is None:
            return "UnknownRound", {"roundId": round_id}
        if model.status != expected:
            return "InvalidRoundStatus", {"roundId": round_id, "status": model.status}
        return None

    def _record_payments(self, result: Any, round_id: int) -> None:
        """Counts what the chain actually paid in `result` (Transfers to wallets, or Paid events)."""
        by_wallet = {w.address: i for i, w in self.wallets.items()}
        if self.voucher:
            paid = [(e["index"], e["amount"]) for e in result.events_named("Paid")]
        else:
            paid = [
                (by_wallet[e["to"]], e["value"])
                for e in result.events_named("Transfer")
                if e.address == self.cash.token.address and e["from"] == self.prog.address
            ]
        for index, _amount in paid:
            self.payments[(round_id, index)] += 1
        self.touched.add(round_id)

    def _pay(self, round_id: int, index: int, amount: int) -> None:
        model = self.rounds[round_id]
        model.remaining -= amount
        model.paid += amount
        model.paid_indexes.add(index)
        if self.voucher:
            self.entitlement[index] += amount
        else:
            self.received[self.wallets[index].address] += amount

    @initialize()
    def open_two_rounds(self) -> None:
        """A flat round and a claim round, both open, so that payment steps have something to pay (the test starts
        two days into a cap period: see conftest.py); and beneficiary THEFT_VICTIM's wallet reported stolen
        (suspended, recovery requested), so that every example can reach the stolen-wallet rules."""
        self.propose(claims=False, tree_ix=0, amount_ix=0, budget_units=20, opens="now", lasts=15 * DAY, with_cap=False)
        self.approve(0)
        self.propose(claims=True, tree_ix=1, amount_ix=0, budget_units=3, opens="now", lasts=15 * DAY, with_cap=True)
        self.approve(0)
        self.recovery("report theft", THEFT_VICTIM, prefer_pending=False, by="registrar", taken=1)

    # --- registry -------------------------------------------------------------------------------------------

    @precondition(lambda self: len(self.wallets) < MAX_BENEFICIARIES)
    @rule()
    def enrol(self) -> None:
        index = len(self.wallets) + 1
        wallet = make_wallet(f"machine-{index}")
        self.chain.set_balance(wallet.address, 10 * ETH)
        self._send("enrol", None, "enrol", person(f"machine-{index}"), wallet.address, sender=self.cash.roles.registrar)
        self.wallets[index], self.ids[index], self.status[index] = wallet, person(f"machine-{index}"), BStatus.Active
        self.ever_bound[wallet.address] = wallet
        self.registry_touched = True

    @rule(index=st.integers(1, MAX_BENEFICIARIES + 1), action=st.sampled_from(["suspend", "reinstate", "remove"]))
    def change_status(self, index: int, action: str) -> None:
        identity = self.ids.get(index, person(f"never-{index}"))
        status = self.status.get(index)
        allowed = {
            "suspend": (BStatus.Active,),
            "reinstate": (BStatus.Suspended,),
            "remove": (BStatus.Active, BStatus.Suspended),
        }[action]
        expected: Expected = None
        if status is None:
            expected = "UnknownBeneficiary", {"id": identity}
        elif status not in allowed:
            expected = "InvalidBeneficiaryStatus", {"index": index, "status": status}
        args = (identity,) if action == "reinstate" else (identity, 7)
        result = self._send(action, expected, action, *args, sender=self.cash.roles.registrar)
        if expected is None:
            self.status[index] = {"suspend": BStatus.Suspended, "reinstate": BStatus.Active, "remove": BStatus.Removed}[
                action
            ]
            dropped = [e["index"] for e in result.events_named("WalletRecoveryCancelled")]
            assert dropped == ([index] if action == "remove" and index in self.pending else [])
            if action == "remove":
                self.pending.pop(index, None)
                self.confirmed.discard(index)
            self.registry_touched = True

    # --- wallet recovery ------------------------------------------------------------------------------------

    def _recovery_target(self, index: int, prefer_pending: bool) -> int:
        """Mostly a beneficiary with a pending recovery (when asked and there is one), else `index`."""
        if prefer_pending and self.pending:
            pending = sorted(self.pending)
            return pending[index % len(pending)]
        return index

    @rule(
        action=st.sampled_from(RECOVERY_ACTIONS),
        index=st.integers(1, MAX_BENEFICIARIES + 1),
        prefer_pending=st.integers(0, 3).map(bool),
        by=st.sampled_from(CANCELLERS),
        taken=st.integers(0, 4),
    )
    def recovery(self, action: str, index: int, prefer_pending: bool, by: str, taken: int) -> None:
        """One wallet-recovery step (a single rule, so that recovery does not crowd out the other steps).
        "report theft" is the documented procedure's first half: suspend (if Active), then request."""
        if action == "report theft":
            if self.status.get(index) == BStatus.Active:
                self.change_status(index, "suspend")
            self.request_recovery(index, taken)
        elif action == "request":
            self.request_recovery(index, taken)
        elif action == "cancel":
            self.cancel_recovery(self._recovery_target(index, prefer_pending), by)
        else:
            # "execute" first tries a confirmation by `by` (finding 7): "wallet" stands for the approver, "admin"
            # confirms too, "registrar" and "stranger" are refused; an unconfirmed recovery does not execute.
            target = self._recovery_target(index, prefer_pending)
            self.confirm_recovery(target, by)
            self.execute_recovery(target)

    def request_recovery(self, index: int, taken: int) -> None:
        """Re-binds to a fresh wallet (one time in five to a wallet already bound: WalletAlreadyBound)."""
        identity = self.ids.get(index, person(f"never-{index}"))
        status = self.status.get(index)
        bound = [w for i, w in sorted(self.wallets.items()) if self.status[i] != BStatus.Removed]
        self.recoveries += 1
        new = bound[0] if taken == 0 and bound else make_wallet(f"machine-recovery-{self.recoveries}")
        t = self.now + 1
        expected: Expected = None
        if status is None:
            expected = "UnknownBeneficiary", {"id": identity}
        elif status == BStatus.Removed:
            expected = "InvalidBeneficiaryStatus", {"index": index, "status": status}
        elif new in bound:
            expected = "WalletAlreadyBound", {"wallet": new}
        elif index in self.pending:
            expected = "RecoveryAlreadyPending", {"index": index}
        result = self._send(
            "requestRecovery",
            expected,
            "requestWalletRecovery",
            identity,
            new.address,
            sender=self.cash.roles.registrar,
        )
        if result is not None:
            old = self.wallets[index]
            args = {
                "index": index,
                "oldWallet": old.address,
                "newWallet": new.address,
                "executableAt": t + RECOVERY_DELAY,
            }
            assert [dict(e.args) for e in result.events_named("WalletRecoveryRequested")] == [args]
            self.pending[index] = (new, t + RECOVERY_DELAY)
            self.chain.set_balance(new.address, 10 * ETH)
            self.registry_touched = True

    def cancel_recovery(self, index: int, by: str) -> None:
        """The bound wallet may cancel only while Active; registrar and admin always; anyone else never."""
        identity = self.ids.get(index, person(f"never-{index}"))
        status = self.status.get(index)
        roles = self.cash.roles
        sender = {"registrar": roles.registrar, "admin": roles.admin, "stranger": roles.stranger}.get(by)
        if sender is None:
            sender = self.wallets.get(index, roles.stranger)
        label = "cancelRecovery" if by != "wallet" else "cancelRecovery by wallet"
        expected: Expected = None
        if status is None:
            expected = "UnknownBeneficiary", {"id": identity}
        elif index not in self.pending:
            expected = "NoPendingRecovery", {"index": index}
        elif by == "stranger":
            expected = "RecoveryCancelNotAllowed", {"caller": sender}
        elif by == "wallet" and status != BStatus.Active:
            expected = "WalletCannotCancelRecovery", {"index": index, "status": status}
        result = self._send(label, expected, "cancelWalletRecovery", identity, sender=sender)
        if result is not None:
            events = [(e["index"], e["by"]) for e in result.events_named("WalletRecoveryCancelled")]
            assert events == [(index, sender.address)]
            del self.pending[index]
            self.confirmed.discard(index)
            self.registry_touched = True

    def confirm_recovery(self, index: int, by: str) -> None:
        """Only an approver or the admin, never the requesting registrar (finding 7), once per request."""
        identity = self.ids.get(index, person(f"never-{index}"))
        roles = self.cash.roles
        sender = {"registrar": roles.registrar, "admin": roles.admin, "stranger": roles.stranger}.get(
            by, roles.approver
        )
        expected: Expected = None
        if by in ("registrar", "stranger"):
            expected = "AccessControlUnauthorizedAccount", {"account": sender}
        elif index not in self.status:
            expected = "UnknownBeneficiary", {"id": identity}
        elif index not in self.pending:
            expected = "NoPendingRecovery", {"index": index}
        elif index in self.confirmed:
            expected = "RecoveryAlreadyConfirmed", {"index": index}
        result = self._send("confirmRecovery", expected, "confirmWalletRecovery", identity, sender=sender)
        if result is not None:
            events = [(e["index"], e["by"]) for e in result.events_named("WalletRecoveryConfirmed")]
            assert events == [(index, sender.address)]
            self.confirmed.add(index)
            self.registry_touched = True

    def execute_recovery(self, index: int) -> None:
        identity = self.ids.get(index, person(f"never-{index}"))
        t = self.now + 1
        expected: Expected = None
        if index not in self.status:
            expected = "UnknownBeneficiary", {"id": identity}
        elif index not in self.pending:
            expected = "NoPendingRecovery", {"index": index}
        elif index not in self.confirmed:
            expected = "RecoveryNotConfirmed", {"index": index}
        elif t < self.pending[index][1]:
            expected = "RecoveryNotReady", {"index": index, "executableAt": self.pending[index][1]}
        result = self._send(
            "executeRecovery", expected, "executeWalletRecovery", identity, sender=self.cash.roles.stranger
        )
        if result is not None:
            new, _ = self.pending.pop(index)
            self.confirmed.discard(index)
            old = self.wallets[index]
            events = [(e["index"], e["oldWallet"], e["newWallet"]) for e in result.events_named("WalletRecovered")]
            assert events == [(index, old.address, new.address)]
            self.wallets[index] = new
            self.ever_bound[new.address] = new
            self.registry_touched = True

    # --- rounds ---------------------------------------------------------------------------------------------

    @precondition(lambda self: len(self.rounds) < MAX_ROUNDS)
    @rule(
        claims=st.booleans(),
        tree_ix=st.integers(0, len(TREES) - 1),
        amount_ix=st.integers(0, 1),
        budget_units=st.sampled_from([1, 3, 20]),
        opens=st.sampled_from(OPENS),
        lasts=st.sampled_from(LASTS),
        with_cap=st.booleans(),
    )
    def propose(
        self,
        claims: bool,
        tree_ix: int,
        amount_ix: int,
        budget_units: int,
        opens: str,
        lasts: int | str,
        with_cap: bool,
    ) -> None:
        tree = TREES[tree_ix] if claims else None
        amount = AMOUNTS[amount_ix] if tree is None else max(tree.amount(i) for i in tree.indexes)
        budget = amount * budget_units
        t = self.now + 1
        period_start = period_of(t) * PERIOD
        opens_at = {
            "now": t,
            "tomorrow": t + DAY,
            "in 20 days": t + 20 * DAY,
            "period start": period_start,
            "previous period": period_start - DAY,
            "next period": period_start + PERIOD,
        }[opens]
        period_end = (period_of(opens_at) + 1) * PERIOD
        closes_at = period_end if lasts == "to period end" else opens_at + int(lasts)
        kind = Kind.MerkleClaim if claims else Kind.FlatPush
        model = RoundModel(kind, budget, amount, opens_at, closes_at, tree)
        root = tree.root if tree else bytes(32)
        params = round_params(
            model.kind,
            budget,
            amount,
            model.opens,
            model.closes,
            root,
            self.cash.roles.funder.address,
            keccak(text=f"plan {len(self.rounds)}"),
        )
        expected: Expected = None
        if closes_at <= t:
            expected = "InvalidRoundParams", {}
        elif model.period < period_of(t):
            expected = "RoundPeriodPassed", {"period": model.period, "currentPeriod": period_of(t)}
        elif closes_at > period_end:
            expected = "RoundCrossesPeriods", {"period": model.period, "periodEnd": period_end}
        result = self._send("propose", expected, "proposeRound", params, sender=self.cash.roles.disburser)
        if result is None:
            return
        round_id = len(self.rounds) + 1
        assert [(e["roundId"], e["period"]) for e in result.events_named("RoundProposed")] == [(round_id, model.period)]
        self.rounds[round_id] = model
        if tree is not None and with_cap and tree.cap_size > 1:
            for offset, nodes in tree.cap_chunks():
                self._send(
                    "setClaimCap",
                    None,
                    "setClaimCap",
                    round_id,
                    tree.cap_size,
                    offset,
                    nodes,
                    sender=self.cash.roles.disburser,
                )
            model.capped = True

    @rule(ix=PICKS)
    def approve(self, ix: int) -> None:
        round_id = self._pick(ix, lambda m: m.status == RoundStatus.Proposed)
        model = self.rounds.get(round_id)
        expected: Expected = (
            ("EnforcedPause", {}) if self.paused else self._round_state_error(round_id, RoundStatus.Proposed)
        )
        if expected is None and model is not None:
            t = self.now + 1
            if model.period < period_of(t):
                expected = "RoundPeriodPassed", {"period": model.period, "currentPeriod": period_of(t)}
            elif t >= model.closes:
                expected = "RoundNotOpen", {"roundId": round_id, "opensAt": model.opens, "closesAt": model.closes}
            elif self.reserved[model.period] + model.amount > CAP:
                expected = (
                    "PeriodCapExceeded",
                    {
                        "period": model.period,
                        "reserved": self.reserved[model.period],
                        "requested": model.amount,
                        "cap": CAP,
                    },
                )
        self._send("approve", expected, "approveRound", round_id, sender=self.cash.roles.approver)
        if expected is None and model is not None:
            model.status, model.remaining = RoundStatus.Approved, model.budget
            self.reserved[model.period] += model.amount
            self.funded += model.budget
            self.touched.add(round_id)

    @rule(ix=PICKS)
    def cancel(self, ix: int) -> None:
        round_id = self._pick(ix, lambda m: m.status == RoundStatus.Proposed)
        expected = self._round_state_error(round_id, RoundStatus.Proposed)
        self._send("cancel", expected, "cancelRound", round_id, sender=self.cash.roles.approver)
        if expected is None:
            self.rounds[round_id].status = RoundStatus.Cancelled

    @rule(ix=PICKS)
    def sweep(self, ix: int) -> None:
        round_id = self._pick(ix, lambda m: m.status == RoundStatus.Approved and m.closes <= self.now + 1)
        model = self.rounds.get(round_id)
        expected: Expected = (
            ("EnforcedPause", {}) if self.paused else self._round_state_error(round_id, RoundStatus.Approved)
        )
        if expected is None and model is not None and self.now + 1 < model.closes:
            expected = "RoundStillOpen", {"roundId": round_id, "closesAt": model.closes}
        result = self._send("sweep", expected, "sweep", round_id, sender=self.cash.roles.stranger)
        if result is not None and model is not None:
            assert [e["amount"] for e in result.events_named("RoundSwept")] == [model.remaining]
            model.swept, model.remaining, model.status = model.remaining, 0, RoundStatus.Closed
            self.swept += model.swept
            self.touched.add(round_id)

    # --- payments -------------------------------------------------------------------------------------------

    @rule(ix=PICKS, picks=st.lists(st.integers(1, MAX_BENEFICIARIES + 1), min_size=1, max_size=6))
    def pay_flat(self, ix: int, picks: list[int]) -> None:
        round_id = self._pick(ix, lambda m: m.kind == Kind.FlatPush and m.status == RoundStatus.Approved)
        model = self.rounds.get(round_id)
        t = self.now + 1
        expected: Expected = (
            ("EnforcedPause", {}) if self.paused else self._round_state_error(round_id, RoundStatus.Approved)
        )
        payable: list[int] = []
        skipped: list[tuple[int, Skip]] = []
        if expected is None and model is not None:
            if model.kind != Kind.FlatPush:
                expected = "WrongRoundKind", {"roundId": round_id, "kind": model.kind}
            elif not model.opens <= t < model.closes:
                expected = "RoundNotOpen", {"roundId": round_id, "opensAt": model.opens, "closesAt": model.closes}
            else:
                remaining = model.remaining
                for index in picks:
                    if self.status.get(index) != BStatus.Active:
                        skipped.append((index, Skip.NotActive))
                        continue
                    if index in model.paid_indexes or index in payable:
                        skipped.append((index, Skip.AlreadyPaid))
                        continue
                    if model.amount > remaining:
                        expected = (
                            "BudgetExceeded",
                            {"roundId": round_id, "remaining": remaining, "requested": model.amount},
                        )
                        break
                    remaining -= model.amount
                    payable.append(index)
        result = self._send("payFlat", expected, "payFlat", round_id, picks, sender=self.cash.roles.disburser)
        if result is not None and model is not None:
            assert [(e["index"], e["reason"]) for e in result.events_named("PaymentSkipped")] == skipped
            for _, reason in skipped:
                self.outcomes[f"payFlat: skipped {reason.name}"] += 1
            assert [(e["paidCount"], e["total"]) for e in result.events_named("BatchPaid")] == [
                (len(payable), len(payable) * model.amount)
            ]
            self._record_payments(result, round_id)
            for index in payable:
                self._pay(round_id, index, model.amount)

    @rule(
        ix=PICKS,
        index=st.integers(1, MAX_BENEFICIARIES),
        relayed=st.booleans(),
        short=st.booleans(),
    )
    def claim(self, ix: int, index: int, relayed: bool, short: bool) -> None:
        round_id = self._pick(ix, lambda m: m.kind == Kind.MerkleClaim and m.status == RoundStatus.Approved)
        if round_id in self.rounds and self.rounds[round_id].kind != Kind.MerkleClaim:
            return  # claims on push rounds: see test_claims_only_pay_merkle_claim_rounds
        model = self.rounds.get(round_id)
        tree = model.tree if model is not None and model.tree is not None else TREES[0]
        if index not in tree:
            return
        amount = tree.amount(index)
        proof = tree.cap_proof(index) if short and model is not None and model.capped else tree.proof(index)
        t = self.now + 1
        wallet = self.wallets.get(index)
        status = self.status.get(index)
        sender = wallet or self.cash.roles.stranger
        expected: Expected = None
        if status in (None, BStatus.Removed):
            expected = (
                ("InvalidSignature", {}) if relayed else ("NotBeneficiaryWallet", {"index": index, "caller": sender})
            )
        elif status == BStatus.Suspended:
            expected = "InvalidBeneficiaryStatus", {"index": index, "status": status}
        else:
            remaining = model.remaining if model is not None else 0
            is_open = model is not None and model.opens <= t < model.closes
            paid = model is not None and index in model.paid_indexes
            if amount > remaining or self.paused or not is_open:
                expected = (
                    ("EnforcedPause", {}) if self.paused else self._round_state_error(round_id, RoundStatus.Approved)
                )
                if expected is None and model is not None:
                    if not is_open:
                        expected = (
                            "RoundNotOpen",
                            {"roundId": round_id, "opensAt": model.opens, "closesAt": model.closes},
                        )
                    elif paid:
                        expected = "AlreadyPaid", {"roundId": round_id, "index": index}
                    else:
                        expected = "BudgetExceeded", {"roundId": round_id, "remaining": remaining, "requested": amount}
            elif paid:
                expected = "AlreadyPaid", {"roundId": round_id, "index": index}
        if relayed:
            deadline = t + 60
            signer = wallet or self.cash.roles.stranger
            signature = sign_claim(self.cash, signer, round_id, index, amount, deadline)
            result = self._send(
                "claimFor",
                expected,
                "claimFor",
                round_id,
                index,
                amount,
                proof,
                deadline,
                signature,
                sender=self.cash.roles.relayer,
            )
        else:
            result = self._send("claim", expected, "claim", round_id, index, amount, proof, sender=sender)
        if result is not None:
            self._record_payments(result, round_id)
            self._pay(round_id, index, amount)

    # --- pause, time ----------------------------------------------------------------------------------------

    @rule(chance=st.integers(0, 3))
    def toggle_pause(self, chance: int) -> None:
        """Unpauses at once; pauses one time in four (a paused programme refuses most steps)."""
        if not self.paused and chance:
            return
        if self.paused:
            self._send("unpause", None, "unpause", sender=self.cash.roles.admin)
        else:
            self._send("pause", None, "pause", sender=self.cash.roles.pauser)
        self.paused = not self.paused

    @rule(seconds=st.sampled_from([DAY, 3 * DAY, 16 * DAY]))
    def advance(self, seconds: int) -> None:
        self.now += seconds
        self.outcomes["advance"] += 1

    # --- vouchers -------------------------------------------------------------------------------------------

    @precondition(lambda self: self.voucher)
    @rule(index=st.integers(1, MAX_BENEFICIARIES), share=st.sampled_from([1, 2, 4]))
    def spend(self, index: int, share: int) -> None:
        wallet = self.wallets.get(index)
        if wallet is None:
            return
        status = self.status[index]
        amount = max(1, self.entitlement[index] // share) if self.entitlement[index] else 5 * USDC
        expected: Expected = None
        if self.paused:
            expected = "EnforcedPause", {}
        elif status == BStatus.Removed:
            expected = "NotBeneficiaryWallet", {"index": 0, "caller": wallet}
        elif status == BStatus.Suspended:
            expected = "InvalidBeneficiaryStatus", {"index": index, "status": status}
        elif amount > self.entitlement[index]:
            expected = (
                "InsufficientEntitlement",
                {"index": index, "available": self.entitlement[index], "requested": amount},
            )
        self._send("spend", expected, "spend", self.cash.roles.merchant.address, amount, sender=wallet)
        if expected is None:
            self.entitlement[index] -= amount
            self.merchant_balance += amount

    @precondition(lambda self: self.voucher)
    @rule(share=st.sampled_from([1, 3]), extra=st.booleans())
    def redeem(self, share: int, extra: bool) -> None:
        amount = self.merchant_balance // share + (1 if extra else 0)
        if amount == 0:
            return
        expected: Expected = None
        if self.paused:
            expected = "EnforcedPause", {}
        elif amount > self.merchant_balance:
            expected = (
                "InsufficientMerchantBalance",
                {"merchant": self.cash.roles.merchant, "available": self.merchant_balance, "requested": amount},
            )
        self._send("redeem", expected, "redeem", amount, keccak(text="settlement"), sender=self.cash.roles.merchant)
        if expected is None:
            self.merchant_balance -= amount
            self.redeemed += amount

    # --- invariants -----------------------------------------------------------------------------------------

    @invariant()
    def money_is_conserved(self) -> None:
        prog = self.prog
        paid = sum(m.paid for m in self.rounds.values())
        held = int(self.cash.token.balanceOf(prog.address))
        assert (prog.totalFunded(), prog.totalSwept(), prog.totalRedeemed()) == (self.funded, self.swept, self.redeemed)
        if self.voucher:
            assert held == self.funded - self.redeemed - self.swept
            assert paid - self.redeemed == sum(self.entitlement.values()) + self.merchant_balance
            assert tuple(prog.merchantInfo(self.cash.roles.merchant.address))[1:] == (
                self.merchant_balance,
                self.redeemed,
            )
        else:
            assert held == self.funded - paid - self.swept

    @invariant()
    def nobody_is_paid_twice(self) -> None:
        assert all(count == 1 for count in self.payments.values()), self.payments
        predicted = {(r, i) for r, m in self.rounds.items() for i in m.paid_indexes}
        assert set(self.payments) == predicted
        for round_id in self.touched:
            model = self.rounds[round_id]
            info = self.prog.round(round_id)
            assert (info[1], info[6], info[7], info[8]) == (model.status, model.remaining, model.paid, model.swept)
            for index in range(1, MAX_BENEFICIARIES + 1):
                assert self.prog.isPaid(round_id, index) == (index in model.paid_indexes)
        if self.touched:
            if self.voucher:
                for index in self.wallets:
                    assert tuple(self.prog.beneficiary(index))[2] == self.entitlement[index]
            else:
                for address in self.ever_bound:
                    assert int(self.cash.token.balanceOf(address)) == self.received[address], address
        self.touched.clear()

    @invariant()
    def registry_matches_the_model(self) -> None:
        if not self.registry_touched:
            return
        for index, wallet in self.wallets.items():
            removed = self.status[index] == BStatus.Removed
            record = tuple(self.prog.beneficiary(index))
            assert record[:2] == (ZERO_ADDRESS if removed else wallet.address, self.status[index])
            new, executable_at = self.pending.get(index, (None, 0))
            assert tuple(self.prog.pendingRecovery(index)) == (new.address if new else ZERO_ADDRESS, executable_at)
            assert tuple(self.prog.recoveryConfirmation(index))[1] == (index in self.confirmed)
            if not removed:
                assert self.prog.indexOfWallet(wallet.address) == index
        self.registry_touched = False


@pytest.mark.parametrize("mode", ["direct", "voucher"])
def test_cash_stateful(cash: Cash, vcash: Cash, chain: ChainControl, mode: str) -> None:
    programme = vcash if mode == "voucher" else cash
    programme.prog.setPeriodCap(CAP, sender=programme.roles.admin)
    # At least CI_EXAMPLES examples of CI_STEPS steps even under the short `ci` profile: fewer leave some paths
    # unexplored (the coverage checks below fail).
    profile = settings()
    outcomes = CashMachine.run_as_test(
        cash=programme, chain=chain, title=f"cash state machine ({mode})",
        settings=settings(max_examples=max(CI_EXAMPLES, profile.max_examples),
                          stateful_step_count=max(CI_STEPS, profile.stateful_step_count)),
    )
    seen = {key for key, count in outcomes.items() if count}
    # "sweep: ok", "confirmRecovery: ok" and "pause: ok" are walked by test_cash_model_scenario (the derandomised
    # draws reach them only by luck).
    for label in ("approve: ok", "payFlat: ok", "requestRecovery: ok"):
        assert label in seen, label
    assert any(k in seen for k in ("claim: ok", "claimFor: ok")), "no claim paid"
    assert any(k.endswith("AlreadyPaid") for k in seen), "exactly-once paths not exercised"


# The rarer branches of the model, each walked once in a fixed order against the chain (what the random runs
# reach depends on hypothesis' draws): the stolen-wallet procedure, the owner stopping a re-binding, and the period
# rules at proposal and at approval. Every step still predicts its outcome and the invariants are checked after it.
SCENARIO: list[tuple[str, Callable[[CashMachine], None], str]] = [
    (
        "wallet of a suspended beneficiary",
        lambda m: m.cancel_recovery(THEFT_VICTIM, "wallet"),
        "cancelRecovery by wallet: WalletCannotCancelRecovery",
    ),
    ("stranger", lambda m: m.cancel_recovery(THEFT_VICTIM, "stranger"), "cancelRecovery: RecoveryCancelNotAllowed"),
    ("delay", lambda m: m.advance(3 * DAY), "advance"),
    ("registrar alone", lambda m: m.execute_recovery(THEFT_VICTIM), "executeRecovery: RecoveryNotConfirmed"),
    ("registrar confirms", lambda m: m.confirm_recovery(THEFT_VICTIM, "registrar"),
     "confirmRecovery: AccessControlUnauthorizedAccount"),
    ("approver confirms", lambda m: m.confirm_recovery(THEFT_VICTIM, "wallet"), "confirmRecovery: ok"),
    ("execute", lambda m: m.execute_recovery(THEFT_VICTIM), "executeRecovery: ok"),
    ("reinstate", lambda m: m.change_status(THEFT_VICTIM, "reinstate"), "reinstate: ok"),
    ("new wallet paid", lambda m: m.pay_flat(0, [THEFT_VICTIM]), "payFlat: ok"),
    ("hostile re-binding", lambda m: m.request_recovery(1, 1), "requestRecovery: ok"),
    ("owner stops it", lambda m: m.cancel_recovery(1, "wallet"), "cancelRecovery by wallet: ok"),
    ("theft reported", lambda m: m.recovery("report theft", 2, False, "registrar", 1), "suspend: ok"),
    ("reinstated", lambda m: m.change_status(2, "reinstate"), "reinstate: ok"),
    ("owner may cancel again", lambda m: m.cancel_recovery(2, "wallet"), "cancelRecovery by wallet: ok"),
    (
        "backdated",
        lambda m: m.propose(False, 0, 0, 1, "previous period", 15 * DAY, False),
        "propose: RoundPeriodPassed",
    ),
    ("straddling", lambda m: m.propose(False, 0, 0, 1, "in 20 days", 15 * DAY, False), "propose: RoundCrossesPeriods"),
    ("fills its period", lambda m: m.propose(False, 0, 0, 1, "now", "to period end", False), "propose: ok"),
    ("next period", lambda m: m.propose(False, 0, 1, 1, "next period", "to period end", False), "propose: ok"),
    ("period over", lambda m: m.advance(16 * DAY), "advance"),
    ("period over", lambda m: m.advance(16 * DAY), "advance"),
    ("too late", lambda m: m.approve(1), "approve: RoundPeriodPassed"),
    ("in its period", lambda m: m.approve(0), "approve: ok"),
    ("paused", lambda m: m.toggle_pause(0), "pause: ok"),
    ("unpaused", lambda m: m.toggle_pause(0), "unpause: ok"),
    ("closed", lambda m: m.advance(40 * DAY), "advance"),
    ("swept", lambda m: m.sweep(0), "sweep: ok"),
]


@pytest.mark.parametrize("mode", ["direct", "voucher"])
def test_cash_model_scenario(cash: Cash, vcash: Cash, chain: ChainControl, mode: str) -> None:
    programme = vcash if mode == "voucher" else cash
    programme.prog.setPeriodCap(CAP, sender=programme.roles.admin)
    CashMachine.cash, CashMachine.chain = programme, chain
    machine = CashMachine()
    try:
        machine.open_two_rounds()
        for step, action, label in SCENARIO:
            before = Counter(CashMachine.outcomes)
            action(machine)
            machine.money_is_conserved()
            machine.nobody_is_paid_twice()
            machine.registry_matches_the_model()
            assert CashMachine.outcomes[label] == before[label] + 1, (step, label)
    finally:
        machine.teardown()
