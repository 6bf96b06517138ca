"""Certificates: issue one or a Merkle batch, change a document's or a whole record's status — as durable jobs.

Each write is pre-flighted as the issuer signer (a refusal is a 4xx named after the contract error) and queued
with the request's idempotency reference; the issuance is stored with its documents in the same transaction, so
proofs can be served for every batch member and the caller never has to send one. Document hashes are bytes32
values chosen by the issuer; for uploaded files the service uses SHA-256 of the file's bytes (`sha256_hex`).

Records on chain are issuer-scoped (review finding 1): every view and status change names the issuer, here the
service's issuer signer (`service_issuer`), whose records are the only ones the service changes.

Effect checks (crash recovery): a single certificate's `certificateDetails(issuer, docHash)` (subject, schema; the
schema id is never zero here), a status change's `record(issuer, root)` or `documentOverride(issuer, root,
docHash)` as they will read afterwards. A batch issuance has none: no view answers with predictable bytes (its
record holds the mining time).
"""

from __future__ import annotations

import hashlib
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import IntEnum
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from pilotkit.merkle import MerkleTree, leaf
from pilotkit_backend.core.config import Settings
from pilotkit_backend.core.problems import Conflict, NotFound, Unprocessable
from pilotkit_backend.kinds.certs.models import CertDocument, CertRecord
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.job_queue import make_effect_check
from pilotkit_backend.platform.models.jobs import Job, JobStatus
from pilotkit_backend.platform.writes import Call, submit

CONTRACT = "CertificateRegistry"
ROLE = "issuer"
ZERO32 = "0x" + "00" * 32
MAX_BATCH = 10_000
MAX_EXPIRY = 2**40 - 1
_RECORD_TYPES = ["(address,uint40,uint40,uint8,uint8)", "bytes32"]
_OVERRIDE_TYPES = ["(uint8,uint8,bytes32)"]


class Status(IntEnum):
    """ICertificateRegistry.Status."""

    unknown = 0
    valid = 1
    expired = 2
    suspended = 3
    revoked = 4
    superseded = 5


#: action → (contract function for a document, for a whole record, the override it sets)
ACTIONS: dict[str, tuple[str, str, Status]] = {
    "revoke": ("revoke", "revokeBatch", Status.revoked),
    "suspend": ("suspend", "suspendBatch", Status.suspended),
    "reinstate": ("reinstate", "reinstateBatch", Status.valid),
    "supersede": ("supersede", "supersedeBatch", Status.superseded),
}


# ------------------------------------------------------------------------------------------------ values


def hash32(value: str, what: str) -> str:
    """A 0x-prefixed 32-byte hex value, lower-cased (422 naming `what` otherwise)."""
    text = value.strip() if isinstance(value, str) else ""
    body = text[2:] if text[:2] in ("0x", "0X") else ""
    if len(body) != 64:
        raise Unprocessable(f"{what} must be 0x followed by 64 hex digits")
    try:
        bytes.fromhex(body)
    except ValueError:
        raise Unprocessable(f"{what} must be 0x followed by 64 hex digits") from None
    return "0x" + body.lower()


def nonzero_hash(value: str, what: str) -> str:
    out = hash32(value, what)
    if out == ZERO32:
        raise Unprocessable(f"{what} must not be zero")
    return out


def schema_id_of(value: str) -> str:
    """A schema id: a 0x 32-byte hex value as given, any other text (1..128 characters) hashed with keccak256."""
    text = value.strip()
    if text[:2] in ("0x", "0X") and len(text) == 66:
        return nonzero_hash(text, "schema_id")
    if not 1 <= len(text) <= 128 or not text.isprintable():
        raise Unprocessable("schema_id must be 0x + 64 hex digits, or a name of 1 to 128 printable characters")
    return "0x" + keccak(text=text).hex()


def expiry_of(value: datetime | None) -> int:
    """Unix seconds of an expiry (0 = never). The contract also refuses a past expiry (InvalidExpiry, 422)."""
    if value is None:
        return 0
    if value.tzinfo is None:
        raise Unprocessable("expires_at must carry a time zone (e.g. 2027-06-30T00:00:00Z)")
    seconds = int(value.timestamp())
    if not 0 < seconds <= MAX_EXPIRY:
        raise Unprocessable("expires_at is out of range")
    return seconds


def sha256_hex(data: bytes) -> str:
    return "0x" + hashlib.sha256(data).hexdigest()


def leaf_hex(doc_hash: str) -> str:
    return "0x" + leaf(doc_hash).hex()


