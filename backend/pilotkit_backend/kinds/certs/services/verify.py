"""Verifying a document against a certificate registry: an explicit status with issuer, dates and reason.

The on-chain `verify(issuer, docHash, proof)` decides; the service only finds the proofs (its stored batches, plus
the empty proof of a single certificate, which also finds singles issued outside the service) and the issuers to
ask (records are per issuer: review finding 1). The issuers asked are the service's own, those of its stored
issuances and the accredited issuers the event index knows (`IssuerAccredited`), at most `MAX_ISSUERS`. Every
issuer that anchored the document answers in `by_issuer`, so a relying party sees which issuer each status comes
from when two issuers anchored the same document. The verdict itself is the answer of the issuer named by
`issuer`, else the most recent issuance known on chain (or the one named by `root`). Every view
is read at one block, so the answer is consistent. The date of the deciding status change comes from the event
index (null until the indexer has seen it). The subject's keyed hash is not part of a public answer.
"""

from __future__ import annotations

import json
from contextlib import suppress
from datetime import UTC, datetime
from typing import Any, Literal

from eth_utils import is_address, to_checksum_address
from pydantic import BaseModel, Field
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from pilotkit_backend.core.problems import Unprocessable
from pilotkit_backend.kinds.certs.services import records as certs
from pilotkit_backend.kinds.certs.services.records import Status
from pilotkit_backend.platform.chain_context import ChainContext, ChainUnavailable
from pilotkit_backend.platform.models.index import IndexedEvent
from pilotkit_backend.platform.runtime import INDEXER_NAME

StatusName = Literal["valid", "expired", "suspended", "revoked", "superseded", "unknown"]
MAX_ISSUERS = 16

#: RFC 5280 CRLReason names, the suggested reason-code table (a pilot may define its own).
REASON_NAMES: dict[int, str] = {
    0: "unspecified", 1: "keyCompromise", 2: "cACompromise", 3: "affiliationChanged", 4: "superseded",
    5: "cessationOfOperation", 6: "certificateHold", 8: "removeFromCRL", 9: "privilegeWithdrawn", 10: "aACompromise",
}
_LABELS: dict[int, str] = {
    0: "unspecified", 1: "key compromise", 2: "CA compromise", 3: "affiliation changed", 4: "superseded",
    5: "cessation of operation", 6: "certificate hold", 8: "remove from CRL", 9: "privilege withdrawn",
    10: "AA compromise",
}
_EVENTS = {
    Status.revoked: ("DocumentRevoked", "BatchRevoked"),
    Status.suspended: ("DocumentSuspended", "BatchSuspended"),
    Status.superseded: ("DocumentSuperseded", "BatchSuperseded"),
}


class ReasonPublic(BaseModel):
    code: int
    name: str = Field(description="RFC 5280 reason name for codes 0-10, else 'pilot-defined'")
    label: str = Field(description="the same in words, for display")


class IssuerPublic(BaseModel):
    address: str
    name: str = Field(description="the display name or DID the registry's admin accredited it with")
    accredited: bool = Field(description="whether it may still issue (its past records stay valid either way)")


class IssuerAnswer(BaseModel):
    """One issuer's own answer on the document (records are per issuer)."""

    issuer: IssuerPublic
    status: StatusName
    root: str = Field(description="that issuer's record key the document resolved to")
    in_batch: bool
    issued_at: datetime | None


class Verdict(BaseModel):
    """What a registry says about one document."""

    doc_hash: str
    status: StatusName
    valid: bool
    reason: ReasonPublic | None = Field(None, description="for revoked and suspended")
    replacement: str | None = Field(None, description="the replacing document's hash, for superseded")
    issuer: IssuerPublic | None
    issued_at: datetime | None
    expires_at: datetime | None = Field(description="null: never expires")
    status_changed_at: datetime | None = Field(None, description="when the deciding revoke/suspend/supersede "
                                               "happened (from the event index)")
    revoked_at: datetime | None = None
    root: str | None = Field(description="record key: leafOf(doc_hash) for a single certificate, else the batch root")
    in_batch: bool
    proof: list[str] = Field(description="Merkle proof used (empty for a single certificate)")
    registry: str
    chain_id: int
    block_number: int = Field(description="the block the answer was read at")
    by_issuer: list[IssuerAnswer] = Field(default_factory=list, description="every issuer that anchored this "
                                          "document, with its own status: the verdict above is one of them")


