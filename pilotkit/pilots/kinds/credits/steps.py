"""The credits kind's replay steps: a project, credit batches by serial range, transfers, retirements, freezes."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from eth_utils import keccak

from pilotkit.pilots.kinds.credits.state import NAME, state
from pilotkit.pilots.kit import role_id

if TYPE_CHECKING:
    from pilotkit.pilots.kit import Engine, StepHandler
    from pilotkit.pilots.model import Step
    from pilotkit.pilots.txs import ReplaySigner

ROLES = ("verifier", "developer")


def deploy(engine: Engine) -> dict[str, str]:
    admin = engine.role["admin"]
    address = engine.actions.deploy(NAME, "EcoCreditRegistry", (admin.address, "ipfs://pilotkit-replay/credits/{id}.json"),
                                    admin, engine.clock.next_block())
    engine.send(NAME, "grantRole", role_id("VERIFIER_ROLE"), engine.role["verifier"].address, sender=admin)
    engine.send(NAME, "grantRole", role_id("PAUSER_ROLE"), engine.role["pauser"].address, sender=admin)
    return {NAME: address}


def register_project(engine: Engine, step: Step) -> None:
    def b32(text: str) -> bytes:
        return text.encode()[:32].ljust(32, b"\0")

    s = state(engine)
    p = step.params
    project = (b32(p["registry"]), b32(p["external_id"]), b32(p["methodology"]), p["country"].encode(),
               keccak(text=f"project-document:{p['external_id']}"), f"ipfs://pilotkit-replay/{p['external_id']}")
    engine.send(NAME, "registerProject", project, sender=engine.role["admin"])
    s.projects += 1
    s.registry_of = b32(p["registry"])
    engine.detail["project_id"] = s.projects


def serial_hint(engine: Engine, start: int) -> int:
    """The registry's highest serial start below `start` (the contract's hint for its sorted ranges)."""
    s = state(engine)
    earlier = [x for x in s.ranges.get(s.registry_of, []) if x < start]
    return max(earlier, default=0)


def issue_params(engine: Engine, serials: int, start: int, vintage: list[int]) -> tuple[Any, ...]:
    from calendar import timegm

    vstart = timegm((vintage[0], 1, 1, 0, 0, 0))
    vend = timegm((vintage[1], 12, 31, 23, 59, 59))
    evidence = keccak(text=f"verification-report:{engine.scenario.name}:{start}")
    return (state(engine).projects, vstart, vend, start, start + serials - 1, evidence,
            engine.role["developer"].address)


def issue_credits(engine: Engine, step: Step) -> None:
    s = state(engine)
    serials = int(step.params["serials"])
    used = s.ranges.get(s.registry_of, [])
    start = int(step.get("serial_start", max((b["end"] for b in s.batches), default=0) + 1))
    params = issue_params(engine, serials, start, step.get("vintage", [2024, 2024]))
    engine.send(NAME, "issueBatch", params, serial_hint(engine, start), sender=engine.role["verifier"])
    engine.flush()
    s.ranges[s.registry_of] = sorted([*used, start])
    s.batches.append({"id": len(s.batches) + 1, "start": start, "end": start + serials - 1, "serials": serials})
    engine.detail.update(batch_id=len(s.batches), serials=[start, start + serials - 1])


def _holder(engine: Engine, who: Any) -> ReplaySigner:
    return engine.role["developer"] if who in (None, "holder") else state(engine).buyers[int(who) - 1]


def transfer_credits(engine: Engine, step: Step) -> None:
    s = state(engine)
    batch = int(step.get("batch", len(s.batches)))
    to = s.buyers[int(step.get("to", 1)) - 1]
    holder = engine.role["developer"]
    engine.send(NAME, "safeTransferFrom", holder.address, to.address, batch, int(step.params["amount"]), b"",
                sender=holder)
    engine.detail.update(batch=batch, to=to.address, amount=step.params["amount"])


def retire_credits(engine: Engine, step: Step) -> None:
    s = state(engine)
    batch = int(step.get("batch", len(s.batches)))
    holder = _holder(engine, step.get("by"))
    beneficiary = keccak(text=f"hmac-retirement-beneficiary:{step.get('beneficiary', holder.label)}")
    engine.send(NAME, "retire", batch, int(step.params["amount"]), beneficiary,
                step.get("reason", "Offsetting reported emissions"), sender=holder)
    s.last_retirement = (holder, batch, int(step.params["amount"]))
    engine.detail.update(batch=batch, by=holder.label, amount=step.params["amount"])


def freeze_credits(engine: Engine, step: Step) -> None:
    batch = int(step.get("batch", len(state(engine).batches)))
    engine.send(NAME, "freezeBatch", batch, int(step.get("reason", 1)), sender=engine.role["verifier"])


STEPS: dict[str, StepHandler] = {
    "register_project": register_project, "issue_credits": issue_credits, "transfer_credits": transfer_credits,
    "retire_credits": retire_credits, "freeze_credits": freeze_credits,
}
