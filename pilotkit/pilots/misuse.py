"""Misuse attempts: what an insider or outsider might try, sent for real, and how the contracts refused it.

Each attempt sends a real transaction (mined in its own block) or makes the verification read a relying party
would make, and returns a record: what was tried, by whom, what was expected and what was observed (the
decoded custom error, a skipped payment, or a certificate status).

The attempts belong to the kinds (`kinds/<kind>/misuse.py`, found through `registry.ATTEMPTS`); the core has
one of its own, `unauthorised_role`, which each deployed kind answers with a call its roles guard
(`Kind.unauthorised`): the first deployed kind in registration order that has one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pilotkit.pilots import registry
from pilotkit.pilots.kit import Impossible

if TYPE_CHECKING:
    from pilotkit.pilots.kit import Attempt, Engine, Observed
    from pilotkit.pilots.model import Step

#: the core's attempts, and what each needs deployed ("any": some kind's contract)
CORE_ATTEMPTS_NEED = {"unauthorised_role": "any"}


def unauthorised_role(engine: Engine, step: Step) -> tuple[str, Observed]:
    for kind in registry.kinds_deployed(engine.scenario.contracts):
        if kind.unauthorised is not None:
            return kind.unauthorised(engine, step)
    raise Impossible("needs a deployed contract whose kind guards a call by role")


def attempts() -> dict[str, Attempt]:
    """Every misuse attempt by name, in the order the schema lists them."""
    table: dict[str, Attempt] = {"unauthorised_role": unauthorised_role}
    table.update({name: attempt for name, (_, attempt) in registry.ATTEMPTS.items()})
    return {name: table[name] for name in registry.ordered(table, "attempts")}


ATTEMPTS = attempts()
#: misuse attempt → the contract it needs deployed before it ("any": some kind's contract)
NEEDS: dict[str, str] = {name: CORE_ATTEMPTS_NEED.get(name) or registry.ATTEMPTS[name][0].name for name in ATTEMPTS}


def attempt(engine: Engine, step: Step) -> dict[str, Any]:
    """Run one misuse attempt; the record says whether it was refused in the expected way."""
    name = step.params["attempt"]
    (expected_kind, expected_name), = step.params["expect"].items()
    try:
        description, (kind, observed, pending) = ATTEMPTS[name](engine, step)
    except Impossible as exc:
        description, kind, observed, pending = f"could not be attempted: {exc}", "none", str(exc), None
    refused = kind in ("error", "skipped") or (kind == "status" and observed != "Valid")
    record: dict[str, Any] = {
        "step": step.number,
        "attempt": name,
        "description": description,
        "expected": {expected_kind: expected_name},
        "observed": {kind: observed} if kind != "none" else {"accepted": observed},
        "refused": refused,
        "refused_as_expected": kind == expected_kind and observed == expected_name,
    }
    if pending is not None:
        record.update(tx_hash=pending.tx_hash, gas_used=pending.gas_used, actor=pending.operation.sender.label,
                      on_chain="reverted" if pending.ok is False else "mined")
        if pending.error_values:
            record["error_values"] = {k: v for k, v in pending.error_values.items()}
    return record
