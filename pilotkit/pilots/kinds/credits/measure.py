"""After a replay: the credit registry's final state read from the chain, and its invariant."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pilotkit.pilots.kinds.credits.state import NAME, state
from pilotkit.pilots.kit import check

if TYPE_CHECKING:
    from pilotkit.pilots.kit import Engine


def measure(engine: Engine, final: dict[str, Any], invariants: list[dict[str, Any]]) -> None:
    call = engine.actions.call
    (projects,) = call(NAME, "projectCount")
    (batches,) = call(NAME, "batchCount")
    (retirements,) = call(NAME, "retirementCount")
    holders = [engine.role["developer"], engine.role["stranger"], *state(engine).buyers]
    issued = retired = 0
    broken = []
    for batch in range(1, int(batches) + 1):
        (i,) = call(NAME, "issued", batch)
        (r,) = call(NAME, "retired", batch)
        held = sum(int(call(NAME, "balanceOf", h.address, batch)[0]) for h in holders)
        issued, retired = issued + int(i), retired + int(r)
        if held + int(r) != int(i):
            broken.append(f"batch {batch}: issued {i} != held {held} + retired {r}")
    final.update({"credits.projects": int(projects), "credits.batches": int(batches), "credits.issued": issued,
                  "credits.retired": retired, "credits.circulating": issued - retired,
                  "credits.retirements": int(retirements)})
    invariants.append(check("credits: issued = held + retired, per batch", not broken,
                            "; ".join(broken) or f"{batches} batch(es), {issued} issued, {retired} retired"))


def served(engine: Engine) -> tuple[str, int]:
    """When nothing else counts whom a replay serves: the credit holders (the developer and the buyers)."""
    return "credit holder", max(1 + len(state(engine).buyers), 1)
