"""The credits kind's misuse attempts: moving retired credits, double issuance by overlapping serials."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pilotkit.pilots.kinds.credits.state import NAME, state
from pilotkit.pilots.kinds.credits.steps import issue_params, serial_hint
from pilotkit.pilots.kit import Impossible, tx

if TYPE_CHECKING:
    from pilotkit.pilots.kit import Attempt, Engine, Observed
    from pilotkit.pilots.model import Step


def unauthorised_issue(engine: Engine, step: Step) -> tuple[str, Observed]:
    """`unauthorised_role` against the registry: an account without the verifier role issues credits."""
    params = issue_params(engine, 10, 10**12, [2024, 2024])
    return ("an account without the verifier role issues credits",
            tx(engine, NAME, "issueBatch", params, 0, sender=engine.role["stranger"]))


def transfer_retired(engine: Engine, step: Step) -> tuple[str, Observed]:
    s = state(engine)
    if s.last_retirement is None:
        raise Impossible("needs an earlier retire_credits step")
    holder, batch, amount = s.last_retirement
    (balance,) = engine.actions.call(NAME, "balanceOf", holder.address, batch)
    return (f"{holder.label} transfers its {balance} credits plus the {amount} it already retired",
            tx(engine, NAME, "safeTransferFrom", holder.address, engine.role["stranger"].address, batch,
               int(balance) + amount, b"", sender=holder))


def overlapping_serials(engine: Engine, step: Step) -> tuple[str, Observed]:
    s = state(engine)
    if not s.batches:
        raise Impossible("needs an earlier issue_credits step")
    first = s.batches[0]
    start = first["start"] + first["serials"] // 2
    params = issue_params(engine, first["serials"], start, [2024, 2024])
    return (f"the verifier issues serials {start}-{start + first['serials'] - 1}, overlapping batch 1 "
            f"({first['start']}-{first['end']}): double issuance",
            tx(engine, NAME, "issueBatch", params, serial_hint(engine, start), sender=engine.role["verifier"]))


ATTEMPTS: dict[str, Attempt] = {f.__name__: f for f in (transfer_retired, overlapping_serials)}
