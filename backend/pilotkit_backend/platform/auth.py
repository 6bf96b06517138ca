"""API keys: generate, store hashed, authenticate, list, revoke; object bindings; the audit trail of changes.

A token is `pk_<prefix>_<secret>`: 12 hex characters of public prefix (the lookup id, safe to show and log)
and 43 url-safe characters (256 random bits). Only SHA-256 of the whole token is stored, compared with
`hmac.compare_digest` (see `platform.models.access` for why a plain hash is enough for random tokens).
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from pilotkit_backend.core.problems import NotFound
from pilotkit_backend.platform.models.access import ApiKey, BindingKind, Scope, utcnow
from pilotkit_backend.platform.models.key_audit import KeyAuditEvent

TOKEN_RE = re.compile(r"pk_([0-9a-f]{12})_[A-Za-z0-9_-]{43}")
_DUMMY_HASH = hashlib.sha256(b"pilotkit: no such key").hexdigest()
LAST_USED_EVERY = timedelta(seconds=60)  # write last_used_at at most once a minute per key


class AuthError(Exception):
    """Authentication failed; `reason` is safe to show (it never quotes the token)."""

    reason = "invalid API key"


class MissingKey(AuthError):
    reason = "no API key: send `Authorization: Bearer <key>` or `X-API-Key: <key>`"


class InvalidKey(AuthError):
    reason = "invalid API key"


class RevokedKey(AuthError):
    reason = "this API key was revoked"


class KeyNotFound(LookupError):
    """No API key with that id or prefix."""


class InvalidBinding(ValueError):
    """A binding is not `KIND:ID` with a known kind and a non-empty id."""


@dataclass(frozen=True)
class Binding:
    """The one object a key is limited to (`kind` is programme or registry; `object_id` normalised)."""

    kind: str
    object_id: str

    def __str__(self) -> str:
        return f"{self.kind}:{self.object_id}"


@dataclass(frozen=True)
class AuthenticatedKey:
    """The calling key as routes see it: never the secret or its hash."""

    id: int
    prefix: str
    label: str
    scopes: frozenset[Scope]
    binding: Binding | None

    def has_any(self, scopes: Iterable[Scope | str]) -> bool:
        return any(Scope(s) in self.scopes for s in scopes)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def generate_token() -> tuple[str, str]:
    """A new (prefix, token) pair."""
    prefix = secrets.token_hex(6)
    return prefix, f"pk_{prefix}_{secrets.token_urlsafe(32)}"


def normalise_object_id(object_id: str) -> str:
    """Addresses and hashes compare case-insensitively (checksummed or not): hex ids are lower-cased."""
    text = object_id.strip()
    return text.lower() if re.fullmatch(r"0[xX][0-9a-fA-F]+", text) else text


def make_binding(kind: str, object_id: str) -> Binding:
    try:
        kind = BindingKind(kind.strip().lower()).value
    except ValueError:
        known = ", ".join(k.value for k in BindingKind)
        raise InvalidBinding(f"unknown binding kind {kind!r}; use one of: {known}") from None
    normalised = normalise_object_id(object_id)
    if not normalised or len(normalised) > 128:
        raise InvalidBinding("the bound object id must be 1-128 characters")
    return Binding(kind, normalised)


def parse_binding(text: str) -> Binding:
    """`programme:0xAbC...` → Binding."""
    kind, sep, object_id = text.partition(":")
    if not sep:
        raise InvalidBinding("a binding is KIND:ID, e.g. programme:0x5FbDB2315678afecb367f032d93F642f64180aa3")
    return make_binding(kind, object_id)


def _public(row: ApiKey) -> AuthenticatedKey:
    binding = Binding(row.bound_kind, row.bound_id) if row.bound_kind and row.bound_id else None
    return AuthenticatedKey(row.id, row.prefix, row.label, frozenset(Scope(s) for s in row.scopes), binding)


def authenticate(session: Session, token: str | None, now: datetime | None = None) -> AuthenticatedKey:
    """The key a token belongs to; raises MissingKey, InvalidKey or RevokedKey (checked only after the secret)."""
    if not token:
        raise MissingKey
    match = TOKEN_RE.fullmatch(token.strip())
    row = session.scalar(select(ApiKey).where(ApiKey.prefix == match.group(1))) if match else None
    presented = hash_token(token.strip())
    if not hmac.compare_digest(presented, row.secret_hash if row is not None else _DUMMY_HASH) or row is None:
        raise InvalidKey
    if row.revoked_at is not None:
        raise RevokedKey
    now = now or utcnow()
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        session.execute(update(ApiKey).where(ApiKey.id == row.id).values(last_used_at=now))
        session.commit()
    return _public(row)


def create_key(
    session: Session, label: str, scopes: Iterable[Scope | str], binding: Binding | None = None, *,
    actor: AuthenticatedKey | None = None, commit: bool = True,
) -> tuple[ApiKey, str]:
    """Store a new key and return (row, token). The token exists only in this return value: show it once.

    An audit event records the creation by `actor` (None: the `pilotkit api-key` command). With `commit=False`
    the writes are only flushed (idempotent routes commit them with their stored answer).
    """
    chosen = sorted({Scope(s).value for s in scopes})
    if not chosen:
        raise ValueError("a key needs at least one scope")
    label = label.strip()
    if not label or len(label) > 200:
        raise ValueError("the label must be 1-200 characters")
    for _ in range(5):
        prefix, token = generate_token()
        row = ApiKey(
            prefix=prefix,
            secret_hash=hash_token(token),
            label=label,
            scopes=chosen,
            bound_kind=binding.kind if binding else None,
            bound_id=binding.object_id if binding else None,
            created_at=utcnow(),
        )
        if session.scalar(select(ApiKey.id).where(ApiKey.prefix == prefix)) is not None:
            continue  # a prefix collision (48 random bits): draw again
        session.add(row)
        try:
            session.flush()
            _audit(session, "created", row, actor)
            if commit:
                session.commit()
        except IntegrityError:  # a concurrent key drew the same prefix
            if not commit:
                raise
            session.rollback()
            continue
        return row, token
    raise RuntimeError("could not draw a unique key prefix")


def _audit(session: Session, action: str, row: ApiKey, actor: AuthenticatedKey | None) -> None:
    binding = f"{row.bound_kind}:{row.bound_id}" if row.bound_kind else None
    session.add(KeyAuditEvent(
        at=utcnow(), action=action, key_id=row.id, actor_key_id=actor.id if actor is not None else None,
        actor=f"api-key {actor.id} ({actor.prefix})" if actor is not None else "cli",
        detail={"label": row.label, "scopes": list(row.scopes), "binding": binding},
    ))
    session.flush()


def is_admin_key(row: ApiKey) -> bool:
    """An active, unbound key with the admin scope: one that can manage every key and contract."""
    return row.revoked_at is None and row.bound_kind is None and Scope.admin.value in row.scopes


def other_admin_keys(session: Session, row: ApiKey) -> int:
    """How many unbound admin keys stay active if `row` is revoked."""
    return sum(1 for k in list_keys(session) if k.id != row.id and is_admin_key(k))


def key_events(session: Session, after: int | None = None, limit: int | None = None) -> list[KeyAuditEvent]:
    """The audit trail, oldest first (after event id `after`)."""
    query = select(KeyAuditEvent).order_by(KeyAuditEvent.id).limit(limit)
    if after is not None:  # a cursor may exceed the 32-bit id column (PostgreSQL refuses such a literal)
        query = query.where(KeyAuditEvent.id > min(after, 2**31 - 1))
    return list(session.scalars(query))


def list_keys(session: Session) -> list[ApiKey]:
    return list(session.scalars(select(ApiKey).order_by(ApiKey.id)))


def find_key(session: Session, id_or_prefix: str) -> ApiKey:
    text = id_or_prefix.strip()
    if text.startswith("pk_"):
        text = text[3:15]
    row = session.get(ApiKey, int(text)) if text.isdigit() else None
    if row is None:
        row = session.scalar(select(ApiKey).where(ApiKey.prefix == text))
    if row is None:
        raise KeyNotFound(f"no API key {id_or_prefix!r}")
    return row


def revoke_key(session: Session, id_or_prefix: str | ApiKey, *, actor: AuthenticatedKey | None = None,
               commit: bool = True) -> tuple[ApiKey, bool]:
    """Revoke a key (by id, prefix or row); returns (row, True) if it was active until now (audited)."""
    row = id_or_prefix if isinstance(id_or_prefix, ApiKey) else find_key(session, id_or_prefix)
    if row.revoked_at is not None:
        return row, False
    row.revoked_at = utcnow()
    session.flush()
    _audit(session, "revoked", row, actor)
    if commit:
        session.commit()
    return row, True


def ensure_bound(key: AuthenticatedKey, kind: str, object_id: str) -> None:
    """Raise 404 unless `key` may see object (`kind`, `object_id`): unbound keys see all, bound keys one."""
    if key.binding is None:
        return
    if key.binding.kind != kind or key.binding.object_id != normalise_object_id(object_id):
        raise NotFound(f"no such {kind}")
