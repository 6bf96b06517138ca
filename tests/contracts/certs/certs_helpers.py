"""Helpers for the CertificateRegistry suites: roles, statuses, EIP-712 signing, signature malleation."""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Any

from eth_utils import keccak

from pilotkit.accounts.signer import Signer
from pilotkit.contracts.handle import ContractHandle

ZERO_ADDRESS = "0x" + "00" * 20
ZERO32 = b"\x00" * 32
ADMIN_ROLE = ZERO32
ISSUER_ROLE = keccak(text="ISSUER_ROLE")
PAUSER_ROLE = keccak(text="PAUSER_ROLE")
DOMAIN_NAME = "pilotkit CertificateRegistry"
DOMAIN_VERSION = "1"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
ISSUE_CERTIFICATE_TYPE = [
    {"name": "docHash", "type": "bytes32"},
    {"name": "subject", "type": "bytes32"},
    {"name": "expiresAt", "type": "uint64"},
    {"name": "schemaId", "type": "bytes32"},
    {"name": "deadline", "type": "uint256"},
]
ISSUE_BATCH_TYPE = [
    {"name": "root", "type": "bytes32"},
    {"name": "expiresAt", "type": "uint64"},
    {"name": "schemaId", "type": "bytes32"},
    {"name": "deadline", "type": "uint256"},
]
EIP712_DOMAIN_TYPE = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]


class Status(IntEnum):
    """ICertificateRegistry.Status."""

    Unknown = 0
    Valid = 1
    Expired = 2
    Suspended = 3
    Revoked = 4
    Superseded = 5


def doc(label: str) -> bytes:
    """A stand-in document hash."""
    return keccak(text=f"document:{label}")


def subject(label: str) -> bytes:
    """A stand-in keyed hash (HMAC) of a subject; never personal data."""
    return keccak(text=f"hmac-subject:{label}")


SCHEMA_DIPLOMA = keccak(text="schema:diploma:v1")
ISSUER_NAME = "Ministry of Education, Republic of Kenya"
ISSUER2_NAME = "did:web:university.example.org"


@dataclass(frozen=True)
class Roles:
    """Who plays which part. `outsider` is a funded account that is never accredited."""

    admin: Signer
    issuer: Signer
    issuer2: Signer
    pauser: Signer
    relayer: Signer
    outsider: Signer
    stranger: Signer

    @classmethod
    def from_accounts(cls, accounts: list[Signer]) -> Roles:
        a = accounts
        return cls(admin=a[0], issuer=a[1], issuer2=a[2], pauser=a[3], relayer=a[4], outsider=a[5], stranger=a[9])


@dataclass(frozen=True)
class Verification:
    """ICertificateRegistry.Verification, named."""

    status: Status
    issuer: str
    issued_at: int
    expires_at: int
    reason_code: int
    replacement: bytes
    root: bytes


def verify(reg: ContractHandle, issuer_address: str, doc_hash: bytes, proof: list[bytes] | None = None) -> Verification:
    """`issuer_address`'s answer on the document (records are issuer-scoped)."""
    status, issuer, issued_at, expires_at, reason, replacement, root = reg.verify(issuer_address, doc_hash,
                                                                                  proof or [])
    return Verification(Status(status), issuer, issued_at, expires_at, reason, bytes(replacement), bytes(root))


def typed_request(kind: str, message: dict[str, Any], chain_id: int, verifying_contract: str,
                  name: str = DOMAIN_NAME, version: str = DOMAIN_VERSION) -> dict[str, Any]:
    """The full EIP-712 message for `IssueCertificate` or `IssueBatch` under a given domain."""
    fields = ISSUE_CERTIFICATE_TYPE if kind == "IssueCertificate" else ISSUE_BATCH_TYPE
    return {
        "types": {"EIP712Domain": EIP712_DOMAIN_TYPE, kind: fields},
        "primaryType": kind,
        "domain": {"name": name, "version": version, "chainId": chain_id, "verifyingContract": verifying_contract},
        "message": message,
    }


def sign_certificate(signer: Signer, request: tuple[bytes, bytes, int, bytes], deadline: int, chain_id: int,
                     verifying_contract: str, **domain: str) -> bytes:
    """`signer`'s 65-byte (r, s, v) EIP-712 signature of an `IssueCertificate` request."""
    doc_hash, subj, expires_at, schema_id = request
    message = {"docHash": doc_hash, "subject": subj, "expiresAt": expires_at, "schemaId": schema_id,
               "deadline": deadline}
    signed = signer.sign_typed_data(typed_request("IssueCertificate", message, chain_id, verifying_contract, **domain))
    return bytes(signed.signature)


def sign_batch(signer: Signer, request: tuple[bytes, int, bytes], deadline: int, chain_id: int,
               verifying_contract: str) -> bytes:
    """`signer`'s EIP-712 signature of an `IssueBatch` request."""
    root, expires_at, schema_id = request
    message = {"root": root, "expiresAt": expires_at, "schemaId": schema_id, "deadline": deadline}
    return bytes(signer.sign_typed_data(typed_request("IssueBatch", message, chain_id, verifying_contract)).signature)


def malleate(signature: bytes) -> bytes:
    """The other valid ECDSA signature of the same digest: s' = n - s (high s) and v flipped (27 <-> 28)."""
    assert len(signature) == 65
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    assert s <= SECP256K1_N // 2, "eth-account produces low-s signatures"
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])




def calldata_gas(data: bytes) -> int:
    """Intrinsic calldata cost (EIP-2028): 4 gas per zero byte, 16 per non-zero byte."""
    return sum(4 if b == 0 else 16 for b in data)
