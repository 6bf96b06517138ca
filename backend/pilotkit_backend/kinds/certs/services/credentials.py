"""W3C Verifiable Credentials (Data Model 2.0) for certificates, with an EIP-712 proof that checks against the chain.

Shape (every member is signed; nothing else is accepted back):

    {"@context": ["https://www.w3.org/ns/credentials/v2"], "type": ["VerifiableCredential", "CertificateCredential"],
     "id": "urn:pilotkit:certificate:eip155:<chainId>:<registry>:<docHash>",
     "issuer": {"id": "did:pkh:eip155:<chainId>:<issuer>", "name": "<accredited name>"},
     "validFrom": "<issued at>", "validUntil": "<expiry>" (only when it expires),
     "credentialSubject": {"documentHash", "subjectHash" (keyed hash, zero when none), "schemaId"},
     "credentialStatus": {"id": <public status URL>, "type": "CertificateRegistryStatus2024", "chainId", "registry",
                          "recordKey", "merkleProof"},
     "proof": {"type": "EthereumEip712Signature2021", "created", "proofPurpose": "assertionMethod",
               "verificationMethod": "<issuer DID>#blockchainAccountId", "proofValue": "0x<65-byte signature>",
               "eip712": {"domain", "types", "primaryType"}}}

The signed EIP-712 message is the credential without `proof.proofValue` and `proof.eip712` (so the proof options
are signed too). Domain: name "pilotkit Verifiable Credential", version "1", chain id, verifyingContract = the
registry — never the registry's own issuance domain, so a credential signature can never issue anything. The
verifier rebuilds the types itself (it never trusts types sent with a credential), recovers the signer, and checks
it against the record's on-chain issuer, the dates and details against the record, and the live status.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from eth_account import Account
from eth_account.messages import encode_typed_data
from eth_utils import is_address, to_checksum_address
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from pilotkit.accounts.signer import Signer
from pilotkit_backend.core.problems import Unprocessable
from pilotkit_backend.kinds.certs.services import records as certs
from pilotkit_backend.kinds.certs.services.records import Status
from pilotkit_backend.kinds.certs.services.verify import IssuerPublic, StatusName, candidate_issuers
from pilotkit_backend.platform.chain_context import ChainContext

VC_CONTEXT = "https://www.w3.org/ns/credentials/v2"
VC_TYPES = ["VerifiableCredential", "CertificateCredential"]
STATUS_TYPE = "CertificateRegistryStatus2024"
PROOF_TYPE = "EthereumEip712Signature2021"
PROOF_PURPOSE = "assertionMethod"
DOMAIN_NAME = "pilotkit Verifiable Credential"
DOMAIN_VERSION = "1"
MAX_PROOF = 64

_STRING_FIELDS = {
    "Issuer": ["id", "name"],
    "CredentialSubject": ["documentHash", "subjectHash", "schemaId"],
    "Proof": ["type", "created", "proofPurpose", "verificationMethod"],
}


def did_pkh(chain_id: int, address: str) -> str:
    return f"did:pkh:eip155:{chain_id}:{to_checksum_address(address)}"


def iso(moment: datetime | int) -> str:
    value = datetime.fromtimestamp(moment, UTC) if isinstance(moment, int) else moment.astimezone(UTC)
    return value.strftime("%Y-%m-%dT%H:%M:%SZ")


def eip712_types(with_valid_until: bool) -> dict[str, list[dict[str, str]]]:
    """The EIP-712 types of a credential (with or without `validUntil`)."""
    credential = [
        {"name": "@context", "type": "string[]"},
        {"name": "type", "type": "string[]"},
        {"name": "id", "type": "string"},
        {"name": "issuer", "type": "Issuer"},
        {"name": "validFrom", "type": "string"},
    ]
    if with_valid_until:
        credential.append({"name": "validUntil", "type": "string"})
    credential += [
        {"name": "credentialSubject", "type": "CredentialSubject"},
        {"name": "credentialStatus", "type": "CredentialStatus"},
        {"name": "proof", "type": "Proof"},
    ]
    types = {
        "EIP712Domain": [{"name": "name", "type": "string"}, {"name": "version", "type": "string"},
                         {"name": "chainId", "type": "uint256"}, {"name": "verifyingContract", "type": "address"}],
        "VerifiableCredential": credential,
        "CredentialStatus": [
            {"name": "id", "type": "string"}, {"name": "type", "type": "string"},
            {"name": "chainId", "type": "uint256"}, {"name": "registry", "type": "string"},
            {"name": "recordKey", "type": "string"}, {"name": "merkleProof", "type": "string[]"},
        ],
    }
    for name, fields in _STRING_FIELDS.items():
        types[name] = [{"name": f, "type": "string"} for f in fields]
    return types


def domain(chain_id: int, registry: str) -> dict[str, Any]:
    return {"name": DOMAIN_NAME, "version": DOMAIN_VERSION, "chainId": chain_id,
            "verifyingContract": to_checksum_address(registry)}


def _typed(message: dict[str, Any], chain_id: int, registry: str) -> dict[str, Any]:
    return {"types": eip712_types("validUntil" in message), "primaryType": "VerifiableCredential",
            "domain": domain(chain_id, registry), "message": message}


# ------------------------------------------------------------------------------------------------ issue


def build_and_sign(*, chain: ChainContext, registry: str, signer: Signer, issuer_name: str, doc_hash: str,
                   subject: str, schema_id: str, record_key: str, proof: list[str], issued_at: int,
                   expires_at: int, status_url: str, created: datetime) -> dict[str, Any]:
    """A signed credential for a certificate whose on-chain issuer is `signer`."""
    issuer_did = did_pkh(chain.chain_id, signer.address)
    message: dict[str, Any] = {
        "@context": [VC_CONTEXT],
        "type": list(VC_TYPES),
        "id": f"urn:pilotkit:certificate:eip155:{chain.chain_id}:{registry}:{doc_hash}",
        "issuer": {"id": issuer_did, "name": issuer_name},
        "validFrom": iso(issued_at),
    }
    if expires_at:
        message["validUntil"] = iso(expires_at)
    message["credentialSubject"] = {"documentHash": doc_hash, "subjectHash": subject, "schemaId": schema_id}
    message["credentialStatus"] = {"id": status_url, "type": STATUS_TYPE, "chainId": chain.chain_id,
                                   "registry": registry, "recordKey": record_key, "merkleProof": list(proof)}
    message["proof"] = {"type": PROOF_TYPE, "created": iso(created), "proofPurpose": PROOF_PURPOSE,
                        "verificationMethod": f"{issuer_did}#blockchainAccountId"}
    full = _typed(message, chain.chain_id, registry)
    signature = signer.sign_typed_data(full).signature
    credential = {k: v for k, v in message.items() if k != "proof"}
    credential["proof"] = {**message["proof"], "proofValue": "0x" + bytes(signature).hex(),
                           "eip712": {"domain": full["domain"], "types": full["types"],
                                      "primaryType": full["primaryType"]}}
    return credential


# ------------------------------------------------------------------------------------------------ verify


class CredentialVerdict(BaseModel):
    """Whether a credential holds: signature, issuer, record details and live on-chain status."""

    valid: bool
    reasons: list[str] = Field(description="why it does not hold (empty when valid)")
    warnings: list[str] = Field(default_factory=list)
    signer: str | None = Field(description="the address that signed it (recovered)")
    status: StatusName | None = Field(description="the document's on-chain status now")
    issuer: IssuerPublic | None
    document_hash: str
    registry: str
    chain_id: int


def _need(value: Any, kind: type | tuple[type, ...], where: str) -> Any:
    if not isinstance(value, kind) or isinstance(value, bool):
        raise Unprocessable(f"credential.{where} is missing or has the wrong type")
    return value


def _exact_keys(obj: dict[str, Any], required: set[str], where: str, optional: set[str] = frozenset()) -> None:
    missing = sorted(required - obj.keys())
    if missing:
        raise Unprocessable(f"credential.{where}{missing[0]} is missing")
    extra = sorted(obj.keys() - required - optional)
    if extra:
        raise Unprocessable(f"credential.{where}{extra[0]} is not part of a pilotkit certificate credential "
                            "(unsigned members are refused)")


def parse_credential(body: Any) -> tuple[dict[str, Any], str, dict[str, Any]]:
    """(signed message, signature, the credential's eip712 member or {}) — or 422 naming the bad member."""
    credential = _need(body, dict, "(body)")
    _exact_keys(credential, {"@context", "type", "id", "issuer", "validFrom", "credentialSubject",
                             "credentialStatus", "proof"}, "", {"validUntil"})
    for name in ("@context", "type"):
        items = _need(credential[name], list, name)
        if not items or len(items) > 8 or not all(isinstance(i, str) and len(i) <= 256 for i in items):
            raise Unprocessable(f"credential.{name} must be a list of up to 8 strings")
    for name in ("id", "validFrom", "validUntil"):
        if name in credential and (not isinstance(credential[name], str) or len(credential[name]) > 512):
            raise Unprocessable(f"credential.{name} must be a string")
    for member, struct in (("issuer", "Issuer"), ("credentialSubject", "CredentialSubject")):
        obj = _need(credential[member], dict, member)
        _exact_keys(obj, set(_STRING_FIELDS[struct]), f"{member}.")
        for field in _STRING_FIELDS[struct]:
            if not isinstance(obj[field], str) or len(obj[field]) > 512:
                raise Unprocessable(f"credential.{member}.{field} must be a string")
    status = _need(credential["credentialStatus"], dict, "credentialStatus")
    _exact_keys(status, {"id", "type", "chainId", "registry", "recordKey", "merkleProof"}, "credentialStatus.")
    for field in ("id", "type", "registry", "recordKey"):
        if not isinstance(status[field], str) or len(status[field]) > 512:
            raise Unprocessable(f"credential.credentialStatus.{field} must be a string")
    chain_id = _need(status["chainId"], int, "credentialStatus.chainId")
    if not 0 < chain_id < 2**64:
        raise Unprocessable("credential.credentialStatus.chainId is out of range")
    proof_list = _need(status["merkleProof"], list, "credentialStatus.merkleProof")
    if len(proof_list) > MAX_PROOF or not all(isinstance(p, str) for p in proof_list):
        raise Unprocessable(f"credential.credentialStatus.merkleProof must be up to {MAX_PROOF} hex strings")
    for field in ("recordKey",):
        certs.hash32(status[field], f"credential.credentialStatus.{field}")
    for position, item in enumerate(proof_list):
        certs.hash32(item, f"credential.credentialStatus.merkleProof[{position}]")
    if not is_address(status["registry"]):
        raise Unprocessable("credential.credentialStatus.registry is not an address")
    subject = credential["credentialSubject"]
    for field in ("documentHash", "subjectHash", "schemaId"):
        certs.hash32(subject[field], f"credential.credentialSubject.{field}")
    proof = _need(credential["proof"], dict, "proof")
    _exact_keys(proof, {*_STRING_FIELDS["Proof"], "proofValue"}, "proof.", {"eip712"})
    for field in (*_STRING_FIELDS["Proof"], "proofValue"):
        if not isinstance(proof[field], str) or len(proof[field]) > 512:
            raise Unprocessable(f"credential.proof.{field} must be a string")
    eip712 = proof.get("eip712", {})
    if not isinstance(eip712, dict):
        raise Unprocessable("credential.proof.eip712 must be an object")
    message = {k: v for k, v in credential.items() if k != "proof"}
    message["proof"] = {f: proof[f] for f in _STRING_FIELDS["Proof"]}
    return message, proof["proofValue"], eip712


def _recover(message: dict[str, Any], signature: str, chain_id: int, registry: str) -> str | None:
    try:
        raw = bytes.fromhex(signature.removeprefix("0x"))
        if len(raw) != 65:
            return None
        digest = encode_typed_data(full_message=_typed(message, chain_id, registry))
        return str(Account.recover_message(digest, signature=raw))
    except Exception:  # malformed signature or a value EIP-712 cannot encode
        return None


def _did_address(did: str, chain_id: int) -> str | None:
    prefix = f"did:pkh:eip155:{chain_id}:"
    rest = did.removeprefix(prefix) if did.startswith(prefix) else ""
    return to_checksum_address(rest) if is_address(rest) else None


def _record_for(session: Session, chain: ChainContext, registry: str, claimed: str | None, doc_hash: str,
                proof: list[str]) -> Any:
    """`verify` of the claimed issuer's record (records are issuer-scoped); when it has none, the record of an
    issuer that does hold the document, so that a credential signed in another issuer's name is named as such."""
    result = certs.view(chain, registry, "verify", claimed or "0x" + "00" * 20, doc_hash, proof)
    if Status(int(result["status"])) is not Status.unknown:
        return result
    for issuer in candidate_issuers(session, chain, registry, doc_hash):
        other = certs.view(chain, registry, "verify", issuer, doc_hash, proof)
        if Status(int(other["status"])) is not Status.unknown:
            return other
    return result


def verify_credential(session: Session, chain: ChainContext, body: Any,
                      registry_known: Any) -> CredentialVerdict:
    """Check a credential (see the module docstring). `registry_known(address) -> bool`: registered here."""
    message, signature, eip712 = parse_credential(body)
    status_member = message["credentialStatus"]
    subject = message["credentialSubject"]
    doc_hash = certs.hash32(subject["documentHash"], "credentialSubject.documentHash")
    registry = to_checksum_address(status_member["registry"])
    reasons: list[str] = []
    warnings: list[str] = []
    base = {"document_hash": doc_hash, "registry": registry, "chain_id": int(status_member["chainId"])}
    if status_member["chainId"] != chain.chain_id:
        return CredentialVerdict(valid=False, reasons=[f"issued on chain {status_member['chainId']}, this service "
                                                       f"checks chain {chain.chain_id}"], signer=None, status=None,
                                 issuer=None, **base)
    if not registry_known(registry):
        return CredentialVerdict(valid=False, reasons=["the registry is not one this service knows"], signer=None,
                                 status=None, issuer=None, **base)
    if message["type"] != VC_TYPES or message["@context"] != [VC_CONTEXT] or status_member["type"] != STATUS_TYPE:
        reasons.append("not a pilotkit certificate credential (@context, type or credentialStatus.type differ)")
    proof_options = message["proof"]
    if proof_options["type"] != PROOF_TYPE or proof_options["proofPurpose"] != PROOF_PURPOSE:
        reasons.append(f"proof must be {PROOF_TYPE} for {PROOF_PURPOSE}")
    expected = _typed(message, chain.chain_id, registry)
    if eip712 and (eip712.get("domain") != expected["domain"] or eip712.get("types") != expected["types"]
                   or eip712.get("primaryType") != expected["primaryType"]):
        reasons.append("proof.eip712 does not describe this credential's typed data")
    signer = _recover(message, signature, chain.chain_id, registry)
    claimed = _did_address(message["issuer"]["id"], chain.chain_id)
    if signer is None:
        reasons.append("the signature is malformed")
    elif claimed != signer:
        reasons.append("the signature does not match the credential's issuer (altered or signed by someone else)")
    elif proof_options["verificationMethod"] != f"{message['issuer']['id']}#blockchainAccountId":
        reasons.append("proof.verificationMethod is not the issuer's account")

    proof = [certs.hash32(p, "merkleProof") for p in status_member["merkleProof"]]
    result = _record_for(session, chain, registry, claimed, doc_hash, proof)
    status = Status(int(result["status"]))
    issuer_public = None
    if status is Status.unknown:
        reasons.append("the registry has no record of this document with this proof")
    else:
        record_issuer = str(result["issuer"])
        issuer_public = IssuerPublic(address=record_issuer,
                                     name=str(certs.view(chain, registry, "issuerName", record_issuer)),
                                     accredited=bool(certs.view(chain, registry, "isAccredited", record_issuer)))
        if signer is not None and signer != record_issuer:
            reasons.append("signed by an account that is not the issuer of the on-chain record")
        if not issuer_public.accredited:
            warnings.append("the issuer's accreditation was withdrawn after issuing (its records stay valid)")
        if str(result["root"]) != certs.hash32(status_member["recordKey"], "recordKey"):
            reasons.append("credentialStatus.recordKey is not the document's record")
        if message["validFrom"] != iso(int(result["issuedAt"])):
            reasons.append("validFrom is not the on-chain issuance time")
        expires = int(result["expiresAt"])
        if message.get("validUntil") != (iso(expires) if expires else None):
            reasons.append("validUntil is not the on-chain expiry")
        if message["issuer"]["name"] != issuer_public.name:
            reasons.append("issuer.name is not the issuer's accredited name")
        if not proof:  # a single certificate: subject and schema are on chain
            on_subject, on_schema = certs.view(chain, registry, "certificateDetails", record_issuer, doc_hash)
            if (certs.hash32(subject["subjectHash"], "subjectHash"), certs.hash32(subject["schemaId"], "schemaId")) \
                    != (str(on_subject), str(on_schema)):
                reasons.append("credentialSubject differs from the on-chain certificate")
        if status is not Status.valid:
            detail = f" (reason code {int(result['reasonCode'])})" if status in (Status.revoked, Status.suspended) \
                else ""
            reasons.append(f"the certificate is {status.name}{detail}")
    return CredentialVerdict(valid=not reasons, reasons=reasons, warnings=warnings, signer=signer,
                             status=status.name, issuer=issuer_public, **base)  # type: ignore[arg-type]
