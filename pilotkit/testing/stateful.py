"""A base for hypothesis state machines that drive a contract against a Python model on a real chain.

Each example runs from a chain snapshot taken when the machine starts and reverted when it ends, so examples
never see each other's transactions. Every rule predicts its outcome (success, or the exact named error) and
`expect` checks it; the counts of what happened (`outcomes`, "label: ok" / "label: ErrorName") are printed after
the run, so a test can refuse a degenerate run where everything reverted.

    class VaultMachine(ChainStateMachine):
        vault: ClassVar[ContractHandle]

        @rule(amount=st.integers(0, 10))
        def deposit(self, amount: int) -> None:
            error = ("ZeroAmount", {}) if amount == 0 else None
            self.expect("deposit", error, lambda: self.vault.deposit(amount, sender=self.user))

    def test_vault(vault, chain):
        outcomes = VaultMachine.run_as_test(chain=chain, vault=vault)
        assert outcomes["deposit: ok"] > 0
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from typing import Any, ClassVar

from hypothesis import settings as Settings
from hypothesis.stateful import RuleBasedStateMachine, run_state_machine_as_test

from pilotkit.chain.control import ChainControl
from pilotkit.testing.assertions import reverts

#: a predicted refusal: (custom error name, the error's argument values to check), or None for success
Expected = tuple[str, dict[str, Any]] | None


class ChainStateMachine(RuleBasedStateMachine):
    """Snapshot per example, predicted outcomes, outcome counts. Subclasses set their handles as class vars."""

    chain: ClassVar[ChainControl]
    outcomes: ClassVar[Counter[str]] = Counter()

    def __init__(self) -> None:
        super().__init__()
        self.snapshot = self.chain.snapshot()

    def teardown(self) -> None:
        self.chain.revert(self.snapshot)

    def expect(self, label: str, expected: Expected, call: Callable[[], Any]) -> tuple[bool, Any]:
        """Run `call`; assert it succeeds (`expected` None) or reverts with the predicted named error and values.

        Returns (succeeded, what `call` returned) and counts the outcome under `label`.
        """
        if expected is None:
            result = call()
            self.outcomes[f"{label}: ok"] += 1
            return True, result
        name, values = expected
        with reverts(name, **values):
            call()
        self.outcomes[f"{label}: {name}"] += 1
        return False, None

    @classmethod
    def run_as_test(cls, *, settings: Settings | None = None, title: str | None = None,
                    **handles: Any) -> Counter[str]:
        """Set the class's handles (`chain=...`, `reg=...`), run the machine (under `settings`, else the active
        hypothesis profile), print the outcome counts under `title` and return them."""
        for name, value in handles.items():
            setattr(cls, name, value)
        cls.outcomes = Counter()
        run_state_machine_as_test(cls, settings=settings)
        print(f"\n{title or cls.__name__} outcomes: {dict(sorted(cls.outcomes.items()))}")
        return cls.outcomes