def service_issuer(chain: ChainContext) -> str:
    """The issuer whose records this service issues and changes: its issuer signer."""
    return chain.signer_for(ROLE).address


# ------------------------------------------------------------------------------------------------ stored trees


class _TreeCache:
    """The last few batch trees built, by root (a 10,000-leaf tree takes tens of ms to rebuild). A root commits
    to its leaves and their order, so a cached tree is right for every database that stores that root."""

    def __init__(self, size: int = 16) -> None:
        self.size = size
        self._trees: OrderedDict[str, MerkleTree] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, session: Session, record: CertRecord) -> MerkleTree:
        with self._lock:
            tree = self._trees.get(record.root)
            if tree is not None:
                self._trees.move_to_end(record.root)
                return tree
        tree = MerkleTree.from_documents(documents(session, record.id))
        if "0x" + tree.root.hex() != record.root:  # a stored tree must match its root; never serve a wrong proof
            raise RuntimeError("stored batch does not match its root")
        with self._lock:
            self._trees[record.root] = tree
            while len(self._trees) > self.size:
                self._trees.popitem(last=False)
        return tree


TREES = _TreeCache()


def documents(session: Session, record_id: int) -> list[str]:
    rows = session.execute(select(CertDocument.doc_hash).where(CertDocument.record_id == record_id)
                           .order_by(CertDocument.position)).scalars()
    return list(rows)


def proof_of(session: Session, record: CertRecord, doc_hash: str) -> list[str] | None:
    """The document's proof in `record` (empty for a single certificate), or None if it is not in it."""
    if record.kind == "single":
        return [] if record.doc_hash == doc_hash else None
    position = session.execute(select(CertDocument.position).where(
        CertDocument.record_id == record.id, CertDocument.doc_hash == doc_hash)).scalars().first()
    if position is None:
        return None
    return TREES.get(session, record).hex_proof(position)


def find_record(session: Session, chain: ChainContext, registry: str, root: str) -> CertRecord | None:
    return session.execute(select(CertRecord).where(
        CertRecord.chain_id == chain.chain_id, CertRecord.registry_address == registry,
        CertRecord.root == root)).scalar_one_or_none()


def records_with(session: Session, chain: ChainContext, registry: str, doc_hash: str,
                 limit: int = 20) -> list[CertRecord]:
    """Stored issuances of this registry that hold `doc_hash`, newest first."""
    query = (select(CertRecord).join(CertDocument, CertDocument.record_id == CertRecord.id)
             .where(CertRecord.chain_id == chain.chain_id, CertRecord.registry_address == registry,
                    CertDocument.doc_hash == doc_hash)
             .order_by(CertRecord.id.desc()).limit(limit))
    return list(session.execute(query).scalars().unique())


@dataclass(frozen=True)
class Located:
    """Where a document sits on chain: its record key and the proof that leads there."""

    root: str
    proof: list[str]


def locate(session: Session, chain: ChainContext, registry: str, doc_hash: str, root: str | None) -> Located:
    """The issuance of `doc_hash` to act on: the one given by `root`, else the only one known (404 if none;
    422 listing the record keys when there are several). Singles issued outside the service are found on chain."""
    if root is not None:
        record = find_record(session, chain, registry, root)
        if record is not None:
            proof = proof_of(session, record, doc_hash)
            if proof is None:
                raise NotFound("this document is not in the issuance with that root")
            return Located(root, proof)
        if root == leaf_hex(doc_hash) and on_chain_issuer(chain, registry, root) is not None:  # the service's
            return Located(root, [])
        raise NotFound("no issuance with that root holds this document")
    candidates = [Located(r.root, proof) for r in records_with(session, chain, registry, doc_hash)
                  if (proof := proof_of(session, r, doc_hash)) is not None]
    single = leaf_hex(doc_hash)
    if not any(c.root == single for c in candidates) and on_chain_issuer(chain, registry, single) is not None:
        candidates.append(Located(single, []))
    if not candidates:
        raise NotFound("no certificate with this document hash in this registry")
    if len(candidates) > 1:
        roots = ", ".join(c.root for c in candidates)
        raise Unprocessable(f"this document was issued {len(candidates)} times; say which with root: one of {roots}")
    return candidates[0]


def on_chain_record(chain: ChainContext, registry: str, root: str,
                    issuer: str | None = None) -> tuple[dict[str, Any], str]:
    """`issuer`'s record `root` (default: the service's issuer)."""
    rec, replacement = view(chain, registry, "record", issuer or service_issuer(chain), root)
    return rec, replacement


