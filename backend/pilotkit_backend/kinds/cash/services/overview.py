"""A programme at a glance, from the event index (history, totals, statuses) and a few views (money held).

Paid amounts come from the index: `Paid` events (claims, and push batches in voucher mode) plus, in direct
mode, `BatchPaid` totals (push batches emit no per-payment `Paid` there). Money still held for rounds is
`totalFunded - paid - totalSwept` (the contract's money invariant). Amounts are decimal strings.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any, cast

from eth_utils import to_checksum_address
from sqlalchemy import Engine, Table, select

from pilotkit_backend.kinds.cash.services.rounds_chain import PROGRAMME, token_metadata
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.indexer.queries import EventQuery
from pilotkit_backend.platform.models.index import IndexedEvent
from pilotkit_backend.platform.runtime import INDEXER_NAME

BUCKETS = {"hour": 3600, "day": 86400}
_EVENTS = cast(Table, IndexedEvent.__table__)
_STATUS = {"BeneficiaryEnrolled": "active", "BeneficiarySuspended": "suspended",
           "BeneficiaryReinstated": "active", "BeneficiaryRemoved": "removed"}


def _events(engine: Engine, chain: ChainContext, programme: str, names: list[str]) -> Any:
    statement = (select(_EVENTS.c.name, _EVENTS.c.block_timestamp, _EVENTS.c.args)
                 .where(_EVENTS.c.chain_id == chain.chain_id, _EVENTS.c.indexer == INDEXER_NAME,
                        _EVENTS.c.contract == to_checksum_address(programme),
                        _EVENTS.c.name.in_(names))
                 .order_by(_EVENTS.c.block_number, _EVENTS.c.log_index))
    with engine.connect() as conn:
        for name, timestamp, text in conn.execution_options(yield_per=5000).execute(statement):
            yield name, int(timestamp), json.loads(text)


def paid_from_index(engine: Engine, chain: ChainContext, programme: str, voucher_mode: bool) -> int:
    query = EventQuery(engine, chain_id=chain.chain_id, indexer=INDEXER_NAME)
    paid = int(query.total(programme, "Paid", "amount"))
    if not voucher_mode:
        paid += int(query.total(programme, "BatchPaid", "total"))
    return paid


def beneficiaries_by_status(engine: Engine, chain: ChainContext, programme: str) -> tuple[dict[str, int], int]:
    """({active, suspended, removed}, enrolled) from the index. Enrolments are counted in SQL; only the (rare)
    status changes are replayed, so this stays fast with 100,000 beneficiaries."""
    enrolled = EventQuery(engine, chain_id=chain.chain_id, indexer=INDEXER_NAME).count(programme,
                                                                                       "BeneficiaryEnrolled")
    changed: dict[int, str] = {}
    for name, _, args in _events(engine, chain, programme, [n for n in _STATUS if n != "BeneficiaryEnrolled"]):
        changed[int(args["index"])] = _STATUS[name]
    suspended = sum(1 for status in changed.values() if status == "suspended")
    removed = sum(1 for status in changed.values() if status == "removed")
    return {"active": enrolled - suspended - removed, "suspended": suspended, "removed": removed}, enrolled


def overview(engine: Engine, chain: ChainContext, programme: str) -> dict[str, Any]:
    """Token, mode, money (funded, paid, held for open rounds, swept), beneficiaries and rounds by status."""
    voucher = bool(chain.call(programme, PROGRAMME, "voucherMode"))
    funded = int(chain.call(programme, PROGRAMME, "totalFunded"))
    swept = int(chain.call(programme, PROGRAMME, "totalSwept"))
    paid = paid_from_index(engine, chain, programme, voucher)
    by_status, enrolled = beneficiaries_by_status(engine, chain, programme)
    counts = EventQuery(engine, chain_id=chain.chain_id, indexer=INDEXER_NAME).counts_by_name(programme)
    proposed, approved = counts.get("RoundProposed", 0), counts.get("RoundApproved", 0)
    cancelled, closed = counts.get("RoundCancelled", 0), counts.get("RoundSwept", 0)
    rounds = {"proposed": proposed - approved - cancelled, "approved": approved - closed, "cancelled": cancelled,
              "closed": closed}
    return {
        "address": to_checksum_address(programme),
        "token": token_metadata(chain, str(chain.call(programme, PROGRAMME, "token"))),
        "voucher_mode": voucher,
        "period_length": int(chain.call(programme, PROGRAMME, "periodLength")),
        "period_cap": str(chain.call(programme, PROGRAMME, "periodCap")),
        "paused": bool(chain.call(programme, PROGRAMME, "paused")),
        "funded": str(funded),
        "paid": str(paid),
        "unclaimed": str(max(funded - paid - swept, 0)),
        "swept": str(swept),
        "redeemed": str(chain.call(programme, PROGRAMME, "totalRedeemed")) if voucher else None,
        "beneficiaries": enrolled,
        "beneficiaries_by_status": by_status,
        "rounds": {"total": sum(rounds.values()), "by_status": rounds},
        "beneficiaries_on_chain": int(chain.call(programme, PROGRAMME, "beneficiaryCount")),
    }


def disbursements(engine: Engine, chain: ChainContext, programme: str, bucket: str,
                  since: int | None = None, until: int | None = None) -> list[dict[str, Any]]:
    """Amount paid and number of payments per hour or day (UTC), oldest first; empty buckets left out."""
    size = BUCKETS[bucket]
    voucher = bool(chain.call(programme, PROGRAMME, "voucherMode"))
    names = ["Paid"] if voucher else ["Paid", "BatchPaid"]
    series: dict[int, list[int]] = {}
    for name, timestamp, args in _events(engine, chain, programme, names):
        if (since is not None and timestamp < since) or (until is not None and timestamp >= until):
            continue
        start = timestamp - timestamp % size
        point = series.setdefault(start, [0, 0])
        if name == "Paid":
            point[0] += int(args["amount"])
            point[1] += 1
        else:
            point[0] += int(args["total"])
            point[1] += int(args["paidCount"])
    return [{"start": datetime.fromtimestamp(start, UTC), "amount": str(amount), "payments": count}
            for start, (amount, count) in sorted(series.items())]
