"""What a pilot kind builds on: the `Kind` record it registers, the `Engine` it is handed, shared helpers.

A kind (`pilotkit/pilots/kinds/<kind>/`) imports from here, `model`, `fragments`, `actions`, `api_kit`, `txs`
and `eip712`, never from the replay core (`engine`, `misuse`, `measure`, `schema`, `scenario`, `actions_api`),
which reads the kinds through `pilotkit.pilots.kinds.KINDS`. So the dependencies point one way and no import
cycle runs through a kind. See docs/adding-a-pilot-kind.md.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from eth_utils import keccak

from pilotkit.pilots.model import UNIT, Actors, Programme, Scenario, Step

if TYPE_CHECKING:
    from pilotkit.pilots.actions import Actions, Pending
    from pilotkit.pilots.api_kit import ApiClient, KindApi
    from pilotkit.pilots.txs import ReplaySigner

ZERO32 = bytes(32)
MAX_UINT = 2**256 - 1


def role_id(name: str) -> bytes:
    """An AccessControl role's id: keccak256 of its name (`REGISTRAR_ROLE`, ...)."""
    return keccak(text=name)


def units(base: int) -> int | float:
    """Base units of the 6-decimal settlement token → token units (an int when whole)."""
    return base // UNIT if base % UNIT == 0 else base / UNIT


@dataclass
class Clock:
    """Scenario time: each mined block is `block_time` after the previous one; `advance` jumps ahead."""

    now: int
    block_time: int

    def next_block(self) -> int:
        self.now += self.block_time
        return self.now


@dataclass
class StepRecord:
    step: Step
    ok: bool = True
    transactions: int = 0
    gas: int = 0
    detail: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    seconds: float = 0.0


class Progress:
    """A plain progress bar on stderr (no dependency); silent when disabled."""

    def __init__(self, total_steps: int, enabled: bool) -> None:
        self.total = max(total_steps, 1)
        self.enabled = enabled
        self.step = 0
        self.label = ""
        self.txs = 0
        self._last = 0.0

    def update(self, step: int | None = None, label: str | None = None, txs: int | None = None,
               force: bool = False) -> None:
        if step is not None:
            self.step = step
        if label is not None:
            self.label = label
        if txs is not None:
            self.txs = txs
        if not self.enabled or (not force and time.monotonic() - self._last < 0.1):
            return
        self._last = time.monotonic()
        done = int(30 * self.step / self.total)
        sys.stderr.write(f"\r[{'#' * done}{'.' * (30 - done)}] step {self.step}/{self.total} "
                         f"{self.label[:28]:28} {self.txs:>8,} tx")
        sys.stderr.flush()

    def close(self) -> None:
        if self.enabled:
            self.update(force=True)
            sys.stderr.write("\n")


class Engine(Protocol):
    """What a kind's steps, misuse attempts and measures may use of the running replay (`engine.Replay`)."""

    scenario: Scenario
    actions: Actions
    seed: int
    full: bool
    actors: Actors
    clock: Clock
    role: dict[str, ReplaySigner]
    current: StepRecord | None
    timeline: list[tuple[int, int]]

    def derive(self, label: str) -> ReplaySigner: ...

    def state(self, kind: str) -> Any:
        """The kind's own replay state (what its `new_state` made at the start of the replay)."""
        ...

    def send(self, contract: str, function: str, *args: Any, sender: ReplaySigner, items: int = 1,
             gas: int | None = None, meta: dict[str, Any] | None = None) -> Pending: ...

    def flush(self) -> list[Pending]: ...

    def fail(self, text: str) -> None:
        """Mark the current step failed with `text`."""
        ...

    def advance_to(self, timestamp: int) -> None:
        """Mine an empty block so the chain's latest time is at least `timestamp`."""
        ...

    def separator(self, key: str, name: str) -> bytes:
        """The EIP-712 domain separator of the contract deployed under `key` (cached)."""
        ...

    @property
    def detail(self) -> dict[str, Any]:
        """The current step's `detail` (what the result document shows for it)."""
        ...


