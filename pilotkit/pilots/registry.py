"""The replay core's view of the pilot kinds: every table it dispatches through, built from `kinds.KINDS`.

The core (engine, misuse, schema, scenario, measure, report_json, actions_api) reaches the kinds only through
this module, which reads only the registration list. Names the core itself provides (the generic steps
`deploy`, `advance`, `pause`, `unpause`, `misuse`; the roles admin, pauser, relayer, stranger; the
`unauthorised_role` attempt) come first; then each kind's, in registration order.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pilotkit.pilots.kinds import KINDS, LEGACY_ORDER
from pilotkit.pilots.kit import Attempt, Kind, StepHandler

#: the roles every replay has, whatever its kinds
CORE_ROLES = ("admin", "pauser", "relayer", "stranger")
#: the core's steps, before and after the kinds' steps
CORE_STEPS_FIRST = ("deploy", "advance", "pause", "unpause")
CORE_STEPS_LAST = ("misuse",)
BASE_GAS_PER_ITEM = 200_000


def ordered(names: Iterable[str], legacy: str) -> list[str]:
    """`names` in the kept legacy order (`kinds.LEGACY_ORDER[legacy]`); names it does not list follow as given."""
    rank = {name: i for i, name in enumerate(LEGACY_ORDER.get(legacy, ()))}
    given = list(dict.fromkeys(names))
    return sorted(given, key=lambda name: (rank.get(name, len(rank)), given.index(name)))


def _unique(pairs: Iterable[tuple[str, Any]], what: str) -> dict[str, Any]:
    table: dict[str, Any] = {}
    for name, value in pairs:
        if name in table:
            raise ValueError(f"two pilot kinds register the {what} '{name}'")
        table[name] = value
    return table


KIND_BY_NAME: dict[str, Kind] = _unique(((k.name, k) for k in KINDS), "kind")
#: `do: <step>` → (the kind that owns it, its handler)
STEPS: dict[str, tuple[Kind, StepHandler]] = _unique(
    ((step, (k, handler)) for k in KINDS for step, handler in k.steps.items()), "step")
#: misuse attempt → (the kind that owns it, the attempt)
ATTEMPTS: dict[str, tuple[Kind, Attempt]] = _unique(
    ((name, (k, attempt)) for k in KINDS for name, attempt in k.attempts.items()), "misuse attempt")
METRICS: dict[str, str] = _unique(((m, text) for k in KINDS for m, text in k.metrics.items()), "measure")
GAS_PER_ITEM: dict[str, int] = _unique(((f, g) for k in KINDS for f, g in k.gas_per_item.items()), "gas entry")
API_EQUIVALENTS: dict[str, list[tuple[int, str]]] = _unique(
    ((a, e) for k in KINDS for a, e in k.api_equivalents.items()), "API equivalent")
ROLES: list[str] = ordered([*CORE_ROLES, *(r for k in KINDS for r in k.roles)], "roles")
#: the result document's `contracts` keys, in order
CONTRACT_KEYS: list[str] = [key for k in KINDS for key in k.contract_keys]


def kind(name: str) -> Kind:
    return KIND_BY_NAME[name]


def kinds_deployed(contracts: Iterable[str]) -> list[Kind]:
    """The registered kinds among `contracts` (a scenario's deployed contracts), in registration order."""
    wanted = set(contracts)
    return [k for k in KINDS if k.name in wanted]


def step_order(core_schemas: dict[str, Any]) -> list[str]:
    """Every step kind, core and kinds', in the order the schema and its messages list them."""
    names = [*(s for s in CORE_STEPS_FIRST if s in core_schemas), *(s for k in KINDS for s in k.step_schemas),
             *(s for s in CORE_STEPS_LAST if s in core_schemas)]
    return ordered(names, "steps")
