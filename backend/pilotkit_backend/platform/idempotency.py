"""Idempotency-Key storage: claim a key, store the response with the handler's writes, replay it.

Rules (per API key: two keys never see each other's records):
- first request: a record is inserted `in_progress` with a fresh claim token and committed at once;
- same key, same fingerprint (method, path with query, body hash) and `completed`: the stored status, headers
  and body are replayed; still `in_progress`: 409; different fingerprint: 422 whatever the state;
- the response is stored by `complete`, in the caller's session, so it commits atomically with the handler's
  own writes (a job row, say) — a crash leaves both or neither;
- a request that fails (exception or error status) rolls its writes back and releases the key, so a retry with
  the same key runs again: nothing was done;
- a process that dies mid-request leaves `in_progress`. Every claim records its owner (`ProcessOwner`: worker
  id, host, pid, the pid's start time, an instance id). A restarted service frees at start-up the claims of its
  dead predecessors (`free_abandoned`: same worker id with another instance, or the same host where that pid no
  longer runs that process), and any request that meets a claim whose owner it can tell is gone takes it over at
  once; otherwise, after `lock_seconds`, a retry takes the key over with a new claim token. Nothing of an
  `in_progress` request ever committed (its response commits with its writes), so freeing it is safe; a
  request that did commit is `completed` and replays its stored answer. `complete` only succeeds for the
  current token (compare-and-set), so even a slow original that finishes after a take-over cannot commit a
  second time: its transaction is rolled back and it gets 409.

Concurrency: the unique (api_key_id, key) constraint decides who claims. The insert is `ON CONFLICT DO
NOTHING` on both SQLite and PostgreSQL. SQLite serialises writers (WAL + busy timeout); PostgreSQL makes a
concurrent insert of the same key wait for the first transaction (a few milliseconds: the claim commits alone)
and the compare-and-set updates re-check their WHERE clause on the newest row version under READ COMMITTED.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import secrets
import socket
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Insert, delete, select, update
from sqlalchemy.orm import Session, sessionmaker

from pilotkit import safejson
from pilotkit_backend.platform.models.access import IdempotencyRecord, IdempotencyState, utcnow

KEY_RE = re.compile(r"[\x21-\x7e]{1,255}")  # visible ASCII, as the IETF Idempotency-Key draft suggests
_NOT_REPLAYED = frozenset({"content-length", "date", "server", "set-cookie", "x-request-id", "idempotent-replayed"})


class IdempotencyError(Exception):
    """Base class for the outcomes that stop a request before its handler runs."""


class KeyReused(IdempotencyError):
    """Same key, different request (method, path or body)."""


class KeyInProgress(IdempotencyError):
    """The first request with this key has not finished."""


class ClaimLost(IdempotencyError):
    """Another request took the key over (the lock had expired) before this one stored its response."""


@dataclass(frozen=True)
class Fingerprint:
    method: str
    path: str
    body_sha256: str


@dataclass(frozen=True)
class StoredResponse:
    status: int
    headers: dict[str, str]
    body: bytes


class Replay(IdempotencyError):
    """The key already completed: answer with `stored`."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("replay")
        self.stored = stored


@dataclass(frozen=True)
class Claim:
    record_id: int
    api_key_id: int
    key: str
    token: str


def _process_start(pid: int) -> str:
    """The start time of `pid` in clock ticks since boot (Linux /proc), "" if unknown: pids are reused."""
    try:
        with open(f"/proc/{pid}/stat", "rb") as stat:
            return stat.read().rsplit(b")", 1)[1].split()[19].decode()
    except (OSError, IndexError):
        return ""


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


