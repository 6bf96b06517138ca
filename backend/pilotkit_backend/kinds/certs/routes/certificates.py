"""Certificate registries (issuer, auditor and verifier keys): issue one or a Merkle batch, change statuses, list.

Under `/v1/certificate-registries/{registry}` (a registered CertificateRegistry; keys bound to another registry
get 404). Writes need the `issuer` scope and an Idempotency-Key and answer 202 with the job; reads need
`issuer`, `auditor` or `verifier`. Document hashes are 0x + 64 hex digits (SHA-256 of the file's bytes when
the service hashes a `document` for you). Subjects are sent as identifiers and only their keyed hash is kept.
"""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, ConfigDict, Field, model_validator
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilotkit_backend.api.deps import ChainDep, IdempotencyDep, SessionDep, SettingsDep, require_scope
from pilotkit_backend.api.pagination import Cursor, CursorDep
from pilotkit_backend.api.routing import IDEMPOTENT_RESPONSES, IdempotentRoute
from pilotkit_backend.core.problems import NotFound, Unprocessable, problem_responses
from pilotkit_backend.kinds.certs.contract import CERTIFICATE_REGISTRY
from pilotkit_backend.kinds.certs.models import CertDocument, CertRecord
from pilotkit_backend.kinds.certs.services import records as certs
from pilotkit_backend.kinds.certs.services.subjects import registry_key, subject_hash
from pilotkit_backend.kinds.certs.services.verify import Verdict, verify_document
from pilotkit_backend.platform import registry
from pilotkit_backend.platform.auth import AuthenticatedKey
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.models.access import Scope
from pilotkit_backend.platform.models.jobs import Job
from pilotkit_backend.platform.writes import JobAccepted, accepted

router = APIRouter(prefix="/v1/certificate-registries/{registry}", tags=["certificates"],
                   route_class=IdempotentRoute, responses=problem_responses(401, 403, 404, 422, 429))

Issuer = Annotated[AuthenticatedKey, require_scope(Scope.issuer)]
Reader = Annotated[AuthenticatedKey, require_scope(Scope.issuer, Scope.auditor, Scope.verifier)]
RegistryPath = Annotated[str, Path(max_length=42, description="the registered CertificateRegistry")]
HashPath = Annotated[str, Path(max_length=66, description="0x + 64 hex digits")]
INLINE_PROOFS = 1000  # batches up to this size get every proof in the 202 answer
WRITE_RESPONSES = {**IDEMPOTENT_RESPONSES, **problem_responses(409)}


# ------------------------------------------------------------------------------------------------ bodies


class IssueCertificate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_hash: str | None = Field(None, max_length=66, description="the document's hash (0x + 64 hex digits)")
    document: str | None = Field(None, description="or the document itself, base64; hashed with SHA-256, never "
                                 "stored")
    subject: str | None = Field(None, max_length=512, description="the holder's identifier (e.g. a student number); "
                                "only its keyed hash goes on chain")
    expires_at: datetime | None = Field(None, description="ISO 8601 with a time zone; omit for never")
    schema_id: str = Field(min_length=1, max_length=128, description="0x + 64 hex digits, or a name hashed with "
                           "keccak256 (e.g. 'diploma:v1')")

    @model_validator(mode="after")
    def one_document(self) -> IssueCertificate:
        if (self.doc_hash is None) == (self.document is None):
            raise ValueError("send exactly one of doc_hash and document")
        return self


class IssueBatch(BaseModel):
    model_config = ConfigDict(extra="forbid")

    doc_hashes: list[Annotated[str, Field(max_length=66)]] = Field(min_length=1, max_length=certs.MAX_BATCH)
    expires_at: datetime | None = None
    schema_id: str = Field(min_length=1, max_length=128)


class ReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason_code: int = Field(ge=0, le=255, description="e.g. RFC 5280: 1 key compromise, 4 superseded, 9 privilege "
                             "withdrawn")
    root: str | None = Field(None, max_length=66, description="which issuance, when the document was issued more "
                             "than once")


class ReinstateBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    root: str | None = Field(None, max_length=66)


class SupersedeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replacement: str = Field(max_length=66, description="the replacing document's hash")
    root: str | None = Field(None, max_length=66)


class BatchReasonBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason_code: int = Field(ge=0, le=255)


class BatchSupersedeBody(BaseModel):
    model_config = ConfigDict(extra="forbid")

    replacement: str = Field(max_length=66, description="the replacing batch root (or document hash)")


# ------------------------------------------------------------------------------------------------ answers


class CertificateAccepted(JobAccepted):
    doc_hash: str
    root: str = Field(description="the record key, leafOf(doc_hash)")
    subject_hash: str = Field(description="the subject's keyed hash (zero when no subject)")
    schema_id: str


class DocumentProof(BaseModel):
    position: int
    doc_hash: str
    proof: list[str]


class BatchAccepted(JobAccepted):
    root: str
    count: int
    schema_id: str
    proofs: list[DocumentProof] | None = Field(description=f"every document's proof (batches of up to "
                                               f"{INLINE_PROOFS}); else page through proofs_url")
    proofs_url: str


RecordState = Literal["pending", "failed", "valid", "expired", "suspended", "revoked", "superseded"]


class IssuancePublic(BaseModel):
    kind: Literal["single", "batch"]
    root: str
    doc_hash: str | None
    subject_hash: str | None
    schema_id: str
    count: int
    expires_at: datetime | None
    state: RecordState = Field(description="the record's own status on chain (pending/failed: its job)")
    reason_code: int | None
    replacement: str | None
    job_id: str
    created_at: datetime


class IssuancePage(BaseModel):
    items: list[IssuancePublic]
    next_cursor: str | None


class CertificateDetail(BaseModel):
    verdict: Verdict
    issuances: list[IssuancePublic] = Field(description="issuances of this document made through this service")


class ProofPage(BaseModel):
    root: str
    items: list[DocumentProof]
    next_cursor: str | None


# ------------------------------------------------------------------------------------------------ helpers


def _registry(session: Session, chain: ChainContext, address: str, key: AuthenticatedKey) -> str:
    return registry.find(session, chain, CERTIFICATE_REGISTRY, address, key).address


def _optional_root(root: str | None) -> str | None:
    return None if root is None else certs.hash32(root, "root")


def _record_state(chain: ChainContext, session: Session, record: CertRecord, now: int) -> dict[str, Any]:
    rec, replacement = certs.view(chain, record.registry_address, "record", record.issuer, record.root)
    if int(str(rec["issuer"]), 16) == 0:
        job = session.get(Job, record.job_id)
        state = "pending" if job is None or not job.is_final else "failed"
        return {"state": state, "reason_code": None, "replacement": None}
    status = certs.Status(int(rec["status"]))
    if status is certs.Status.valid and int(rec["expiresAt"]) and now >= int(rec["expiresAt"]):
        status = certs.Status.expired
    return {"state": status.name,
            "reason_code": int(rec["reasonCode"]) if status in (certs.Status.revoked, certs.Status.suspended) else None,
            "replacement": replacement if status is certs.Status.superseded else None}


def _issuance(chain: ChainContext, session: Session, record: CertRecord, now: int) -> IssuancePublic:
    from datetime import UTC

    expires = datetime.fromtimestamp(record.expires_at, UTC) if record.expires_at else None
    return IssuancePublic(kind=record.kind, root=record.root, doc_hash=record.doc_hash,  # type: ignore[arg-type]
                          subject_hash=record.subject, schema_id=record.schema_id, count=record.leaf_count,
                          expires_at=expires, job_id=record.job_id, created_at=record.created_at,
                          **_record_state(chain, session, record, now))


def _chain_now(chain: ChainContext) -> int:
    return int(chain.web3.eth.get_block("latest")["timestamp"])


