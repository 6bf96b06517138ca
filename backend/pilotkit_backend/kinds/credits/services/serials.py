"""The serial hint of `issueBatch`: the start of the stored range right before the new one (0 for the head).

The contract keeps, per registry code, a sorted linked list of issued serial ranges and checks a caller-given
predecessor in O(1) (contracts/credits/SerialRanges.sol). The service finds it without walking the whole list:
1. the best predecessor the event index knows (largest indexed `serialStart` below the new start, among the
   batches of projects with the same registry code) — ranges are never removed, so it is still in the list;
2. walk forward on chain with `serialRange(code, start)` (usually zero or one step) to the true predecessor;
3. account for batches the service queued whose jobs are not final yet (`credit_issuances`): their ranges are
   refused at once if they overlap, and the last one below the new start becomes the hint (the job then cannot
   be mined before that batch: its estimate reverts and the sender waits). A queued batch that would directly
   follow the new range is refused with 409 until it is final: its own hint assumes nothing is inserted before
   it, and the sender does not promise to mine the two in order. So ascending back-to-back batches queue fine;
   a lower range slotted in front of a queued one waits for it.
Callers serialise per registry (row lock on PostgreSQL, the write lock on SQLite) before reading pending ranges.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_abi import encode as abi_encode
from sqlalchemy import Engine, select
from sqlalchemy.orm import Session

from pilotkit_backend.core.problems import Conflict
from pilotkit_backend.kinds.credits.models import CreditIssuance
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.indexer.queries import EventQuery
from pilotkit_backend.platform.models.jobs import UNFINISHED_STATUSES, Job
from pilotkit_backend.platform.runtime import INDEXER_NAME

CONTRACT = "EcoCreditRegistry"
MAX_WALK = 10_000  # chain steps; the index normally leaves 0 or 1


@dataclass(frozen=True)
class Placement:
    """Where a new range goes. `chain_hint` is right for the chain as it is now (used to pre-flight), `hint`
    also counts queued batches (sent with the job), `successor` is the start of the range after it (0: none)."""

    chain_hint: int
    hint: int
    successor: int


def indexed_predecessor(engine: Engine, chain_id: int, registry: str, code: str, start: int) -> int:
    """Largest indexed range start below `start` under registry code `code` (0 if none)."""
    query = EventQuery(engine, chain_id=chain_id, indexer=INDEXER_NAME)
    projects = {str(e.args["projectId"]) for e in query.iterate(registry, "ProjectRegistered")
                if str(e.args.get("registry", "")).lower() == code.lower()}
    best = 0
    for event in query.iterate(registry, "BatchIssued"):
        if str(event.args["projectId"]) in projects:
            serial = int(event.args["serialStart"])
            if best < serial < start:
                best = serial
    return best


def chain_predecessor(chain: ChainContext, registry: str, code: bytes, start: int, candidate: int) -> tuple[int, int]:
    """(predecessor, its next) on chain, walking forward from `candidate` (a stored start or 0)."""
    end, nxt = chain.call(registry, CONTRACT, "serialRange", code, candidate)
    if candidate != 0 and end == 0:  # not stored (the index was ahead of this chain): start from the head
        candidate = 0
        end, nxt = chain.call(registry, CONTRACT, "serialRange", code, 0)
    for _ in range(MAX_WALK):
        if nxt == 0 or nxt >= start:
            return candidate, nxt
        candidate = nxt
        end, nxt = chain.call(registry, CONTRACT, "serialRange", code, candidate)
    raise Conflict("the registry's serial list is too long to place a batch; contact the operator")


def pending_ranges(session: Session, chain_id: int, registry: str, code: str,
                   exclude: int | None = None) -> list[tuple[int, int, str]]:
    """Ranges of issuances the service queued whose jobs are not final: [(start, end, job id)]."""
    rows = session.execute(
        select(CreditIssuance.id, CreditIssuance.serial_start, CreditIssuance.serial_end, Job.id)
        .join(Job, Job.id == CreditIssuance.job_id)
        .where(CreditIssuance.chain_id == chain_id, CreditIssuance.registry_address == registry,
               CreditIssuance.registry_code == code, Job.status.in_([s.value for s in UNFINISHED_STATUSES]))
    ).all()
    return [(int(s), int(e), job_id) for row_id, s, e, job_id in rows if row_id != exclude]


def place(chain: ChainContext, engine: Engine, session: Session, registry: str, code: str, start: int, end: int,
          exclude: int | None = None) -> Placement:
    """Find the hints for range [start, end] under `code`.

    409 SerialRangeOverlaps against a queued batch; 409 issuance-in-progress when a queued batch would directly
    follow the new range: that batch's hint expects nothing in between, and the sender may mine either first.
    """
    code_bytes = bytes.fromhex(code[2:])
    candidate = indexed_predecessor(engine, chain.chain_id, registry, code, start)
    chain_hint, chain_next = chain_predecessor(chain, registry, code_bytes, start, candidate)
    hint, successor, blocking = chain_hint, chain_next, None
    for p_start, p_end, job_id in pending_ranges(session, chain.chain_id, registry, code, exclude):
        if p_start <= end and p_end >= start:
            raise Conflict(
                f"serials {start}-{end} overlap serials {p_start}-{p_end} of a batch being issued (job {job_id})",
                type_="/problems/contract/SerialRangeOverlaps", title="SerialRangeOverlaps",
                extra={"contract_error": "SerialRangeOverlaps"},
            )
        if p_start < start:
            hint = max(hint, p_start)
        elif successor == 0 or p_start < successor:
            successor, blocking = p_start, (p_start, p_end, job_id)
    if blocking is not None:
        raise Conflict(
            f"serials {blocking[0]}-{blocking[1]} of a batch being issued (job {blocking[2]}) would directly follow "
            "this range; retry when that job is final, or issue batches of one registry code in ascending order",
            type_="/problems/issuance-in-progress", title="Issuance in progress", headers={"Retry-After": "2"},
        )
    return Placement(chain_hint, hint, successor)


def range_effect_expect(end: int, successor: int) -> str:
    """What `serialRange(code, start)` returns once the range is stored (while nothing is inserted after it)."""
    return "0x" + abi_encode(["uint128", "uint128"], [end, successor]).hex()