@dataclass(frozen=True)
class ProcessOwner:
    """Who holds a claim: stored as `w=<worker>;h=<host>;p=<pid>;s=<start>;i=<instance>` in `owner`."""

    worker: str
    host: str
    pid: int
    started: str
    instance: str

    @classmethod
    def current(cls, worker: str | None = None) -> ProcessOwner:
        pid = os.getpid()
        return cls(worker or "", socket.gethostname()[:100], pid, _process_start(pid), uuid.uuid4().hex)

    def encode(self) -> str:
        return f"w={self.worker[:64]};h={self.host};p={self.pid};s={self.started};i={self.instance}"

    @classmethod
    def decode(cls, text: str | None) -> ProcessOwner | None:
        try:
            fields = dict(part.split("=", 1) for part in (text or "").split(";"))
            return cls(fields["w"], fields["h"], int(fields["p"]), fields["s"], fields["i"])
        except (KeyError, ValueError):
            return None

    def sees_gone(self, other: ProcessOwner | None) -> bool:
        """Whether this process can tell that `other` (a claim's owner) no longer runs."""
        if other is None or other.instance == self.instance:
            return False
        if self.worker and other.worker == self.worker:
            return True  # one process per worker id: a claim of another instance is a dead predecessor's
        if other.host != self.host:
            return False  # another machine: only the lock timeout can tell
        if not _pid_alive(other.pid):
            return True
        return bool(other.started) and _process_start(other.pid) not in ("", other.started)  # pid reused


def fingerprint(method: str, path: str, query: str, content_type: str | None, body: bytes) -> Fingerprint:
    """What must match for a retry to count as the same request.

    JSON bodies are compared canonically (key order and whitespace do not matter); multipart bodies without
    their random boundary, so a client library that draws a new boundary on retry still matches.
    """
    media = (content_type or "").split(";")[0].strip().lower()
    canonical = body
    if media == "application/json" or media.endswith("+json"):
        try:
            canonical = json.dumps(safejson.loads(body), sort_keys=True, separators=(",", ":")).encode()
        except (ValueError, UnicodeDecodeError):
            canonical = body
    elif media == "multipart/form-data":
        match = re.search(r'boundary="?([^";]+)"?', content_type or "")
        if match:
            canonical = body.replace(match.group(1).encode("latin-1", "replace"), b"")
    full_path = f"{path}?{query}" if query else path
    return Fingerprint(method.upper(), full_path[:2048], hashlib.sha256(canonical).hexdigest())


def replayable_headers(headers: Mapping[str, str]) -> dict[str, str]:
    return {k.lower(): v for k, v in headers.items() if k.lower() not in _NOT_REPLAYED}


def _insert_ignore(session: Session, values: dict[str, object]) -> Insert:
    if session.get_bind().dialect.name == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(IdempotencyRecord).values(values).on_conflict_do_nothing(index_elements=["api_key_id", "key"])
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(IdempotencyRecord).values(values).on_conflict_do_nothing(index_elements=["api_key_id", "key"])