class ReplayLog(Engine, Protocol):
    """What the result document reads of a finished replay (`engine.Replay`), beyond what the kinds use."""

    gas: dict[str, list[tuple[int, int]]]
    hashes: list[str]
    misuse: list[dict[str, Any]]
    records: list[StepRecord]
    block_seconds: list[float]


class Impossible(Exception):
    """The scenario gives a misuse attempt nothing to work on (reported as a failed step, not a crash)."""


Observed = tuple[str, str, "Pending | None"]  # (kind: error|status|skipped|none, name, the transaction)
StepHandler = Callable[[Engine, Step], None]
Attempt = Callable[[Engine, Step], tuple[str, Observed]]
Problem = Callable[[str], None]


def tx(engine: Engine, contract: str, function: str, *args: Any, sender: Any) -> Observed:
    """Send one misuse transaction in its own block; observe whether (and how) the contract refused it."""
    pending = engine.send(contract, function, *args, sender=sender)
    pending.operation.expect_revert = True
    engine.flush()
    if pending.ok:
        return "none", f"{function} succeeded", pending
    return "error", pending.error or "reverted", pending


@dataclass(frozen=True)
class Kind:
    """One pilot kind, as the replay core sees it. `name` is also its contract key and `contracts/<name>/`."""

    name: str
    #: deploy the kind's contracts and grant the replay's roles; returns {contract key: address}
    deploy: Callable[[Engine], dict[str, str]]
    #: `do: <step>` → its handler; `step_schemas` gives each step's JSON Schema (same keys)
    steps: dict[str, StepHandler]
    step_schemas: dict[str, dict[str, Any]]
    #: the kind's per-replay state (made for every replay, deployed or not: it only derives keys)
    new_state: Callable[[Engine], Any]
    #: the replay roles the kind's steps act as (the core has admin, pauser, relayer, stranger)
    roles: tuple[str, ...] = ()
    #: the contract keys the result document lists under `contracts` (e.g. the cash kind's token and programme)
    contract_keys: tuple[str, ...] = ()
    #: `contract.function` → gas per item of a batch call (limit = 200,000 + that × items)
    gas_per_item: dict[str, int] = field(default_factory=dict)
    #: misuse attempts against the kind's contracts (each needs the kind deployed)
    attempts: dict[str, Attempt] = field(default_factory=dict)
    #: the core's `unauthorised_role` attempt, against this kind's contract
    unauthorised: Attempt | None = None
    #: extra keys of a `misuse` step the kind's attempts read, with their schemas
    misuse_params: dict[str, dict[str, Any]] = field(default_factory=dict)
    #: values a misuse step may expect as `status:` or `skipped:` (what the kind's attempts observe)
    misuse_statuses: tuple[str, ...] = ()
    misuse_skips: tuple[str, ...] = ()
    #: `expect.final` measures (`<name>.<what>` → meaning), filled in by `measure`
    metrics: dict[str, str] = field(default_factory=dict)
    measure: Callable[[Engine, dict[str, Any], list[dict[str, Any]]], None] | None = None
    #: checks of one step the schema cannot make: (do, params (may be completed), programme, problem)
    check_step: Callable[[str, dict[str, Any], Programme, Problem], None] | None = None
    #: whom the cost is divided by (unit, count), or None; `served_fallback` kinds are asked last
    served: Callable[[Engine], tuple[str, int] | None] | None = None
    served_fallback: bool = False
    #: `--via api`: the kind's part of `ApiActions` (made per replay), and API refusals that equal a misuse
    #: attempt's expected contract refusal: attempt → [(status, title or detail fragment)]
    api: Callable[[ApiClient], KindApi] | None = None
    api_equivalents: dict[str, list[tuple[int, str]]] = field(default_factory=dict)


def check(name: str, ok: bool, detail: str) -> dict[str, Any]:
    """One invariant's record for the result document."""
    return {"name": name, "ok": bool(ok), "detail": detail}
