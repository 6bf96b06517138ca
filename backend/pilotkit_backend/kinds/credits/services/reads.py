"""Eco-credit reads: projects and batches from contract views, retirements and holders from the event index,
per-vintage summary from both, and the public retirement record.

Views are exact at the chain head; the index may trail it by a few blocks (lists say which block they reflect).
Readable beneficiary names come from `credit_beneficiaries` and only for retirements the service made from
custody; an erased name reads as `null` with `erased: true`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, or_, select
from sqlalchemy.orm import Session

from pilotkit.contracts.reverts import ContractRevert
from pilotkit_backend.core.problems import BadRequest, NotFound
from pilotkit_backend.kinds.credits.models import CreditBeneficiary
from pilotkit_backend.kinds.credits.services.issuance import CONTRACT, custody_address
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.indexer.queries import EventQuery, InvalidCursor, StoredEvent
from pilotkit_backend.platform.models.index import IndexedEvent
from pilotkit_backend.platform.models.jobs import Job, JobStatus
from pilotkit_backend.platform.runtime import INDEXER_NAME

EVENTS: Table = IndexedEvent.__table__  # type: ignore[assignment]


def text_or_hex(value: str) -> str:
    """A bytes32/bytes2 short string as text when it is printable ASCII (zero-padded), else its 0x-hex."""
    raw = bytes.fromhex(value[2:]).rstrip(b"\0")
    if raw and all(0x20 <= b <= 0x7E for b in raw):
        return raw.decode("ascii")
    return value


def iso(seconds: int) -> datetime:
    return datetime.fromtimestamp(int(seconds), UTC)


def events(engine: Engine, chain: ChainContext) -> EventQuery:
    return EventQuery(engine, chain_id=chain.chain_id, indexer=INDEXER_NAME)


def _view(chain: ChainContext, registry: str, function: str, *args: Any, missing: str) -> Any:
    try:
        return chain.call(registry, CONTRACT, function, *args)
    except ContractRevert as exc:
        if exc.error_name in ("ProjectNotFound", "BatchNotFound", "RetirementNotFound"):
            raise NotFound(f"no such {missing}") from None
        raise


# ---------------------------------------------------------------------------------------------------- projects

def project(chain: ChainContext, registry: str, project_id: int) -> dict[str, Any]:
    raw = _view(chain, registry, "project", project_id, missing="project")
    return {"project_id": project_id, "registry_code": text_or_hex(raw["registry"]),
            "external_id": text_or_hex(raw["externalId"]), "methodology": text_or_hex(raw["methodology"]),
            "country": text_or_hex(raw["country"]), "metadata_uri": raw["metadataURI"],
            "metadata_hash": raw["metadataHash"]}


def id_page(count: int, after: int, limit: int) -> tuple[list[int], int | None]:
    """Ids after `after` (ids run 1..count), and the next cursor (None on the last page)."""
    ids = list(range(after + 1, min(count, after + limit) + 1))
    return ids, (ids[-1] if ids and ids[-1] < count else None)


def projects(chain: ChainContext, registry: str, after: int, limit: int) -> tuple[list[dict[str, Any]], int | None]:
    count = int(chain.call(registry, CONTRACT, "projectCount"))
    ids, cursor = id_page(count, after, limit)
    return [project(chain, registry, i) for i in ids], cursor


# ----------------------------------------------------------------------------------------------------- batches

def batch(chain: ChainContext, registry: str, batch_id: int, custody: str | None = None) -> dict[str, Any]:
    raw = _view(chain, registry, "batch", batch_id, missing="batch")
    custody = custody or custody_address(chain)
    issued, retired = int(raw["issued"]), int(raw["retired"])
    return {"batch_id": batch_id, "project_id": int(raw["projectId"]), "vintage_start": iso(raw["vintageStart"]),
            "vintage_end": iso(raw["vintageEnd"]), "issued_at": iso(raw["issuedAt"]),
            "serial_start": int(raw["serialStart"]), "serial_end": int(raw["serialEnd"]), "issued": issued,
            "retired": retired, "circulating": issued - retired, "frozen": bool(raw["frozen"]),
            "freeze_reason": int(raw["freezeReason"]), "verifier": raw["verifier"],
            "evidence_hash": raw["evidenceHash"],
            "in_custody": int(chain.call(registry, CONTRACT, "balanceOf", custody, batch_id))}


def batches(chain: ChainContext, registry: str, after: int, limit: int) -> tuple[list[dict[str, Any]], int | None]:
    count = int(chain.call(registry, CONTRACT, "batchCount"))
    ids, cursor = id_page(count, after, limit)
    custody = custody_address(chain)
    return [batch(chain, registry, i, custody) for i in ids], cursor


def holders(engine: Engine, chain: ChainContext, registry: str, batch_id: int) -> dict[str, int]:
    """Balances of one batch per holder, from indexed ERC-1155 transfers (mints, transfers, burns)."""
    balances: dict[str, int] = {}
    query = events(engine, chain)
    moves: list[tuple[str, str, int]] = []
    for event in query.iterate(registry, "TransferSingle"):
        if int(event.args["id"]) == batch_id:
            moves.append((str(event.args["from"]), str(event.args["to"]), int(event.args["value"])))
    for event in query.iterate(registry, "TransferBatch"):
        for token, value in zip(event.args["ids"], event.args["values"], strict=True):
            if int(token) == batch_id:
                moves.append((str(event.args["from"]), str(event.args["to"]), int(value)))
    zero = "0x" + "00" * 20
    for source, target, value in moves:
        if source.lower() != zero:
            balances[source] = balances.get(source, 0) - value
        if target.lower() != zero:
            balances[target] = balances.get(target, 0) + value
    return {holder: amount for holder, amount in sorted(balances.items()) if amount}


# ------------------------------------------------------------------------------------------------- retirements

@dataclass(frozen=True)
class NameInfo:
    display_name: str | None
    erased: bool


def _kept_rows(session: Session, chain: ChainContext, registry: str,
               retirements: Iterable[tuple[str, str, str | None]]) -> dict[str, CreditBeneficiary]:
    """The kept-name rows for (beneficiary hash, retiree, tx hash or None) triples, keyed by lower-case hash.

    Only custody retirements the service queued count, and, when the retirement's transaction is known, only
    the one whose job sent that transaction (nobody can borrow a name by copying a hash on chain).
    """
    custody = custody_address(chain).lower()
    wanted = {h.lower(): tx for h, retiree, tx in retirements if retiree.lower() == custody and int(h, 16)}
    if not wanted:
        return {}
    rows = session.execute(
        select(CreditBeneficiary, Job.tx_hash, Job.status).join(Job, Job.id == CreditBeneficiary.job_id)
        .where(CreditBeneficiary.chain_id == chain.chain_id, CreditBeneficiary.registry_address == registry,
               CreditBeneficiary.beneficiary_hash.in_(list(wanted)))
    ).all()
    found: dict[str, CreditBeneficiary] = {}
    for row, tx_hash, status in rows:
        tx = wanted.get(row.beneficiary_hash.lower())
        if status != JobStatus.CONFIRMED.value or (tx is not None and (tx_hash or "").lower() != tx.lower()):
            continue
        found[row.beneficiary_hash.lower()] = row
    return found


def names_for(session: Session, chain: ChainContext, registry: str,
              retirements: Iterable[tuple[str, str, str | None]]) -> dict[str, NameInfo]:
    """Readable names keyed by lower-case beneficiary hash (see `_kept_rows` for which retirements count)."""
    return {h: NameInfo(row.display_name, row.erased_at is not None)
            for h, row in _kept_rows(session, chain, registry, retirements).items()}


def kept_name_row(session: Session, engine: Engine, chain: ChainContext, registry: str,
                  retirement_id: int) -> CreditBeneficiary:
    """The kept-name row of one retirement (404 for an unknown retirement or one without a kept name)."""
    record = _view(chain, registry, "retirement", retirement_id, missing="retirement")
    event = retirement_event(engine, chain, registry, retirement_id)
    rows = _kept_rows(session, chain, registry,
                      [(str(record["beneficiary"]), str(record["retiree"]), event.tx_hash if event else None)])
    row = rows.get(str(record["beneficiary"]).lower())
    if row is None:
        raise NotFound("the service keeps no beneficiary name for this retirement")
    return row


def retirement_public(event_args: dict[str, Any], name: NameInfo | None) -> dict[str, Any]:
    beneficiary = str(event_args["beneficiary"])
    return {"beneficiary_hash": beneficiary if int(beneficiary, 16) else None,
            "beneficiary_name": name.display_name if name else None,
            "beneficiary_erased": bool(name and name.erased)}


def retirements(session: Session, engine: Engine, chain: ChainContext, registry: str, cursor: str | None,
                limit: int, descending: bool) -> tuple[list[dict[str, Any]], str | None]:
    """A page of indexed retirements (chain order, or newest first), with readable names where kept."""
    query = events(engine, chain)
    try:
        page = query.page(registry, "CreditsRetired", after=cursor, limit=limit, descending=descending)
    except InvalidCursor:
        raise BadRequest("cursor is not one this API returned") from None
    items = page.items
    names = names_for(session, chain, registry,
                      [(str(e.args["beneficiary"]), str(e.args["retiree"]), e.tx_hash) for e in items])
    out = []
    for event in items:
        args = event.args
        out.append({"retirement_id": int(args["retirementId"]), "batch_id": int(args["batchId"]),
                    "amount": int(args["amount"]), "retiree": args["retiree"], "reason": args["reason"],
                    **retirement_public(args, names.get(str(args["beneficiary"]).lower())),
                    "tx_hash": event.tx_hash, "block_number": event.block_number,
                    "retired_at": iso(event.block_timestamp)})
    return out, page.next_cursor


def retirement_event(engine: Engine, chain: ChainContext, registry: str, retirement_id: int) -> StoredEvent | None:
    """The indexed CreditsRetired event of one retirement (None while not indexed).

    Event args are stored as canonical JSON (sorted keys; `retirementId` sorts last; integers as numbers or
    strings), so the id is matched at the end of the text, then checked after decoding.
    """
    from eth_utils import to_checksum_address

    number = int(retirement_id)
    statement = select(EVENTS).where(
        EVENTS.c.chain_id == chain.chain_id, EVENTS.c.indexer == INDEXER_NAME,
        EVENTS.c.contract == to_checksum_address(registry), EVENTS.c.name == "CreditsRetired",
        or_(EVENTS.c.args.like(f'%"retirementId":"{number}"}}'), EVENTS.c.args.like(f'%"retirementId":{number}}}')),
    ).order_by(EVENTS.c.block_number, EVENTS.c.log_index)
    from pilotkit_backend.platform.indexer.queries import _stored

    with engine.connect() as conn:
        for row in conn.execute(statement):
            event = _stored(row)
            if int(event.args.get("retirementId", -1)) == retirement_id:
                return event
    return None


def public_retirement(session: Session, engine: Engine, chain: ChainContext, registry: str,
                      retirement_id: int) -> dict[str, Any]:
    """The public record of one retirement: chain record + batch + project + readable name + transaction."""
    record = _view(chain, registry, "retirement", retirement_id, missing="retirement")
    batch_id = int(record["batchId"])
    raw_batch = _view(chain, registry, "batch", batch_id, missing="batch")
    the_project = project(chain, registry, int(raw_batch["projectId"]))
    event = retirement_event(engine, chain, registry, retirement_id)
    names = names_for(session, chain, registry,
                      [(str(record["beneficiary"]), str(record["retiree"]), event.tx_hash if event else None)])
    return {
        "retirement_id": retirement_id, "registry": registry, "batch_id": batch_id,
        "project": {k: the_project[k] for k in ("project_id", "registry_code", "external_id", "methodology",
                                                 "country", "metadata_uri")},
        "vintage_start": iso(raw_batch["vintageStart"]), "vintage_end": iso(raw_batch["vintageEnd"]),
        "amount": int(record["amount"]), "retiree": record["retiree"], "reason": record["reason"],
        **retirement_public(record, names.get(str(record["beneficiary"]).lower())),
        "retired_at": iso(record["retiredAt"]),
        "tx_hash": event.tx_hash if event else None, "block_number": event.block_number if event else None,
    }


# ----------------------------------------------------------------------------------------------------- summary

def summary(engine: Engine, chain: ChainContext, registry: str) -> dict[str, Any]:
    """Issued / retired / circulating / frozen credits per vintage year (UTC year of the vintage start).

    Which batches exist and their vintages come from the index (`BatchIssued`), batches it has not seen yet
    from `batch(id)`; the amounts are the contract's own counters (`issued`, `retired`, `isFrozen`), so the
    totals are exact at the chain head.
    """
    count = int(chain.call(registry, CONTRACT, "batchCount"))
    vintages: dict[int, int] = {}
    for event in events(engine, chain).iterate(registry, "BatchIssued"):
        vintages[int(event.args["batchId"])] = int(event.args["vintageStart"])
    indexed = sum(1 for b in vintages if b <= count)
    rows: dict[int, dict[str, int]] = {}
    for batch_id in range(1, count + 1):
        start = vintages.get(batch_id)
        if start is None:
            start = int(chain.call(registry, CONTRACT, "batch", batch_id)["vintageStart"])
        issued = int(chain.call(registry, CONTRACT, "issued", batch_id))
        retired = int(chain.call(registry, CONTRACT, "retired", batch_id))
        frozen = bool(chain.call(registry, CONTRACT, "isFrozen", batch_id))
        row = rows.setdefault(iso(start).year, {"batches": 0, "issued": 0, "retired": 0, "circulating": 0,
                                                "frozen": 0})
        row["batches"] += 1
        row["issued"] += issued
        row["retired"] += retired
        row["circulating"] += issued - retired
        row["frozen"] += (issued - retired) if frozen else 0
    per_vintage = [{"vintage": year, **values} for year, values in sorted(rows.items())]
    totals = {k: sum(r[k] for r in per_vintage) for k in ("batches", "issued", "retired", "circulating", "frozen")}
    return {"registry": registry, "custody": custody_address(chain), "batch_count": count,
            "batches_indexed": indexed, "vintages": per_vintage, "totals": totals,
            "retirement_count": int(chain.call(registry, CONTRACT, "retirementCount"))}
