"""Beneficiary identity: canonical identifiers and the per-programme keyed hash put on chain instead of them.

    programme key  = HMAC-SHA256(master identity key, "pilotkit/beneficiary-id/v1|<chainId>|<programme, lowercase>")
    beneficiary_id = HMAC-SHA256(programme key, canonical identifier)      (pilotkit.cash_claims.beneficiary_id)

The master key is `settings.identity_key` (hex, at least 32 bytes; env PILOTKIT_API_IDENTITY_KEY). It never
leaves the service: never logged, never returned, never on chain. On a local chain without it, one is generated
once and kept in `cash_identity_secrets` (dev convenience only); on any other network the routes that need it
answer 503 naming the setting. Losing the key makes every enrolled person impossible to look up again, and
changing it changes every id: back it up with the database and never rotate it for a running programme.

Canonical identifier: Unicode NFC, surrounding whitespace stripped, inner whitespace runs collapsed to one space,
case-folded (national ids, phone numbers and registry codes are case-insensitive), then NFC again; 1 to 128
characters, printable. Error messages never quote the identifier.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import unicodedata
from dataclasses import dataclass

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from pilotkit.cash_claims import beneficiary_id as keyed_hash
from pilotkit_backend.core.problems import ServiceUnavailable, Unprocessable
from pilotkit_backend.kinds.cash.models.beneficiaries import IdentitySecret
from pilotkit_backend.platform.identity import MIN_KEY_BYTES, SETTING, parse_master_key

MAX_IDENTIFIER = 128
_LOCAL_SECRET_NAME = "identity_key"
_DOMAIN = "pilotkit/beneficiary-id/v1"


class InvalidIdentifier(ValueError):
    """An identifier that cannot be canonicalised; the message is safe to show (it never quotes the value)."""


def canonical_identifier(raw: object) -> str:
    """The canonical form of a raw identifier (module docstring), or InvalidIdentifier naming the rule broken."""
    if not isinstance(raw, str):
        raise InvalidIdentifier("identifier must be a string")
    text = unicodedata.normalize("NFC", raw)
    text = " ".join(text.split())
    text = unicodedata.normalize("NFC", text.casefold())
    if not text:
        raise InvalidIdentifier("identifier is empty")
    if len(text) > MAX_IDENTIFIER:
        raise InvalidIdentifier(f"identifier is longer than {MAX_IDENTIFIER} characters")
    if not text.isprintable():
        raise InvalidIdentifier("identifier contains control or unprintable characters")
    return text


@dataclass(frozen=True)
class ProgrammeIdentity:
    """Hashes identifiers for one programme. Holds derived key material: never log or return it."""

    chain_id: int
    programme: str
    _key: bytes

    def __repr__(self) -> str:  # keep the key out of tracebacks and debug output
        return f"ProgrammeIdentity(chain_id={self.chain_id}, programme={self.programme})"

    def hash_canonical(self, canonical: str) -> bytes:
        return keyed_hash(self._key, canonical)

    def beneficiary_id(self, raw_identifier: object) -> bytes:
        """The 32-byte keyed hash of a raw identifier (InvalidIdentifier for a bad one)."""
        return self.hash_canonical(canonical_identifier(raw_identifier))

    def beneficiary_id_or_422(self, raw_identifier: object, field: str = "identifier") -> bytes:
        try:
            return self.beneficiary_id(raw_identifier)
        except InvalidIdentifier as exc:
            raise Unprocessable(f"{field}: {exc}") from None


def programme_key(master: bytes, chain_id: int, programme: str) -> bytes:
    message = f"{_DOMAIN}|{int(chain_id)}|{programme.lower()}".encode()
    return hmac.new(master, message, hashlib.sha256).digest()


class IdentityKeys:
    """The service's master key source: the setting, else (local chains only) a generated, stored one."""

    def __init__(self, configured: str | None, session_factory: sessionmaker[Session]) -> None:
        self._configured = configured
        self._factory = session_factory
        self._master: bytes | None = None

    def master(self, is_local: bool) -> bytes:
        if self._master is not None:
            return self._master
        if self._configured:
            self._master = parse_master_key(self._configured)
        elif is_local:
            self._master = self._local_secret()
        else:
            raise ServiceUnavailable(
                f"beneficiary identifiers cannot be hashed: set {SETTING} (hex, {MIN_KEY_BYTES}+ random bytes) "
                "for this network"
            )
        return self._master

    def for_programme(self, chain_id: int, programme: str, is_local: bool) -> ProgrammeIdentity:
        return ProgrammeIdentity(chain_id, programme, programme_key(self.master(is_local), chain_id, programme))

    def _local_secret(self) -> bytes:
        """Read or create the generated local key in its own committed transaction (safe under races)."""
        for _ in range(3):
            with self._factory() as session:
                row = session.get(IdentitySecret, _LOCAL_SECRET_NAME)
                if row is not None:
                    return bytes.fromhex(row.secret_hex)
                session.add(IdentitySecret(name=_LOCAL_SECRET_NAME, secret_hex=secrets.token_hex(MIN_KEY_BYTES)))
                try:
                    session.commit()
                except IntegrityError:
                    session.rollback()
        raise ServiceUnavailable("could not create the local identity key; retry")
