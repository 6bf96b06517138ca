"""Shared settings for the contract suites (tests/contracts/*).

Hypothesis profiles for the stateful (RuleBasedStateMachine) tests, which talk to a real chain:
- `ci` (default): a few bounded, derandomised runs (the same examples every time, no example database), so each
  stateful test takes seconds, also on Ganache. No shrinking: shrinking a chain-backed failure can take minutes,
  so CI reports the unshrunk failing sequence (it is printed step by step) and fails fast.
- `long`: a random soak run that also shrinks failures to a minimal sequence. Command (Anvil; add
  `--pilotkit-network ganache` for Ganache):

      HYPOTHESIS_PROFILE=long .venv/bin/python -m pytest tests/contracts -q -p no:cacheprovider -k stateful -s

Chain calls are slow and variable, so there is no deadline; each example resets the chain with snapshot/revert.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

_BASE = settings(
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture, HealthCheck.data_too_large],
    print_blob=True,
)

settings.register_profile("ci", _BASE, max_examples=8, stateful_step_count=25, derandomize=True, database=None,
                          phases=[Phase.explicit, Phase.generate])
settings.register_profile("long", _BASE, max_examples=300, stateful_step_count=60)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