class IdempotencyStore:
    """Claims, completes, releases and purges Idempotency-Key records (see the module docstring)."""

    def __init__(
        self,
        session_factory: sessionmaker[Session],
        ttl_seconds: float,
        lock_seconds: float,
        clock: Callable[[], datetime] = utcnow,
        owner: ProcessOwner | None = None,
    ) -> None:
        self._sessions = session_factory
        self.ttl = timedelta(seconds=ttl_seconds)
        self.lock = timedelta(seconds=lock_seconds)
        self._clock = clock
        self.owner = owner or ProcessOwner.current()

    def claim(self, api_key_id: int, key: str, fp: Fingerprint) -> Claim:
        """Take the key for this request, or raise Replay, KeyReused or KeyInProgress."""
        with self._sessions() as session:
            for _ in range(4):
                now = self._clock()
                token = secrets.token_hex(16)
                values: dict[str, object] = {
                    "api_key_id": api_key_id,
                    "key": key,
                    "method": fp.method,
                    "path": fp.path,
                    "body_sha256": fp.body_sha256,
                    "state": IdempotencyState.in_progress.value,
                    "claim_token": token,
                    "owner": self.owner.encode(),
                    "locked_at": now,
                    "created_at": now,
                    "expires_at": now + self.ttl,
                }
                record_id = session.scalar(_insert_ignore(session, values).returning(IdempotencyRecord.id))
                session.commit()
                if record_id is not None:
                    return Claim(record_id, api_key_id, key, token)
                row = session.scalar(
                    select(IdempotencyRecord).where(
                        IdempotencyRecord.api_key_id == api_key_id, IdempotencyRecord.key == key
                    )
                )
                if row is None:  # released between our insert and this read: try again
                    continue
                if row.expires_at <= now:  # an old record: forget it and claim afresh
                    session.execute(
                        delete(IdempotencyRecord).where(
                            IdempotencyRecord.id == row.id, IdempotencyRecord.claim_token == row.claim_token
                        )
                    )
                    session.commit()
                    continue
                if (row.method, row.path, row.body_sha256) != (fp.method, fp.path, fp.body_sha256):
                    raise KeyReused
                if row.state == IdempotencyState.completed.value:
                    raise Replay(
                        StoredResponse(
                            int(row.response_status or 200),
                            dict(row.response_headers or {}),
                            bytes(row.response_body or b""),
                        )
                    )
                if now - row.locked_at < self.lock and not self.owner.sees_gone(ProcessOwner.decode(row.owner)):
                    raise KeyInProgress
                taken = session.execute(
                    update(IdempotencyRecord)
                    .where(
                        IdempotencyRecord.id == row.id,
                        IdempotencyRecord.state == IdempotencyState.in_progress.value,
                        IdempotencyRecord.claim_token == row.claim_token,
                    )
                    .values(claim_token=token, locked_at=now, owner=self.owner.encode())
                )
                session.commit()
                if taken.rowcount == 1:  # type: ignore[attr-defined]
                    return Claim(row.id, api_key_id, key, token)
            raise KeyInProgress

    def complete(self, session: Session, claim: Claim, response: StoredResponse) -> None:
        """Store the response in `session` (no commit: the caller commits it with its own writes)."""
        now = self._clock()
        done = session.execute(
            update(IdempotencyRecord)
            .where(
                IdempotencyRecord.id == claim.record_id,
                IdempotencyRecord.claim_token == claim.token,
                IdempotencyRecord.state == IdempotencyState.in_progress.value,
            )
            .values(
                state=IdempotencyState.completed.value,
                response_status=response.status,
                response_headers=response.headers,
                response_body=response.body,
                completed_at=now,
                expires_at=now + self.ttl,
            )
        )
        if done.rowcount != 1:  # type: ignore[attr-defined]
            raise ClaimLost

    def release(self, claim: Claim) -> None:
        """Forget an unfinished claim (the request failed and wrote nothing), so a retry runs again."""
        with self._sessions() as session:
            session.execute(
                delete(IdempotencyRecord).where(
                    IdempotencyRecord.id == claim.record_id,
                    IdempotencyRecord.claim_token == claim.token,
                    IdempotencyRecord.state == IdempotencyState.in_progress.value,
                )
            )
            session.commit()

    def free_abandoned(self) -> int:
        """Forget the in-progress claims whose owner this process can tell is gone (a crashed predecessor's):
        their requests wrote nothing, so a retry runs again at once. Returns how many were freed."""
        freed = 0
        with self._sessions() as session:
            rows = session.execute(
                select(IdempotencyRecord.id, IdempotencyRecord.claim_token, IdempotencyRecord.owner).where(
                    IdempotencyRecord.state == IdempotencyState.in_progress.value,
                    IdempotencyRecord.owner.is_not(None),
                )
            ).all()
            for record_id, token, owner in rows:
                if self.owner.sees_gone(ProcessOwner.decode(owner)):
                    result = session.execute(
                        delete(IdempotencyRecord).where(
                            IdempotencyRecord.id == record_id,
                            IdempotencyRecord.claim_token == token,
                            IdempotencyRecord.state == IdempotencyState.in_progress.value,
                        )
                    )
                    freed += int(result.rowcount)  # type: ignore[attr-defined]
            session.commit()
        return freed

    def purge_expired(self) -> int:
        """Delete records past their expiry; returns how many went."""
        with self._sessions() as session:
            result = session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.expires_at <= self._clock()))
            session.commit()
            return int(result.rowcount)  # type: ignore[attr-defined]