def _page(session: Session, chain: ChainContext, address: str, kind: str, cursor: Cursor | None, limit: int,
          doc_hash: str | None = None) -> IssuancePage:
    query = select(CertRecord).where(CertRecord.chain_id == chain.chain_id, CertRecord.registry_address == address,
                                     CertRecord.kind == kind)
    if doc_hash is not None:
        query = query.where(CertRecord.doc_hash == doc_hash)
    if cursor is not None:
        query = query.where(CertRecord.id < cursor.id())
    rows = list(session.execute(query.order_by(CertRecord.id.desc()).limit(limit + 1)).scalars())
    now = _chain_now(chain)
    items = [_issuance(chain, session, r, now) for r in rows[:limit]]
    return IssuancePage(items=items, next_cursor=str(rows[limit - 1].id) if len(rows) > limit else None)


# ------------------------------------------------------------------------------------------------ issue


@router.post("/certificates", status_code=202, response_model=CertificateAccepted, responses=WRITE_RESPONSES,
             summary="Issue one certificate (issuer)")
def issue_certificate(registry: RegistryPath, body: IssueCertificate, key: Issuer, chain: ChainDep,
                      settings: SettingsDep, idem: IdempotencyDep, request: Request) -> CertificateAccepted:
    address = _registry(idem.session, chain, registry, key)
    if body.document is not None:
        try:
            raw = base64.b64decode(body.document, validate=True)
        except (binascii.Error, ValueError):
            raise Unprocessable("document must be base64") from None
        if not raw:
            raise Unprocessable("document is empty")
        doc_hash = certs.sha256_hex(raw)
    else:
        doc_hash = certs.nonzero_hash(body.doc_hash or "", "doc_hash")
    expires_at = certs.expiry_of(body.expires_at)
    schema_id = certs.schema_id_of(body.schema_id)
    subject = certs.ZERO32
    if body.subject is not None:
        subject = subject_hash(registry_key(settings, request.app.state.session_factory, chain, address),
                               body.subject)
    issued = certs.issue_single(idem.session, chain, settings, address, doc_hash=doc_hash, subject=subject,
                                expires_at=expires_at, schema_id=schema_id, api_key_id=key.id, ref=idem.ref)
    return CertificateAccepted(**accepted(issued.job).model_dump(), doc_hash=doc_hash, root=issued.record.root,
                               subject_hash=subject, schema_id=schema_id)


@router.post("/batches", status_code=202, response_model=BatchAccepted, responses=WRITE_RESPONSES,
             summary="Issue a Merkle batch of document hashes (issuer)")
def issue_batch(registry: RegistryPath, body: IssueBatch, key: Issuer, chain: ChainDep, settings: SettingsDep,
                idem: IdempotencyDep) -> BatchAccepted:
    address = _registry(idem.session, chain, registry, key)
    hashes = [certs.hash32(h, f"doc_hashes[{i}]") for i, h in enumerate(body.doc_hashes)]
    issued, tree = certs.issue_batch(idem.session, chain, settings, address, doc_hashes=hashes,
                                     expires_at=certs.expiry_of(body.expires_at),
                                     schema_id=certs.schema_id_of(body.schema_id), api_key_id=key.id, ref=idem.ref)
    proofs = None
    if len(hashes) <= INLINE_PROOFS:
        proofs = [DocumentProof(position=i, doc_hash=h, proof=tree.hex_proof(i)) for i, h in enumerate(hashes)]
    root = issued.record.root
    return BatchAccepted(**accepted(issued.job).model_dump(), root=root, count=len(hashes),
                         schema_id=issued.record.schema_id, proofs=proofs,
                         proofs_url=f"/v1/certificate-registries/{address}/batches/{root}/proofs")


# ------------------------------------------------------------------------------------------------ status changes


def _change_document(action: str, registry_param: str, doc_hash: str, key: AuthenticatedKey, chain: ChainContext,
                     settings: Any, idem: Any, *, root: str | None, reason_code: int = 0,
                     replacement: str | None = None) -> JobAccepted:
    address = _registry(idem.session, chain, registry_param, key)
    job = certs.change_document(idem.session, chain, settings, address, action,
                                doc_hash=certs.nonzero_hash(doc_hash, "doc_hash"), root=_optional_root(root),
                                reason_code=reason_code, replacement=replacement, api_key_id=key.id, ref=idem.ref)
    return accepted(job)


@router.post("/certificates/{doc_hash}/revoke", status_code=202, response_model=JobAccepted,
             responses=WRITE_RESPONSES, summary="Revoke a document for good (issuer)")
