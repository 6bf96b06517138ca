"""The subject of a certificate as a keyed hash: the raw identifier is hashed on the server and never stored.

subject = HMAC-SHA-256(registry key, canonical identifier) (`pilotkit.cash_claims.beneficiary_id`), where the
registry key = HMAC-SHA-256(master identity key, "pilotkit/certificate-subject/v1|<chainId>|<registry>").
The master key is `PILOTKIT_API_IDENTITY_KEY` (hex, at least 32 bytes). Without it, on a local chain only, a
random key per registry is generated once and kept in `cert_subject_keys`; on a real network the service
answers 503 naming the setting. Keys are never logged or returned.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pilotkit.cash_claims import beneficiary_id
from pilotkit_backend.core.config import Settings
from pilotkit_backend.core.problems import ServiceUnavailable, Unprocessable
from pilotkit_backend.kinds.certs.models import CertSubjectKey
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.identity import parse_master_key

MAX_IDENTIFIER = 128
_SPACES = re.compile(r"\s+")


def canonical_identifier(raw: str) -> str:
    """NFC, trimmed, inner whitespace collapsed to one space; 1..128 printable characters (422 otherwise).

    Errors name the rule, never the value.
    """
    text = _SPACES.sub(" ", unicodedata.normalize("NFC", raw)).strip()
    if not text or len(text) > MAX_IDENTIFIER:
        raise Unprocessable(f"subject must be 1 to {MAX_IDENTIFIER} characters")
    if not text.isprintable():
        raise Unprocessable("subject must contain printable characters only")
    return text


def _master_key(settings: Settings) -> bytes | None:
    return parse_master_key(settings.identity_key) if settings.identity_key else None


def registry_key(settings: Settings, sessions: sessionmaker[Session], chain: ChainContext, registry: str) -> bytes:
    """The key for subject hashes of one registry (see the module docstring)."""
    master = _master_key(settings)
    if master is not None:
        label = f"pilotkit/certificate-subject/v1|{chain.chain_id}|{registry}".encode()
        return hmac.new(master, label, hashlib.sha256).digest()
    if not chain.is_local:
        raise ServiceUnavailable("subject hashing needs PILOTKIT_API_IDENTITY_KEY on this network; the operator "
                                 "must set it (hex, 32 bytes or more)")
    return _generated_key(sessions, chain.chain_id, registry)


def _generated_key(sessions: sessionmaker[Session], chain_id: int, registry: str) -> bytes:
    """Get or create (in its own transaction, so a rolled-back request cannot lose it) the local-chain key."""
    for _ in range(2):
        with sessions() as session:
            row = session.get(CertSubjectKey, (chain_id, registry))
            if row is not None:
                return bytes.fromhex(row.secret)
            session.add(CertSubjectKey(chain_id=chain_id, registry_address=registry, secret=secrets.token_hex(32)))
            try:
                session.commit()
            except IntegrityError:  # a concurrent request created it first: read theirs
                session.rollback()
    raise ServiceUnavailable("could not create the subject-hash key; retry")


def subject_hash(key: bytes, raw_identifier: str) -> str:
    """The subject's keyed hash as 0x-hex."""
    return "0x" + beneficiary_id(key, canonical_identifier(raw_identifier)).hex()
