"""After a replay: read the final state from the chain, check the invariants and the scenario's expectations.

Each deployed kind measures its own contracts (`Kind.measure`, in registration order): it fills the final state
(`<kind>.<measure>`, what `expect.final` may name) and adds its invariants.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pilotkit.pilots import registry

if TYPE_CHECKING:
    from pilotkit.pilots.kit import Engine


def measure(engine: Engine) -> dict[str, Any]:
    state: dict[str, Any] = {}
    invariants: list[dict[str, Any]] = []
    for kind in registry.kinds_deployed(engine.scenario.contracts):
        if kind.measure is not None:
            kind.measure(engine, state, invariants)
    expectations = []
    for key, expected in engine.scenario.expected_final(engine.full).items():
        actual = state.get(key)
        ok = actual == expected or (isinstance(actual, (int, float)) and isinstance(expected, (int, float))
                                    and not isinstance(expected, bool) and abs(actual - expected) < 1e-9)
        expectations.append({"measure": key, "meaning": registry.METRICS[key], "expected": expected,
                             "actual": actual, "ok": ok, "line": engine.scenario.expect_lines.get(key)})
    return {"final_state": state, "invariants": invariants, "expectations": expectations}
