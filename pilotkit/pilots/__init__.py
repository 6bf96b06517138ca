"""Replayable pilot scenarios: the YAML format, the fit assessment, the replay engine and evaluator reports.

- `schema`: the JSON Schema of the scenario format and a YAML loader that keeps line numbers for errors.
- `scenario`: typed dataclasses built from a validated document (`load_scenario(path)`).
- `assess`: the decision-making matrix and the risk register → a recommendation with reasons.
- `actions`: what a replay does to the chain (`Actions` protocol; `DirectActions` drives the library).
- `engine`: replays a scenario step by step, deterministically, and checks expectations and invariants.
- `costs`: gas → cost per beneficiary under chain presets.
- `report_json`, `report_html`, `compare`: the outputs evaluators read.
"""

from __future__ import annotations

from pilotkit.errors import PilotkitError


class ScenarioError(PilotkitError):
    """A scenario file is malformed: the message names the file, the line and what is wrong."""

    def __init__(self, problems: list[tuple[str, int | None, str]]) -> None:
        self.problems = problems
        lines = [f"{file}:{line}: {text}" if line else f"{file}: {text}" for file, line, text in problems]
        super().__init__("\n".join(lines) if len(lines) == 1 else
                         f"{len(lines)} problems in the scenario:\n  " + "\n  ".join(lines))


class ReplayError(PilotkitError):
    """A replay could not run (unsupported network, missing deployment, a chain that misbehaves)."""


class ViaNotAvailable(PilotkitError):
    """The requested replay path (e.g. `--via api`) is not available in this build."""