def revoke(registry: RegistryPath, doc_hash: HashPath, body: ReasonBody, key: Issuer, chain: ChainDep,
           settings: SettingsDep, idem: IdempotencyDep) -> JobAccepted:
    return _change_document("revoke", registry, doc_hash, key, chain, settings, idem, root=body.root,
                            reason_code=body.reason_code)


@router.post("/certificates/{doc_hash}/suspend", status_code=202, response_model=JobAccepted,
             responses=WRITE_RESPONSES, summary="Suspend a document until reinstated (issuer)")
def suspend(registry: RegistryPath, doc_hash: HashPath, body: ReasonBody, key: Issuer, chain: ChainDep,
            settings: SettingsDep, idem: IdempotencyDep) -> JobAccepted:
    return _change_document("suspend", registry, doc_hash, key, chain, settings, idem, root=body.root,
                            reason_code=body.reason_code)


@router.post("/certificates/{doc_hash}/reinstate", status_code=202, response_model=JobAccepted,
             responses=WRITE_RESPONSES, summary="Lift a document's suspension (issuer)")
def reinstate(registry: RegistryPath, doc_hash: HashPath, key: Issuer, chain: ChainDep, settings: SettingsDep,
              idem: IdempotencyDep, body: ReinstateBody | None = None) -> JobAccepted:
    return _change_document("reinstate", registry, doc_hash, key, chain, settings, idem,
                            root=body.root if body else None)


@router.post("/certificates/{doc_hash}/supersede", status_code=202, response_model=JobAccepted,
             responses=WRITE_RESPONSES, summary="Mark a document as replaced by another (issuer)")
def supersede(registry: RegistryPath, doc_hash: HashPath, body: SupersedeBody, key: Issuer, chain: ChainDep,
              settings: SettingsDep, idem: IdempotencyDep) -> JobAccepted:
    return _change_document("supersede", registry, doc_hash, key, chain, settings, idem, root=body.root,
                            replacement=certs.nonzero_hash(body.replacement, "replacement"))


def _change_record(action: str, registry_param: str, root: str, key: AuthenticatedKey, chain: ChainContext,
                   settings: Any, idem: Any, *, reason_code: int = 0, replacement: str | None = None) -> JobAccepted:
    address = _registry(idem.session, chain, registry_param, key)
    job = certs.change_record(idem.session, chain, settings, address, action, root=certs.nonzero_hash(root, "root"),
                              reason_code=reason_code, replacement=replacement, api_key_id=key.id, ref=idem.ref)
    return accepted(job)


@router.post("/batches/{root}/revoke", status_code=202, response_model=JobAccepted, responses=WRITE_RESPONSES,
             summary="Revoke every document of a batch (issuer)")
def revoke_batch(registry: RegistryPath, root: HashPath, body: BatchReasonBody, key: Issuer, chain: ChainDep,
                 settings: SettingsDep, idem: IdempotencyDep) -> JobAccepted:
    return _change_record("revoke", registry, root, key, chain, settings, idem, reason_code=body.reason_code)


@router.post("/batches/{root}/suspend", status_code=202, response_model=JobAccepted, responses=WRITE_RESPONSES,
             summary="Suspend every document of a batch (issuer)")
def suspend_batch(registry: RegistryPath, root: HashPath, body: BatchReasonBody, key: Issuer, chain: ChainDep,
                  settings: SettingsDep, idem: IdempotencyDep) -> JobAccepted:
    return _change_record("suspend", registry, root, key, chain, settings, idem, reason_code=body.reason_code)


@router.post("/batches/{root}/reinstate", status_code=202, response_model=JobAccepted, responses=WRITE_RESPONSES,
             summary="Lift a batch's suspension (issuer)")
def reinstate_batch(registry: RegistryPath, root: HashPath, key: Issuer, chain: ChainDep, settings: SettingsDep,
                    idem: IdempotencyDep) -> JobAccepted:
    return _change_record("reinstate", registry, root, key, chain, settings, idem)


@router.post("/batches/{root}/supersede", status_code=202, response_model=JobAccepted, responses=WRITE_RESPONSES,
             summary="Mark a whole batch as replaced (issuer)")
