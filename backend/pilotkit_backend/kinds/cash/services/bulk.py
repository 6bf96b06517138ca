"""Bulk enrolment from a CSV file (`identifier,wallet`): validate every row, report each bad one with its line and
reason, and turn all good rows into `enrolBatch` jobs of at most MAX_ENROL_BATCH rows — in the request's own
transaction, so either every good row has a job and a record, or nothing was written.

Rows are refused for: a wrong field count, a bad identifier, a bad wallet, an identifier or wallet repeated in
the file (the later row is refused), a person already enrolled (records, and the index's BeneficiaryEnrolled
events for enrolments made outside the API; ids are never reusable on chain), a wallet bound to a beneficiary
(records, and the index's enrolment, recovery and removal events). Lines count from 1 (the header).
"""

from __future__ import annotations

import codecs
import csv
import io
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, cast

from eth_utils import to_checksum_address
from sqlalchemy import Table, delete, insert, select
from sqlalchemy.orm import Session

from pilotkit_backend.core.config import Settings
from pilotkit_backend.core.problems import Unprocessable
from pilotkit_backend.db.types import utcnow
from pilotkit_backend.kinds.cash.models.beneficiaries import BeneficiaryRecord, BeneficiaryState
from pilotkit_backend.kinds.cash.services.beneficiaries import (
    CONTRACT,
    LIVE,
    InvalidWallet,
    enrol_batch_calldata,
    parse_wallet,
)
from pilotkit_backend.kinds.cash.services.identity import InvalidIdentifier, ProgrammeIdentity, canonical_identifier
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.job_queue import NONZERO, make_effect_check
from pilotkit_backend.platform.models.index import IndexedEvent
from pilotkit_backend.platform.models.jobs import Job
from pilotkit_backend.platform.models.registry import RegisteredContract
from pilotkit_backend.platform.runtime import INDEXER_NAME
from pilotkit_backend.platform.writes import Call, submit_many

MAX_ROWS = 100_000
HEADER = ("identifier", "wallet")
EVENTS = cast(Table, IndexedEvent.__table__)
RECORDS = cast(Table, BeneficiaryRecord.__table__)


@dataclass
class BulkResult:
    rows: int = 0
    rejected: list[dict[str, Any]] = field(default_factory=list)
    jobs: list[Job] = field(default_factory=list)
    accepted: int = 0


def _lines(data: bytes) -> Iterator[str]:
    try:
        text = codecs.decode(data, "utf-8-sig")
    except UnicodeDecodeError:
        raise Unprocessable("file is not UTF-8 text") from None
    return iter(io.StringIO(text, newline=""))


def parse_rows(data: bytes) -> Iterator[tuple[int, list[str]]]:
    """(line, fields) for each non-blank data row after checking the header (422 for a wrong one)."""
    reader = csv.reader(_lines(data), strict=True)
    try:
        header = next(reader, None)
        if header is None:
            raise Unprocessable("file is empty: expected the header line 'identifier,wallet'")
        if tuple(h.strip().lower() for h in header) != HEADER:
            raise Unprocessable("line 1: the header must be exactly 'identifier,wallet'")
        rows = 0
        for fields in reader:
            if not fields or fields == [""]:
                continue
            rows += 1
            if rows > MAX_ROWS:
                raise Unprocessable(f"file has more than {MAX_ROWS} rows; split it")
            yield reader.line_num, fields
    except csv.Error:
        raise Unprocessable(f"line {reader.line_num}: malformed CSV (unbalanced quotes or stray characters)") \
            from None


def _known(session: Session, chain: ChainContext, programme: str) -> tuple[dict[str, BeneficiaryRecord | None],
                                                                            set[str]]:
    """Hashes the programme knows (record or indexed enrolment) and wallets bound now (records or index)."""
    hashes: dict[str, BeneficiaryRecord | None] = {}
    wallets: set[str] = set()
    for row in session.execute(select(BeneficiaryRecord).where(
            BeneficiaryRecord.chain_id == chain.chain_id, BeneficiaryRecord.programme == programme)).scalars():
        hashes[row.beneficiary_id] = row
        if row.wallet and row.status in LIVE:
            wallets.add(row.wallet)
    bound: dict[int, str] = {}
    query = select(EVENTS.c.name, EVENTS.c.args).where(
        EVENTS.c.indexer == INDEXER_NAME, EVENTS.c.chain_id == chain.chain_id, EVENTS.c.contract == programme,
        EVENTS.c.name.in_(("BeneficiaryEnrolled", "WalletRecovered", "BeneficiaryRemoved")),
    ).order_by(EVENTS.c.block_number, EVENTS.c.log_index)
    for name, text in session.execute(query):
        args = json.loads(text)
        index = int(args["index"])
        if name == "BeneficiaryEnrolled":
            hashes.setdefault(str(args["id"]).lower(), None)
            bound[index] = to_checksum_address(args["wallet"])
        elif name == "WalletRecovered":
            bound[index] = to_checksum_address(args["newWallet"])
        else:
            bound.pop(index, None)
    wallets.update(bound.values())
    return hashes, wallets


