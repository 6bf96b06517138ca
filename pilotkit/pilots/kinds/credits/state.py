"""The credits kind's replay state: projects, batches and their serial ranges, buyers, the last retirement."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pilotkit.pilots.kit import ZERO32

if TYPE_CHECKING:
    from pilotkit.pilots.kit import Engine
    from pilotkit.pilots.txs import ReplaySigner

NAME = "credits"


@dataclass
class CreditsState:
    buyers: list[ReplaySigner]
    projects: int = 0
    batches: list[dict[str, Any]] = field(default_factory=list)
    ranges: dict[bytes, list[int]] = field(default_factory=dict)  # registry → serial starts issued
    registry_of: bytes = ZERO32  # the registry of the last registered project
    last_retirement: tuple[ReplaySigner, int, int] | None = None  # (holder, batch, amount)


def new_state(engine: Engine) -> CreditsState:
    return CreditsState(buyers=[engine.derive(f"credit-buyer-{i + 1}") for i in range(engine.actors.credit_buyers)])


def state(engine: Engine) -> CreditsState:
    result: CreditsState = engine.state(NAME)
    return result
