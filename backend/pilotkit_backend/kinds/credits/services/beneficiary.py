"""Retirement beneficiaries: a readable name off chain, a keyed hash on chain, and erasure that really unlinks.

On chain a retirement's `beneficiary` is `HMAC-SHA-256(key, salt || name)`, where
- `key` is derived per chain and registry from `settings.identity_key` (on local chains without one, from a
  secret generated once and kept in `credit_local_secrets`); without the key nobody can test a guessed name;
- `salt` is 32 random bytes per retirement, kept next to the name in `credit_beneficiaries`. Erasure deletes the
  name and the salt, so afterwards not even the operator (who holds the key) can tie the on-chain hash to a name.
Names are never logged.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import unicodedata

from sqlalchemy import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pilotkit_backend.core.config import Settings
from pilotkit_backend.core.problems import ServiceUnavailable
from pilotkit_backend.kinds.credits.models import CreditLocalSecret
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.identity import parse_master_key

KEY_CONTEXT = b"pilotkit/credits/retirement-beneficiary/v1"
NO_BENEFICIARY = "0x" + "00" * 32
_SPACES = re.compile(r"\s+")


def canonical_name(name: str) -> str:
    """NFC, inner whitespace collapsed to one space, trimmed: what the hash is computed over."""
    return _SPACES.sub(" ", unicodedata.normalize("NFC", name)).strip()


def _root_secret(settings: Settings, chain: ChainContext, engine: Engine) -> bytes:
    if settings.identity_key:
        return parse_master_key(settings.identity_key)
    if not chain.is_local:
        raise ServiceUnavailable("identity_key is not configured; retirements with a beneficiary name need it")
    return bytes.fromhex(_local_secret(engine, chain.chain_id))


def _local_secret(engine: Engine, chain_id: int) -> str:
    """The generated secret of a local chain, created on first use (in its own transaction)."""
    with Session(engine) as session:
        row = session.get(CreditLocalSecret, chain_id)
        if row is not None:
            return row.secret
        session.add(CreditLocalSecret(chain_id=chain_id, secret=secrets.token_hex(32)))
        try:
            session.commit()
        except IntegrityError:  # a concurrent request made it first
            session.rollback()
        row = session.get(CreditLocalSecret, chain_id, populate_existing=True)
        assert row is not None
        return row.secret


def beneficiary_key(settings: Settings, chain: ChainContext, engine: Engine, registry: str) -> bytes:
    """The HMAC key for beneficiary hashes of one registry (503 if the service has no identity secret).

    Call it before the request writes anything: on a local chain it may commit the generated secret.
    """
    root = _root_secret(settings, chain, engine)
    message = KEY_CONTEXT + b"|" + str(chain.chain_id).encode() + b"|" + registry.lower().encode()
    return hmac.new(root, message, hashlib.sha256).digest()


def beneficiary_hash(key: bytes, salt: bytes, name: str) -> str:
    """The on-chain beneficiary value (bytes32, 0x-hex) for `name` with this retirement's `salt`."""
    digest = hmac.new(key, salt + canonical_name(name).encode("utf-8"), hashlib.sha256).digest()
    return "0x" + digest.hex()


def new_salt() -> bytes:
    return secrets.token_bytes(32)