def reason_public(code: int) -> ReasonPublic:
    name = REASON_NAMES.get(code, "pilot-defined")
    return ReasonPublic(code=code, name=name, label=f"{_LABELS.get(code, 'pilot-defined reason')} (code {code})")


def _time(seconds: int) -> datetime | None:
    return datetime.fromtimestamp(int(seconds), UTC) if int(seconds) else None


def issuer_of(value: str | None) -> str | None:
    """A checksummed issuer address from a query parameter (422 if it is not an address)."""
    if value is None:
        return None
    if not is_address(value.strip()):
        raise Unprocessable("issuer must be an address (0x followed by 40 hex digits)")
    return to_checksum_address(value.strip())


def candidate_issuers(session: Session, chain: ChainContext, registry: str, doc_hash: str) -> list[str]:
    """Issuers to ask: the service's own, those of its stored issuances of the document, then the accredited
    issuers in the event index (newest first), at most MAX_ISSUERS."""
    found: list[str] = []

    def add(address: str) -> None:
        if is_address(address) and (checksummed := to_checksum_address(address)) not in found:
            found.append(checksummed)

    with suppress(ChainUnavailable):  # a service without an issuer signer still verifies others' records
        add(certs.service_issuer(chain))
    for record in certs.records_with(session, chain, registry, doc_hash):
        add(record.issuer)
    rows = session.execute(select(IndexedEvent.args).where(
        IndexedEvent.indexer == INDEXER_NAME, IndexedEvent.chain_id == chain.chain_id,
        IndexedEvent.contract == registry, IndexedEvent.name == "IssuerAccredited")
        .order_by(IndexedEvent.block_number.desc(), IndexedEvent.log_index.desc()).limit(4 * MAX_ISSUERS)).scalars()
    for args in rows:
        add(str(json.loads(args).get("issuer", "")))
    return found[:MAX_ISSUERS]


def candidates(session: Session, chain: ChainContext, registry: str, doc_hash: str,
               root: str | None) -> list[tuple[str, list[str]]]:
    """(root, proof) pairs to try: stored issuances holding the document, and the single-certificate key."""
    single = certs.leaf_hex(doc_hash)
    found: list[tuple[str, list[str]]] = []
    if root is not None:
        record = certs.find_record(session, chain, registry, root)
        proof = certs.proof_of(session, record, doc_hash) if record is not None else None
        if proof is not None:
            found.append((root, proof))
        elif root == single:
            found.append((single, []))
        return found
    for record in certs.records_with(session, chain, registry, doc_hash):
        proof = certs.proof_of(session, record, doc_hash)
        if proof is not None and record.root != single:
            found.append((record.root, proof))
    found.append((single, []))
    return found