def enrol_csv(session: Session, chain: ChainContext, settings: Settings, programme: RegisteredContract,
              identity: ProgrammeIdentity, data: bytes, *, key_id: int, ref: str) -> BulkResult:
    """Validate the file and queue its good rows (module docstring). Nothing is committed here."""
    address = programme.address
    result = BulkResult()
    known, bound = _known(session, chain, address)
    seen_ids: dict[str, int] = {}
    seen_wallets: dict[str, int] = {}
    good: list[tuple[bytes, str]] = []
    replace: list[int] = []
    reject = result.rejected.append
    for line, fields in parse_rows(data):
        result.rows += 1
        if len(fields) != 2:
            reject({"line": line, "reason": f"expected 2 fields (identifier,wallet), found {len(fields)}"})
            continue
        try:
            canonical = canonical_identifier(fields[0])
        except InvalidIdentifier as exc:
            reject({"line": line, "reason": str(exc)})
            continue
        try:
            wallet = parse_wallet(fields[1], address)
        except InvalidWallet as exc:
            reject({"line": line, "reason": f"wallet {exc}"})
            continue
        bid = identity.hash_canonical(canonical)
        bid_hex = "0x" + bid.hex()
        if bid_hex in seen_ids:
            reject({"line": line, "reason": f"same identifier as line {seen_ids[bid_hex]}"})
            continue
        if wallet in seen_wallets:
            reject({"line": line, "reason": f"same wallet as line {seen_wallets[wallet]}"})
            continue
        if bid_hex in known:
            record = known[bid_hex]
            if record is None or record.erased or record.status != BeneficiaryState.failed:
                reject({"line": line, "reason": "already enrolled in this programme"})
                continue
            replace.append(record.id)  # an earlier enrolment that failed: enrol again
        if wallet in bound:
            reject({"line": line, "reason": "wallet is already bound to a beneficiary of this programme"})
            continue
        seen_ids[bid_hex] = line
        seen_wallets[wallet] = line
        good.append((bid, wallet))
    if not good:
        return result
    size = int(chain.call(address, CONTRACT, "MAX_ENROL_BATCH"))
    chunks = [good[i:i + size] for i in range(0, len(good), size)]
    index_selector = chain.encode(CONTRACT, "beneficiaryIndex", b"\x00" * 32)[:10]
    # effect check: the chunk's last id has an index (enrolBatch is all-or-nothing)
    calls = [Call("cash.enrol_batch", "registrar", address,
                  enrol_batch_calldata(chain, [c[0] for c in chunk], [c[1] for c in chunk]),
                  make_effect_check(address, index_selector + chunk[-1][0].hex(), NONZERO)) for chunk in chunks]
    result.jobs = submit_many(session, chain, settings, calls, api_key_id=key_id, object_address=address, ref=ref)
    if replace:
        for start in range(0, len(replace), 500):
            session.execute(delete(BeneficiaryRecord).where(BeneficiaryRecord.id.in_(replace[start:start + 500])))
    now = utcnow()
    records = [
        {"chain_id": chain.chain_id, "programme": address, "beneficiary_id": "0x" + bid.hex(), "wallet": wallet,
         "status": BeneficiaryState.pending.value, "enrol_job_id": job.id, "enrol_position": position,
         "created_by_key": key_id, "created_at": now, "updated_at": now, "beneficiary_index": None,
         "pending_job_id": None, "erased_at": None}
        for job, chunk in zip(result.jobs, chunks, strict=True) for position, (bid, wallet) in enumerate(chunk)
    ]
    for start in range(0, len(records), 5000):
        session.execute(insert(RECORDS), records[start:start + 5000])
    session.flush()
    result.accepted = len(good)
    return result