def on_chain_issuer(chain: ChainContext, registry: str, root: str, issuer: str | None = None) -> str | None:
    rec, _ = on_chain_record(chain, registry, root, issuer)
    issuer = str(rec["issuer"])
    return None if int(issuer, 16) == 0 else issuer


# ------------------------------------------------------------------------------------------------ issuance


def _clear_failed(session: Session, chain: ChainContext, registry: str, root: str) -> None:
    """Drop a stored issuance whose job ended without effect (so it can be issued again); 409 while it runs."""
    existing = find_record(session, chain, registry, root)
    if existing is None:
        return
    job = session.get(Job, existing.job_id)
    if job is not None and job.status in (JobStatus.FAILED, JobStatus.EXPIRED, JobStatus.CANCELLED):
        session.execute(delete(CertDocument).where(CertDocument.record_id == existing.id))
        session.delete(existing)
        session.flush()
        return
    raise Conflict(f"this issuance is already requested (job {existing.job_id})",
                   type_="/problems/contract/AlreadyIssued", title="AlreadyIssued",
                   extra={"contract_error": "AlreadyIssued"})


@dataclass(frozen=True)
class Issued:
    job: Job
    record: CertRecord


def issue_single(session: Session, chain: ChainContext, settings: Settings, registry: str, *, doc_hash: str,
                 subject: str, expires_at: int, schema_id: str, api_key_id: int | None, ref: str) -> Issued:
    """Queue `issue(docHash, subject, expiresAt, schemaId)` and store the issuance (flushed, not committed)."""
    root = leaf_hex(doc_hash)
    data = encode(chain, "issue", doc_hash, subject, expires_at, schema_id)
    chain.preflight(ROLE, registry, data)  # AlreadyIssued, InvalidExpiry, ZeroHash, paused, ... before storing
    _clear_failed(session, chain, registry, root)
    check = make_effect_check(registry, encode(chain, "certificateDetails", service_issuer(chain), doc_hash),
                              "0x" + abi_encode(["bytes32", "bytes32"], [_b(subject), _b(schema_id)]).hex())
    job = submit(session, chain, settings, Call("certs.issue", ROLE, registry, data, check), api_key_id=api_key_id,
                 object_address=registry, ref=ref, preflight=False)
    record = CertRecord(chain_id=chain.chain_id, registry_address=registry, kind="single", root=root,
                        doc_hash=doc_hash, subject=subject, schema_id=schema_id, expires_at=expires_at, leaf_count=1,
                        issuer=chain.signer_for(ROLE).address, job_id=job.id, api_key_id=api_key_id)
    session.add(record)
    session.flush()
    session.add(CertDocument(record_id=record.id, position=0, doc_hash=doc_hash))
    session.flush()
    return Issued(job, record)


def issue_batch(session: Session, chain: ChainContext, settings: Settings, registry: str, *,
                doc_hashes: Sequence[str], expires_at: int, schema_id: str, api_key_id: int | None,
                ref: str) -> tuple[Issued, MerkleTree]:
    """Queue `issueBatch(root, expiresAt, schemaId)` over the documents (in the given order) and store them."""
    if not 1 <= len(doc_hashes) <= MAX_BATCH:
        raise Unprocessable(f"doc_hashes must hold 1 to {MAX_BATCH} document hashes")
    seen: dict[str, int] = {}
    for position, doc in enumerate(doc_hashes):
        if doc == ZERO32:
            raise Unprocessable(f"doc_hashes[{position}] must not be zero")
        if doc in seen:
            raise Unprocessable(f"doc_hashes[{position}] repeats doc_hashes[{seen[doc]}]")
        seen[doc] = position
    tree = MerkleTree.from_documents(doc_hashes)
    root = "0x" + tree.root.hex()
    data = encode(chain, "issueBatch", root, expires_at, schema_id)
    chain.preflight(ROLE, registry, data)
    _clear_failed(session, chain, registry, root)
    job = submit(session, chain, settings, Call("certs.issue_batch", ROLE, registry, data), api_key_id=api_key_id,
                 object_address=registry, ref=ref, preflight=False)
    record = CertRecord(chain_id=chain.chain_id, registry_address=registry, kind="batch", root=root, doc_hash=None,
                        subject=None, schema_id=schema_id, expires_at=expires_at, leaf_count=len(doc_hashes),
                        issuer=chain.signer_for(ROLE).address, job_id=job.id, api_key_id=api_key_id)
    session.add(record)
    session.flush()
    session.execute(insert(CertDocument), [{"record_id": record.id, "position": i, "doc_hash": d}
                                           for i, d in enumerate(doc_hashes)])
    session.flush()
    return Issued(job, record), tree