def verify_document(session: Session, chain: ChainContext, registry: str, doc_hash: str,
                    root: str | None = None, issuer: str | None = None) -> Verdict:
    """The verdict on `doc_hash` (see the module docstring); `issuer` picks whose answer decides."""
    block = chain.block_number()
    issuers = candidate_issuers(session, chain, registry, doc_hash)
    if issuer is not None and issuer not in issuers:
        issuers.append(issuer)
    answers: dict[tuple[str, str], tuple[dict[str, Any], list[str]]] = {}
    for _, proof in candidates(session, chain, registry, doc_hash, root):
        for who in issuers:
            result = certs.view(chain, registry, "verify", who, doc_hash, proof, block=block)
            if Status(int(result["status"])) is not Status.unknown:
                answers.setdefault((who, str(result["root"])), (result, proof))
    publics = {who: _issuer_public(chain, registry, who, block) for who in {w for w, _ in answers}}
    by_issuer = [IssuerAnswer(issuer=publics[who], status=Status(int(r["status"])).name,  # type: ignore[arg-type]
                              root=key, in_batch=bool(p), issued_at=_time(r["issuedAt"]))
                 for (who, key), (r, p) in answers.items()]
    best: tuple[dict[str, Any], list[str]] | None = None
    for (who, _), (result, proof) in answers.items():
        if issuer is not None and who != issuer:
            continue
        if best is None or int(result["issuedAt"]) > int(best[0]["issuedAt"]):
            best = (result, proof)
    base = {"doc_hash": doc_hash, "registry": registry, "chain_id": chain.chain_id, "block_number": block,
            "by_issuer": by_issuer}
    if best is None:
        return Verdict(status="unknown", valid=False, issuer=None, issued_at=None, expires_at=None, root=None,
                       in_batch=False, proof=[], **base)
    result, proof = best
    status = Status(int(result["status"]))
    deciding = publics[str(result["issuer"])]
    replacement = str(result["replacement"])
    changed = status_changed_at(session, chain, registry, str(result["root"]), doc_hash, status, bool(proof),
                                issuer=deciding.address)
    return Verdict(
        status=status.name,  # type: ignore[arg-type]
        valid=status is Status.valid,
        reason=reason_public(int(result["reasonCode"])) if status in (Status.revoked, Status.suspended) else None,
        replacement=replacement if status in (Status.superseded, Status.revoked) and replacement != certs.ZERO32
        else None,
        issuer=deciding,
        issued_at=_time(result["issuedAt"]), expires_at=_time(result["expiresAt"]),
        status_changed_at=changed, revoked_at=changed if status is Status.revoked else None,
        root=str(result["root"]), in_batch=bool(proof), proof=proof, **base,
    )


def _issuer_public(chain: ChainContext, registry: str, issuer: str, block: int) -> IssuerPublic:
    name = certs.view(chain, registry, "issuerName", issuer, block=block)
    accredited = bool(certs.view(chain, registry, "isAccredited", issuer, block=block))
    return IssuerPublic(address=issuer, name=str(name), accredited=accredited)


def status_changed_at(session: Session, chain: ChainContext, registry: str, root: str, doc_hash: str,
                      status: Status, in_batch: bool, issuer: str | None = None) -> datetime | None:
    """When the document got its current revoked/suspended/superseded status, from the indexed events (of
    `issuer`'s record, when given: another issuer's record with the same root has its own events)."""
    names = _EVENTS.get(status)
    if names is None:
        return None
    document_event, record_event = names
    root_like = f'%"root":"{root}"%'
    match = and_(IndexedEvent.name == record_event, IndexedEvent.args.like(root_like))
    document = and_(IndexedEvent.name == document_event, IndexedEvent.args.like(root_like))
    if issuer is not None:
        match = and_(match, IndexedEvent.args.like(f'%"issuer":"{issuer}"%'))
        document = and_(document, IndexedEvent.args.like(f'%"issuer":"{issuer}"%'))
    if in_batch:
        document = and_(document, IndexedEvent.args.like(f'%"docHash":"{doc_hash}"%'))
    order = (IndexedEvent.block_number.desc(), IndexedEvent.log_index.desc()) if status is Status.suspended else \
        (IndexedEvent.block_number, IndexedEvent.log_index)  # suspended: since the latest; else since the first
    query = (select(IndexedEvent.block_timestamp)
             .where(IndexedEvent.indexer == INDEXER_NAME, IndexedEvent.chain_id == chain.chain_id,
                    IndexedEvent.contract == registry, or_(match, document))
             .order_by(*order).limit(1))
    found = session.execute(query).scalar_one_or_none()
    return _time(found) if found else None