def supersede_batch(registry: RegistryPath, root: HashPath, body: BatchSupersedeBody, key: Issuer, chain: ChainDep,
                    settings: SettingsDep, idem: IdempotencyDep) -> JobAccepted:
    return _change_record("supersede", registry, root, key, chain, settings, idem,
                          replacement=certs.nonzero_hash(body.replacement, "replacement"))


# ------------------------------------------------------------------------------------------------ reads


@router.get("/certificates", response_model=IssuancePage, summary="Single certificates issued through the service")
def list_certificates(registry: RegistryPath, key: Reader, session: SessionDep, chain: ChainDep,
                      cursor: CursorDep = None,
                      limit: Annotated[int, Query(ge=1, le=100)] = 50) -> IssuancePage:
    address = _registry(session, chain, registry, key)
    return _page(session, chain, address, "single", cursor, limit)


@router.get("/certificates/{doc_hash}", response_model=CertificateDetail,
            summary="A document's verdict and its issuances through the service")
def read_certificate(registry: RegistryPath, doc_hash: HashPath, key: Reader, session: SessionDep, chain: ChainDep,
                     root: Annotated[str | None, Query(max_length=66)] = None) -> CertificateDetail:
    address = _registry(session, chain, registry, key)
    doc = certs.hash32(doc_hash, "doc_hash")
    verdict = verify_document(session, chain, address, doc, _optional_root(root))
    now = _chain_now(chain)
    records = certs.records_with(session, chain, address, doc)
    if verdict.status == "unknown" and not records:
        raise NotFound("no certificate with this document hash in this registry")
    return CertificateDetail(verdict=verdict, issuances=[_issuance(chain, session, r, now) for r in records])


@router.get("/batches", response_model=IssuancePage, summary="Merkle batches issued through the service")
def list_batches(registry: RegistryPath, key: Reader, session: SessionDep, chain: ChainDep,
                 cursor: CursorDep = None,
                 limit: Annotated[int, Query(ge=1, le=100)] = 50) -> IssuancePage:
    address = _registry(session, chain, registry, key)
    return _page(session, chain, address, "batch", cursor, limit)


def _batch(session: Session, chain: ChainContext, address: str, root: str) -> CertRecord:
    record = certs.find_record(session, chain, address, certs.hash32(root, "root"))
    if record is None or record.kind != "batch":
        raise NotFound("no batch with this root was issued through this service")
    return record


@router.get("/batches/{root}", response_model=IssuancePublic, summary="One batch and its on-chain state")
def read_batch(registry: RegistryPath, root: HashPath, key: Reader, session: SessionDep,
               chain: ChainDep) -> IssuancePublic:
    address = _registry(session, chain, registry, key)
    return _issuance(chain, session, _batch(session, chain, address, root), _chain_now(chain))


@router.get("/batches/{root}/proofs", response_model=ProofPage,
            summary="The batch's documents with their Merkle proofs, in tree order")
def batch_proofs(registry: RegistryPath, root: HashPath, key: Reader, session: SessionDep, chain: ChainDep,
                 doc_hash: Annotated[str | None, Query(max_length=66, description="only this document")] = None,
                 cursor: CursorDep = None,
                 limit: Annotated[int, Query(ge=1, le=1000)] = 100) -> ProofPage:
    address = _registry(session, chain, registry, key)
    record = _batch(session, chain, address, root)
    query = select(CertDocument.position, CertDocument.doc_hash).where(CertDocument.record_id == record.id)
    if doc_hash is not None:
        query = query.where(CertDocument.doc_hash == certs.hash32(doc_hash, "doc_hash"))
    if cursor is not None:
        query = query.where(CertDocument.position >= cursor.id())
    rows = session.execute(query.order_by(CertDocument.position).limit(limit + 1)).all()
    tree = certs.TREES.get(session, record)
    items = [DocumentProof(position=p, doc_hash=d, proof=tree.hex_proof(p)) for p, d in rows[:limit]]
    return ProofPage(root=record.root, items=items, next_cursor=str(rows[limit][0]) if len(rows) > limit else None)
