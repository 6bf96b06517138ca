"""Typed dependencies for routes: database session, settings, the calling API key, scopes, bindings, idempotency.

Order inside one request: authenticate → rate limit (429 before anything is written or queued) → scope
(403) → Idempotency-Key (400/409/422 or a replay) → the handler, which checks bindings (404) on the objects
it touches.

Object-level authorisation answers 404, not 403, when a bound key asks for another object: a key bound to
programme A must not learn whether programme B exists (OWASP API1). A missing scope is 403: what a key may do
is no secret to its holder.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import Depends, Header, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.orm import Session

from pilotkit_backend.core.config import Settings
from pilotkit_backend.core.problems import (
    Forbidden,
    IdempotencyKeyInProgress,
    IdempotencyKeyInvalid,
    IdempotencyKeyMissing,
    IdempotencyKeyReused,
    ServiceUnavailable,
    TooManyRequests,
    Unauthorized,
)
from pilotkit_backend.platform import auth
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.idempotency import (
    KEY_RE,
    Claim,
    IdempotencyStore,
    KeyInProgress,
    KeyReused,
    fingerprint,
)
from pilotkit_backend.platform.models.access import Scope
from pilotkit_backend.platform.ratelimit import TokenBucketLimiter

COMMIT_GUARD = "pilotkit.idempotent_request"  # Session.info flag: the route, not the handler, commits

bearer_scheme = HTTPBearer(auto_error=False, description="an API key created with `pilotkit api-key create`")
api_key_scheme = APIKeyHeader(name="X-API-Key", auto_error=False, description="the same API key, as a header")


def get_settings(request: Request) -> Settings:
    settings: Settings = request.app.state.settings
    return settings


def get_session(request: Request) -> Iterator[Session]:
    """One session per request; uncommitted work is rolled back when the request ends."""
    with request.app.state.session_factory() as session:
        yield session


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_session)]


def get_chain(request: Request) -> ChainContext:
    """The service's chain (503 when the service was started without one)."""
    chain: ChainContext | None = getattr(request.app.state, "chain", None)
    if chain is None:
        raise ServiceUnavailable("this service has no chain attached; start it with `pilotkit serve`")
    return chain


ChainDep = Annotated[ChainContext, Depends(get_chain)]


def current_key(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer_scheme)],
    header_key: Annotated[str | None, Depends(api_key_scheme)],
) -> auth.AuthenticatedKey:
    """The calling key (401 if missing, unknown or revoked), after its rate limit (429)."""
    token = bearer.credentials if bearer is not None else header_key
    try:
        with request.app.state.session_factory() as session:
            key = auth.authenticate(session, token)
    except auth.AuthError as exc:
        raise Unauthorized(exc.reason) from None
    request.state.api_key_id = key.id
    limiter: TokenBucketLimiter = request.app.state.rate_limiter
    wait = limiter.acquire(key.id)
    if wait > 0:
        raise TooManyRequests(limiter.retry_after(wait))
    return key


CurrentKey = Annotated[auth.AuthenticatedKey, Depends(current_key)]


def require_scope(*scopes: Scope | str) -> Any:
    """`Annotated[AuthenticatedKey, require_scope(Scope.disburser)]`: the key must hold one of `scopes` (403)."""
    wanted = tuple(Scope(s) for s in scopes)
    names = ", ".join(s.value for s in wanted)

    def check(key: CurrentKey) -> auth.AuthenticatedKey:
        if not key.has_any(wanted):
            raise Forbidden(f"this API key needs one of these scopes: {names}")
        return key

    check.__name__ = f"require_scope_{'_'.join(s.value for s in wanted)}"
    return Depends(check)


def bound_to(kind: str, path_param: str) -> Any:
    """Route dependency: the object named by path parameter `path_param` must be visible to the key (404)."""

    def check(request: Request, key: CurrentKey) -> None:
        auth.ensure_bound(key, kind, str(request.path_params.get(path_param, "")))

    return Depends(check)


class IdempotencyContext:
    """What `IdempotencyDep` hands the handler; the route class (api.routing) finishes or releases it."""

    def __init__(self, store: IdempotencyStore, claim: Claim, session: Session) -> None:
        self.store = store
        self.claim = claim
        self.session = session
        #: what a replay answers instead of the response body, when that body holds something never to be
        #: stored (the one-time secret of a new API key); None: the body itself
        self.replay_body: bytes | None = None

    @property
    def key(self) -> str:
        return self.claim.key

    @property
    def ref(self) -> str:
        """A unique reference for what this request creates (e.g. a job's `idempotency_ref`): one per record,
        so it never collides with a later operation that reuses an expired key."""
        return f"idem:{self.claim.record_id}"


async def idempotency(
    request: Request,
    key: CurrentKey,
    session: SessionDep,
    idempotency_key: Annotated[
        str | None,
        Header(
            description="unique per logical operation (e.g. a UUID); a retry with the same key and body gets the "
            "first answer; 1-255 visible ASCII characters",
        ),
    ] = None,
) -> IdempotencyContext:
    """Require and claim `Idempotency-Key` for a POST that moves value or issues something.

    Missing → 400; same key and request, completed → the stored response is replayed (raises Replay, answered
    by the app); still running → 409; same key, different request → 422. Records are per API key.
    """
    from pilotkit_backend.api.routing import IdempotentRoute  # (routing imports this module)

    if not isinstance(request.scope.get("route"), IdempotentRoute):
        raise RuntimeError("IdempotencyDep used on a route not built with api.routing.IdempotentRoute")
    if idempotency_key is None or not idempotency_key.strip():
        raise IdempotencyKeyMissing("this POST writes, so it needs an Idempotency-Key header (any unique string, "
                                    "e.g. a UUID; a retry with the same key gets the first answer)")
    if not KEY_RE.fullmatch(idempotency_key):
        raise IdempotencyKeyInvalid("an Idempotency-Key is 1-255 visible ASCII characters (a UUID is ideal)")
    body = await request.body()
    fp = fingerprint(request.method, request.url.path, request.url.query, request.headers.get("content-type"), body)
    store: IdempotencyStore = request.app.state.idempotency
    try:
        claim = await run_in_threadpool(store.claim, key.id, idempotency_key, fp)
    except KeyReused:
        raise IdempotencyKeyReused(
            "this Idempotency-Key was first used with a different request; use a new key for a new operation"
        ) from None
    except KeyInProgress:
        raise IdempotencyKeyInProgress(
            "the first request with this Idempotency-Key is still running; retry later", headers={"Retry-After": "1"}
        ) from None
    context = IdempotencyContext(store, claim, session)
    session.info[COMMIT_GUARD] = True
    request.state.idempotency = context
    gate = getattr(request.app.state, "write_gate", None)
    if gate is not None:  # writing requests pass a gate in arrival order (see main.lifespan; the route releases it)
        await gate.acquire()
        request.state.write_gate = gate
    return context


IdempotencyDep = Annotated[IdempotencyContext, Depends(idempotency)]