# ------------------------------------------------------------------------------------------------ status changes


def change_document(session: Session, chain: ChainContext, settings: Settings, registry: str, action: str, *,
                    doc_hash: str, root: str | None, reason_code: int = 0, replacement: str | None = None,
                    api_key_id: int | None, ref: str) -> Job:
    """Revoke, suspend, reinstate or supersede one document (the server supplies its proof)."""
    function, _, target = ACTIONS[action]
    if action == "supersede" and replacement == doc_hash:
        raise Unprocessable("replacement must differ from the document it replaces")
    where = locate(session, chain, registry, doc_hash, root)
    args: list[Any] = [service_issuer(chain), doc_hash, where.proof]
    if action in ("revoke", "suspend"):
        args.append(reason_code)
    elif action == "supersede":
        args.append(replacement)
    data = encode(chain, function, *args)
    if where.proof:
        check = _override_check(chain, registry, where.root, doc_hash, target, reason_code, replacement)
    else:
        check = _record_check(chain, registry, where.root, target, reason_code, replacement)
    return submit(session, chain, settings, Call(f"certs.{action}", ROLE, registry, data, check),
                  api_key_id=api_key_id, object_address=registry, ref=ref)


def change_record(session: Session, chain: ChainContext, settings: Settings, registry: str, action: str, *,
                  root: str, reason_code: int = 0, replacement: str | None = None, api_key_id: int | None,
                  ref: str) -> Job:
    """Revoke, suspend, reinstate or supersede a whole record (a batch, or a single certificate by its key)."""
    _, function, target = ACTIONS[action]
    if action == "supersede" and replacement == root:
        raise Unprocessable("replacement must differ from the root it replaces")
    if on_chain_issuer(chain, registry, root) is None:
        raise NotFound("no issuance with this root in this registry")
    args: list[Any] = [service_issuer(chain), root]
    if action in ("revoke", "suspend"):
        args.append(reason_code)
    elif action == "supersede":
        args.append(replacement)
    data = encode(chain, function, *args)
    check = _record_check(chain, registry, root, target, reason_code, replacement)
    return submit(session, chain, settings, Call(f"certs.{action}_batch", ROLE, registry, data, check),
                  api_key_id=api_key_id, object_address=registry, ref=ref)


def _record_check(chain: ChainContext, registry: str, root: str, target: Status, reason_code: int,
                  replacement: str | None) -> dict[str, Any]:
    rec, current_replacement = on_chain_record(chain, registry, root)
    reason = reason_code if target in (Status.revoked, Status.suspended) else int(rec["reasonCode"])
    after = replacement if target is Status.superseded and replacement else current_replacement
    expect = abi_encode(_RECORD_TYPES, [(rec["issuer"], int(rec["issuedAt"]), int(rec["expiresAt"]), int(target),
                                         reason), _b(after)])
    return make_effect_check(registry, encode(chain, "record", service_issuer(chain), root), "0x" + expect.hex())


def _override_check(chain: ChainContext, registry: str, root: str, doc_hash: str, target: Status, reason_code: int,
                    replacement: str | None) -> dict[str, Any]:
    issuer = service_issuer(chain)
    current = view(chain, registry, "documentOverride", issuer, root, doc_hash)
    reason = reason_code if target in (Status.revoked, Status.suspended) else int(current["reasonCode"])
    after = replacement if target is Status.superseded and replacement else current["replacement"]
    expect = abi_encode(_OVERRIDE_TYPES, [(int(target), reason, _b(after))])
    return make_effect_check(registry, encode(chain, "documentOverride", issuer, root, doc_hash),
                             "0x" + expect.hex())


def _b(value: str) -> bytes:
    return bytes.fromhex(value.removeprefix("0x"))


def _abi(value: Any) -> Any:
    if isinstance(value, str) and len(value) == 66 and value.startswith("0x"):
        return _b(value)
    if isinstance(value, list):
        return [_abi(v) for v in value]
    return value


def encode(chain: ChainContext, function: str, *args: Any) -> str:
    """Calldata for `CertificateRegistry.function`; 0x-hex bytes32 values (and lists of them) become bytes."""
    return chain.encode(CONTRACT, function, *(_abi(a) for a in args))


def view(chain: ChainContext, registry: str, function: str, *args: Any, block: str | int = "latest") -> Any:
    """A CertificateRegistry view call, with the same argument conversion as `encode`."""
    return chain.call(registry, CONTRACT, function, *(_abi(a) for a in args), block=block)
