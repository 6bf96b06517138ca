"""EcoCreditRegistry property-based stateful test: random issue/transfer/retire/freeze/pause/allowlist sequences
against a Python model, which predicts every outcome (success, or the exact named error).

Invariants, checked on chain after every step:
- per batch: issued == totalSupply(id) + retired(id), and totalSupply(id) == sum of the tracked holders' balances
  (credits only ever go to the three holders); every balance equals the model's;
- the serial list of each registry code is sorted, pairwise disjoint and equal to the ranges the model accepted
  (so no overlapping range is ever issued, whatever hint is offered);
- retired totals and retirement records never change once written (retired credits never move);
- frozen flags match, and a frozen batch never moves (the model expects BatchIsFrozen for any attempt).

CI runs the `ci` hypothesis profile (tests/contracts/conftest.py); for a long run:
    HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/contracts/credits/test_credits_stateful.py \
        -q -p no:cacheprovider -s
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, ClassVar

from credits_helpers import Roles, b32, batch_params, serial_ranges, struct
from hypothesis import strategies as st
from hypothesis.stateful import (
    initialize,
    invariant,
    rule,
)

from pilotkit.accounts.signer import Signer
from pilotkit.chain.control import ChainControl
from pilotkit.contracts.handle import ContractHandle
from pilotkit.testing.assertions import reverts
from pilotkit.testing.stateful import ChainStateMachine

REGISTRY_OF_PROJECT = {1: b32("VERRA"), 2: b32("VERRA"), 3: b32("GOLD")}
SERIALS = st.integers(min_value=1, max_value=200)  # a small serial space, so overlaps are frequent
PERCENT = st.integers(min_value=0, max_value=130)  # share of the balance; above 100: more than the balance
HOLDER = st.integers(min_value=0, max_value=2)
BATCH_IX = st.integers(min_value=0, max_value=30)


@dataclass
class BatchModel:
    issued: int
    retired: int = 0
    frozen: bool = False
    verifier: str = ""  # the issuing verifier: it may not unfreeze the batch (review finding 3)


class CreditsMachine(ChainStateMachine):
    """Model of one registry; the chain is reset to a snapshot for every example."""

    reg: ClassVar[ContractHandle]
    roles: ClassVar[Roles]

    def __init__(self) -> None:
        super().__init__()
        self.holders = [h.address for h in self.roles.holders]
        self.ranges: dict[bytes, list[tuple[int, int]]] = {b32("VERRA"): [], b32("GOLD"): []}
        self.batches: dict[int, BatchModel] = {}
        self.balances: dict[tuple[str, int], int] = {}
        self.retirements: list[dict[str, Any]] = []
        self.paused = False
        self.allowlist_on = False
        self.allowlisted: set[str] = set()
        self.approved: set[str] = set()  # holders that approved the broker

    def teardown(self) -> None:
        """Full check of what only changes rarely (records, serial lists), then reset the chain."""
        try:
            self._check_retirement_records()
            self._check_serial_ranges()
        finally:
            super().teardown()

    # --- helpers ----------------------------------------------------------------------------------------------

    def _holder(self, who: int, batch_id: int) -> Signer:
        """A holder, ranked by balance of `batch_id` (0 = the largest), so moves mostly have credits to move."""
        ranked = sorted(self.roles.holders, key=lambda h: -self._bal(h.address, batch_id))
        return ranked[who]

    def _batch_id(self, ix: int) -> int:
        """An existing batch id, or (one time in n+1) the next, unknown id."""
        return ix % (len(self.batches) + 1) + 1

    def _bal(self, holder: str, batch_id: int) -> int:
        return self.balances.get((holder, batch_id), 0)

    @staticmethod
    def _amount(balance: int, percent: int) -> int:
        """Part of a balance (percent <= 100, rounded up), or more than it (percent > 100)."""
        return -(-balance * percent // 100) if percent <= 100 else balance + percent - 100

    def _receiver_error(self, to: str) -> tuple[str, dict[str, Any]] | None:
        if self.allowlist_on and to not in self.allowlisted:
            return ("HolderNotAllowlisted", {"holder": to})
        return None

    def _run(self, label: str, expected: tuple[str, dict[str, Any]] | None, call: Callable[[], Any]) -> bool:
        """Runs `call`; asserts the predicted named error, or success. Returns True on success."""
        return self.expect(label, expected, call)[0]

    # --- rules ------------------------------------------------------------------------------------------------

    @initialize()
    def issue_starting_batches(self) -> None:
        """Two batches (one per registry code) so that transfers and retirements have credits to move."""
        self.issue(1, 101, 50, 0, True, 0, False)
        self.issue(3, 101, 30, 1, True, 0, True)
        self.outcomes["issue: ok"] -= 2  # counted apart: only moves chosen by hypothesis count as coverage
        self.outcomes["initial issue: ok"] += 2

    @rule(project_id=st.sampled_from([1, 2, 3]), start=SERIALS, length=st.integers(min_value=1, max_value=60),
          to=HOLDER, right_hint=st.booleans(), random_hint=SERIALS, second_verifier=st.booleans())
    def issue(self, project_id: int, start: int, length: int, to: int, right_hint: bool, random_hint: int,
              second_verifier: bool) -> None:
        end = start + length - 1
        registry = REGISTRY_OF_PROJECT[project_id]
        stored = sorted(self.ranges[registry])
        correct = max((s for s, _ in stored if s < start), default=0)
        hint = correct if right_hint else random_hint
        overlapping = [(s, e) for s, e in stored if s <= end and e >= start]
        holder = self.holders[to]
        verifier = self.roles.verifier2 if second_verifier else self.roles.verifier
        params = batch_params(project_id, start, end, holder)

        expected = ("EnforcedPause", {}) if self.paused else self._receiver_error(holder)
        if expected is None and (overlapping or hint != correct):
            # Any wrong hint or overlap reverts; with the right hint an overlap is always reported as such.
            with reverts() as caught:
                self.reg.issueBatch(params, hint, sender=verifier)
            error = caught.error
            assert error is not None
            self.outcomes[f"issue: {error.error_name}"] += 1
            if hint == correct:
                assert error.error_name == "SerialRangeOverlaps", error
            assert error.error_name in ("SerialRangeOverlaps", "InvalidSerialHint"), error
            if error.error_name == "SerialRangeOverlaps":
                assert (error.values["existingStart"], error.values["existingEnd"]) in overlapping, error
            else:
                assert error.values["hint"] == hint
            self._check_serial_ranges()
            return
        if self._run("issue", expected, lambda: self.reg.issueBatch(params, hint, sender=verifier)):
            batch_id = len(self.batches) + 1
            self.batches[batch_id] = BatchModel(issued=length, verifier=verifier.address)
            self.balances[(holder, batch_id)] = length
            self.ranges[registry].append((start, end))
            self._check_serial_ranges()

    @rule(src=HOLDER, dst=HOLDER, ix=BATCH_IX, percent=PERCENT)
    def transfer(self, src: int, dst: int, ix: int, percent: int) -> None:
        batch_id = self._batch_id(ix)
        sender, to = self._holder(src, batch_id), self.holders[dst]
        balance = self._bal(sender.address, batch_id)
        amount = self._amount(balance, percent)
        expected = ("EnforcedPause", {}) if self.paused else self._receiver_error(to)
        if expected is None and batch_id in self.batches and self.batches[batch_id].frozen:
            expected = ("BatchIsFrozen", {"batchId": batch_id})
        if expected is None and balance < amount:
            expected = ("ERC1155InsufficientBalance",
                        {"sender": sender.address, "balance": balance, "needed": amount, "tokenId": batch_id})
        ok = self._run("transfer", expected,
                       lambda: self.reg.safeTransferFrom(sender.address, to, batch_id, amount, b"", sender=sender))
        if ok:
            self.balances[(sender.address, batch_id)] = balance - amount
            self.balances[(to, batch_id)] = self._bal(to, batch_id) + amount

    @rule(src=HOLDER, dst=HOLDER, ix1=BATCH_IX, ix2=BATCH_IX, p1=PERCENT, p2=PERCENT)
    def batch_transfer(self, src: int, dst: int, ix1: int, ix2: int, p1: int, p2: int) -> None:
        ids = [self._batch_id(ix1), self._batch_id(ix2)]
        sender, to = self._holder(src, ids[0]), self.holders[dst]
        if ids[0] == ids[1]:
            return
        amounts = [self._amount(self._bal(sender.address, i), p) for i, p in zip(ids, (p1, p2), strict=True)]
        expected = ("EnforcedPause", {}) if self.paused else self._receiver_error(to)
        for batch_id in ids:
            if expected is None and batch_id in self.batches and self.batches[batch_id].frozen:
                expected = ("BatchIsFrozen", {"batchId": batch_id})
        for batch_id, amount in zip(ids, amounts, strict=True):
            balance = self._bal(sender.address, batch_id)
            if expected is None and balance < amount:
                expected = ("ERC1155InsufficientBalance",
                            {"sender": sender.address, "balance": balance, "needed": amount, "tokenId": batch_id})
        ok = self._run("batch transfer", expected,
                       lambda: self.reg.safeBatchTransferFrom(sender.address, to, ids, amounts, b"", sender=sender))
        if ok:
            for batch_id, amount in zip(ids, amounts, strict=True):
                self.balances[(sender.address, batch_id)] = self._bal(sender.address, batch_id) - amount
                self.balances[(to, batch_id)] = self._bal(to, batch_id) + amount

    @rule(who=HOLDER, ix=BATCH_IX, percent=PERCENT, tag=st.integers(0, 3))
    def retire(self, who: int, ix: int, percent: int, tag: int) -> None:
        """Retires part of a holder's credits, one time in four through the broker (`retireFrom`)."""
        via_broker = tag == 0
        batch_id = self._batch_id(ix)
        holder = self._holder(who, batch_id)
        caller = self.roles.broker if via_broker else holder
        beneficiary, reason = b32(f"beneficiary-{tag}"), f"offset {tag}"
        balance = self._bal(holder.address, batch_id)
        amount = self._amount(balance, percent)
        expected: tuple[str, dict[str, Any]] | None = None
        if via_broker and holder.address not in self.approved:
            expected = ("ERC1155MissingApprovalForAll", {"operator": caller.address, "owner": holder.address})
        elif batch_id not in self.batches:
            expected = ("BatchNotFound", {"batchId": batch_id})
        elif amount == 0:
            expected = ("ZeroAmount", {})
        elif self.paused:
            expected = ("EnforcedPause", {})
        elif self.batches[batch_id].frozen:
            expected = ("BatchIsFrozen", {"batchId": batch_id})
        elif balance < amount:
            expected = ("ERC1155InsufficientBalance",
                        {"sender": holder.address, "balance": balance, "needed": amount, "tokenId": batch_id})

        def call() -> Any:
            if via_broker:
                return self.reg.retireFrom(holder.address, batch_id, amount, beneficiary, reason, sender=caller)
            return self.reg.retire(batch_id, amount, beneficiary, reason, sender=holder)

        if self._run("retire", expected, call):
            self.balances[(holder.address, batch_id)] = balance - amount
            self.batches[batch_id].retired += amount
            self.retirements.append({"retiree": holder.address, "batchId": batch_id, "amount": amount,
                                     "beneficiary": beneficiary, "reason": reason})
            self._check_retirement_records(only_last=True)

    @rule(ix=BATCH_IX, code=st.integers(0, 255), freeze=st.booleans(), second_verifier=st.booleans())
    def freeze_or_unfreeze(self, ix: int, code: int, freeze: bool, second_verifier: bool) -> None:
        batch_id = self._batch_id(ix)
        verifier = self.roles.verifier2 if second_verifier else self.roles.verifier
        model = self.batches.get(batch_id)
        expected: tuple[str, dict[str, Any]] | None = None
        if model is None:
            expected = ("BatchNotFound", {"batchId": batch_id})
        elif freeze and model.frozen:
            expected = ("BatchIsFrozen", {"batchId": batch_id})
        elif not freeze and model.verifier == verifier.address:
            expected = ("IssuerCannotUnfreeze", {"batchId": batch_id, "verifier": verifier.address})
        elif not freeze and not model.frozen:
            expected = ("BatchNotFrozen", {"batchId": batch_id})
        fn = self.reg.freezeBatch if freeze else self.reg.unfreezeBatch
        if self._run("freeze" if freeze else "unfreeze", expected, lambda: fn(batch_id, code, sender=verifier)):
            assert model is not None
            model.frozen = freeze

    @rule(choice=st.integers(0, 3))
    def pause_or_unpause(self, choice: int) -> None:
        """Paused: unpause (3 times in 4) or pause again (EnforcedPause). Running: pause (1 in 4), unpause
        (ExpectedPause, 1 in 4) or nothing; pauses stay short because they block most moves."""
        if self.paused and choice == 3:
            self._run("pause", ("EnforcedPause", {}), lambda: self.reg.pause(sender=self.roles.pauser))
        elif self.paused:
            self._run("unpause", None, lambda: self.reg.unpause(sender=self.roles.admin))
            self.paused = False
        elif choice == 3:
            self._run("pause", None, lambda: self.reg.pause(sender=self.roles.pauser))
            self.paused = True
        elif choice == 2:
            self._run("unpause", ("ExpectedPause", {}), lambda: self.reg.unpause(sender=self.roles.admin))

    @rule(choice=st.integers(0, 3))
    def toggle_allowlist(self, choice: int) -> None:
        """Switches the allowlist on one time in four, off otherwise (it blocks most moves while on)."""
        enabled = choice == 3
        self.reg.setHolderAllowlistEnabled(enabled, sender=self.roles.admin)
        self.allowlist_on = enabled

    @rule(who=HOLDER, choice=st.integers(0, 2))
    def set_allowlisted(self, who: int, choice: int) -> None:
        allowed = choice != 0
        self.reg.setHolderAllowlisted([self.holders[who]], allowed, sender=self.roles.admin)
        (self.allowlisted.add if allowed else self.allowlisted.discard)(self.holders[who])

    @rule(who=HOLDER, approved=st.booleans())
    def approve_broker(self, who: int, approved: bool) -> None:
        holder = self.roles.holders[who]
        self.reg.setApprovalForAll(self.roles.broker.address, approved, sender=holder)
        (self.approved.add if approved else self.approved.discard)(holder.address)

    # --- invariants -------------------------------------------------------------------------------------------
    # Checked after every step: supplies, balances, retired totals, frozen flags. Serial lists are checked after
    # every issuance attempt (the only thing that can change them) and retirement records when one is written;
    # both again in full at teardown.

    @invariant()
    def supply_balances_and_flags_match(self) -> None:
        reg = self.reg
        assert reg.batchCount() == len(self.batches)
        assert reg.retirementCount() == len(self.retirements)
        assert reg.paused() == self.paused
        assert reg.holderAllowlistEnabled() == self.allowlist_on
        ids = sorted(self.batches)
        if not ids:
            return
        owners = [h for h in self.holders for _ in ids]
        flat = reg.balanceOfBatch(owners, ids * len(self.holders))
        on_chain = {(h, i): flat[n * len(ids) + k] for n, h in enumerate(self.holders) for k, i in enumerate(ids)}
        assert on_chain == {(h, i): self._bal(h, i) for h in self.holders for i in ids}
        total = 0
        for batch_id in ids:
            model = self.batches[batch_id]
            info = struct(reg, "batch", batch_id)
            supply = reg.totalSupply(batch_id)
            total += supply
            assert (info["issued"], info["retired"], info["frozen"]) == (model.issued, model.retired, model.frozen)
            assert info["issued"] == supply + info["retired"]
            assert supply == sum(self._bal(h, batch_id) for h in self.holders)
        assert reg.totalSupply() == total

    def _check_retirement_records(self, only_last: bool = False) -> None:
        first = len(self.retirements) if only_last else 1
        for n in range(first, len(self.retirements) + 1):
            expected = self.retirements[n - 1]
            record = struct(self.reg, "retirement", n)
            assert {k: record[k] for k in expected} == expected

    def _check_serial_ranges(self) -> None:
        for registry, accepted in self.ranges.items():
            walked = serial_ranges(self.reg, registry)
            assert walked == sorted(accepted)
            for (_, end), (next_start, _) in zip(walked, walked[1:], strict=False):
                assert end < next_start


def test_credits_stateful(reg: ContractHandle, roles: Roles, chain: ChainControl) -> None:
    outcomes = CreditsMachine.run_as_test(reg=reg, roles=roles, chain=chain, title="credits state machine")
    # Guard against a degenerate run (e.g. everything reverting): several kinds of moves must have succeeded
    # and several distinct named errors must have been predicted. Which ones depends on the examples drawn.
    moves = {"issue", "transfer", "batch transfer", "retire", "freeze", "unfreeze"}
    succeeded = {k.split(":")[0] for k, n in outcomes.items() if n and k.endswith(": ok")} & moves
    errors = {k.split(": ")[1] for k, n in outcomes.items() if n and not k.endswith(": ok")}
    assert len(succeeded) >= 3 and len(errors) >= 4, (succeeded, errors)
