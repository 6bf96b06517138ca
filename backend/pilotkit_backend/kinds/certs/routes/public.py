"""Public certificate verification (no API key): by hash, by upload, as a W3C Verifiable Credential.

Anyone may ask; requests are rate-limited per client address (the same rate as per key) and bounded in size.
Uploaded documents are hashed with SHA-256 while they stream in and never stored. Answers carry an explicit
status (valid, expired, suspended, revoked, superseded, unknown) with the issuer, dates, reason and replacement;
never the subject or anything personal.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.concurrency import run_in_threadpool

from pilotkit import safejson
from pilotkit_backend.api.deps import ChainDep, SessionDep
from pilotkit_backend.core.body_limit import ROUTE_LIMIT_KEY
from pilotkit_backend.core.problems import (
    Conflict,
    NotFound,
    ProblemError,
    TooManyRequests,
    Unprocessable,
    problem_responses,
)
from pilotkit_backend.kinds.certs.contract import CERTIFICATE_REGISTRY
from pilotkit_backend.kinds.certs.services import records as certs
from pilotkit_backend.kinds.certs.services.credentials import CredentialVerdict, build_and_sign, verify_credential
from pilotkit_backend.kinds.certs.services.upload import sha256_of_upload
from pilotkit_backend.kinds.certs.services.verify import Verdict, issuer_of, verify_document
from pilotkit_backend.platform import registry
from pilotkit_backend.platform.ratelimit import TokenBucketLimiter

MAX_CREDENTIAL_BYTES = 64 * 1024


def public_rate_limit(request: Request) -> None:
    """429 when this client address sends faster than the per-key rate (one bucket per address)."""
    limiter: TokenBucketLimiter | None = getattr(request.app.state, "public_rate_limiter", None)
    if limiter is None:
        settings = request.app.state.settings
        limiter = TokenBucketLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
        request.app.state.public_rate_limiter = limiter
    address = request.client.host if request.client is not None else "unknown"
    wait = limiter.acquire(("public", address))
    if wait > 0:
        raise TooManyRequests(limiter.retry_after(wait))


router = APIRouter(prefix="/v1/public", tags=["public verification"], dependencies=[Depends(public_rate_limit)],
                   responses=problem_responses(404, 422, 429))

RegistryPath = Annotated[str, Path(max_length=42, description="a CertificateRegistry registered with the service")]
HashPath = Annotated[str, Path(max_length=66, description="the document's hash: 0x + 64 hex digits (SHA-256 of "
                                                          "the file)")]
RootQuery = Annotated[str | None, Query(max_length=66, description="which issuance, if issued more than once")]
IssuerQuery = Annotated[str | None, Query(max_length=42, description="the issuer whose record to check (records "
                                                                    "are per issuer); default: the latest issuance")]


def _registry(session: Any, chain: Any, address: str) -> str:
    return registry.find(session, chain, CERTIFICATE_REGISTRY, address, None).address


def _root(root: str | None) -> str | None:
    return None if root is None else certs.hash32(root, "root")


@router.get("/certificate-registries/{registry}/certificates/{doc_hash}", response_model=Verdict,
            summary="Verify a document by its hash")
def verify_by_hash(registry: RegistryPath, doc_hash: HashPath, session: SessionDep, chain: ChainDep,
                   root: RootQuery = None, issuer: IssuerQuery = None) -> Verdict:
    address = _registry(session, chain, registry)
    return verify_document(session, chain, address, certs.hash32(doc_hash, "doc_hash"), _root(root),
                           issuer=issuer_of(issuer))


UPLOAD_BODY = {"requestBody": {"required": True, "content": {"multipart/form-data": {"schema": {
    "type": "object", "properties": {"file": {"type": "string", "format": "binary"}}, "required": ["file"]}}}}}
CREDENTIAL_BODY = {"requestBody": {"required": True, "content": {"application/json": {"schema": {
    "type": "object", "description": "the Verifiable Credential as exported by .../credential"}}}},
    ROUTE_LIMIT_KEY: MAX_CREDENTIAL_BYTES}


@router.post("/certificate-registries/{registry}/verify", response_model=Verdict, openapi_extra=UPLOAD_BODY,
             responses=problem_responses(413, 415), summary="Verify a document by uploading it (multipart 'file')")
async def verify_by_upload(registry: RegistryPath, request: Request, session: SessionDep, chain: ChainDep,
                           issuer: IssuerQuery = None) -> Verdict:
    address = await run_in_threadpool(_registry, session, chain, registry)
    wanted = issuer_of(issuer)
    doc_hash = await sha256_of_upload(request, "file")
    return await run_in_threadpool(lambda: verify_document(session, chain, address, doc_hash, issuer=wanted))


@router.get("/certificate-registries/{registry}/certificates/{doc_hash}/credential",
            responses=problem_responses(409),
            summary="The certificate as a W3C Verifiable Credential signed by its issuer (EIP-712)")
def export_credential(registry: RegistryPath, doc_hash: HashPath, request: Request, session: SessionDep,
                      chain: ChainDep, root: RootQuery = None) -> dict[str, Any]:
    address = _registry(session, chain, registry)
    doc = certs.hash32(doc_hash, "doc_hash")
    verdict = verify_document(session, chain, address, doc, _root(root))
    if verdict.status == "unknown" or verdict.issuer is None or verdict.root is None or verdict.issued_at is None:
        raise NotFound("no certificate with this document hash in this registry")
    if verdict.status != "valid":
        raise Conflict(f"the certificate is {verdict.status}: no credential is issued for it")
    signer = chain.signer_for(certs.ROLE)
    if verdict.issuer.address != signer.address:
        raise Conflict("this certificate was issued by another issuer; the service signs only for its own")
    subject, schema_id = _details(session, chain, address, doc, verdict)
    from pilotkit_backend.db.types import utcnow

    status_url = str(request.url_for("verify_by_hash", registry=address, doc_hash=doc))
    return build_and_sign(chain=chain, registry=address, signer=signer, issuer_name=verdict.issuer.name, doc_hash=doc,
                          subject=subject, schema_id=schema_id, record_key=verdict.root, proof=verdict.proof,
                          issued_at=int(verdict.issued_at.timestamp()),
                          expires_at=int(verdict.expires_at.timestamp()) if verdict.expires_at else 0,
                          status_url=status_url, created=utcnow())


def _details(session: Any, chain: Any, address: str, doc: str, verdict: Verdict) -> tuple[str, str]:
    """Subject hash and schema id: on chain for a single certificate; the stored batch's schema otherwise."""
    if not verdict.proof:
        subject, schema_id = certs.view(chain, address, "certificateDetails", verdict.issuer.address, doc)
        return str(subject), str(schema_id)
    record = certs.find_record(session, chain, address, str(verdict.root))
    return certs.ZERO32, record.schema_id if record is not None else certs.ZERO32


@router.post("/credentials/verify", response_model=CredentialVerdict, responses=problem_responses(413),
             openapi_extra=CREDENTIAL_BODY,
             summary="Check a Verifiable Credential: signature, issuer and live on-chain status")
async def verify_vc(request: Request, session: SessionDep, chain: ChainDep) -> CredentialVerdict:
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_CREDENTIAL_BYTES:
            raise ProblemError(f"a credential is at most {MAX_CREDENTIAL_BYTES} bytes", status=413,
                               type_="/problems/body-too-large", title="Request body too large")
    try:
        credential = safejson.loads(bytes(body))
    except ValueError:  # not UTF-8, not JSON, or nested deeper than safejson.MAX_DEPTH
        raise Unprocessable("the body must be the credential as JSON") from None

    def known(address: str) -> bool:
        try:
            _registry(session, chain, address)
        except NotFound:
            return False
        return True

    return await run_in_threadpool(verify_credential, session, chain, credential, known)
