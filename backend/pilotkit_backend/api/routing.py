"""`IdempotentRoute`: the route class that stores (or releases) an Idempotency-Key claim.

Build routers whose POSTs use `IdempotencyDep` with `APIRouter(route_class=IdempotentRoute)`. After the
handler returns, a success (2xx/3xx) is stored with `IdempotencyStore.complete` in the request's own session
and committed together with everything the handler wrote: both land or neither does. So handlers on these
routes must not commit (the session refuses: `IdempotencyMisuse`); `session.flush()` is fine for new ids.
An exception or an error status rolls the handler's writes back and releases the key, so a retry runs again.
A replay (`platform.idempotency.Replay`) is answered by the app with the stored status, headers and body plus
`Idempotent-Replayed: true`. A handler whose answer holds a one-time secret sets `idem.replay_body` to the
redacted body, which is what gets stored and replayed.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

import anyio
from fastapi import FastAPI, Request, Response
from fastapi.routing import APIRoute
from sqlalchemy import event
from sqlalchemy.orm import Session, sessionmaker

from pilotkit_backend.api.deps import COMMIT_GUARD, IdempotencyContext
from pilotkit_backend.core.problems import IdempotencyKeyInProgress, problem_responses
from pilotkit_backend.platform.idempotency import ClaimLost, Replay, StoredResponse, replayable_headers

_COMMITTING = "pilotkit.idempotent_commit"
# `responses=` for routes with IdempotencyDep: the problems they can answer besides validation (422).
IDEMPOTENT_RESPONSES = problem_responses(400, 401, 403, 404, 409, 422, 429)
REPLAYED_HEADER = "Idempotent-Replayed"


class IdempotencyMisuse(RuntimeError):
    """A handler on an idempotent route committed, or returned a response that cannot be stored."""


class IdempotentRoute(APIRoute):
    """APIRoute that finishes the request's Idempotency-Key claim (module docstring)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        inner = super().get_route_handler()

        async def handler(request: Request) -> Response:
            await request.body()  # cache it: the fingerprint and form parsing both read it
            try:
                return await finish(request)
            finally:
                gate = getattr(request.state, "write_gate", None)
                if gate is not None:
                    request.state.write_gate = None
                    gate.release()

        async def finish(request: Request) -> Response:
            try:
                response = await inner(request)
            except BaseException:
                context = getattr(request.state, "idempotency", None)
                if context is not None:
                    with anyio.CancelScope(shield=True):  # a client that hangs up must not leave the key held
                        await _in_finisher(request, _abandon, context)
                raise
            context = getattr(request.state, "idempotency", None)
            if context is None:
                return response
            with anyio.CancelScope(shield=True):
                if 200 <= response.status_code < 400:
                    await _in_finisher(request, _finish, context, response)
                else:
                    await _in_finisher(request, _abandon, context)
            return response

        return handler


FINISHER_THREADS = 16


async def _in_finisher(request: Request, function: Callable[..., None], *args: Any) -> None:
    """Run a commit or rollback on the app's finisher threads, never queued behind handler threads: a request
    holding SQLite's write lock must always be able to finish, even while every handler thread waits for it."""
    state = request.app.state
    limiter = getattr(state, "finishers", None)
    if limiter is None:
        limiter = state.finishers = anyio.CapacityLimiter(FINISHER_THREADS)
    await anyio.to_thread.run_sync(function, *args, limiter=limiter)


def _finish(context: IdempotencyContext, response: Response) -> None:
    session = context.session
    body = getattr(response, "body", None)
    if not isinstance(body, bytes):
        _abandon(context)
        raise IdempotencyMisuse("idempotent routes must return a complete (non-streaming) response")
    headers = replayable_headers(response.headers)
    if context.replay_body is not None:  # the answer holds a one-time secret: store the redacted body instead
        body = context.replay_body
        headers.pop("content-length", None)
    stored = StoredResponse(response.status_code, headers, body)
    try:
        context.store.complete(session, context.claim, stored)
        session.info[_COMMITTING] = True
        try:
            session.commit()
        finally:
            session.info.pop(_COMMITTING, None)
    except ClaimLost:
        session.rollback()
        raise IdempotencyKeyInProgress(
            "another request took over this Idempotency-Key; retry to get its answer", headers={"Retry-After": "1"}
        ) from None
    except BaseException:
        _abandon(context)
        raise
    finally:
        session.info.pop(COMMIT_GUARD, None)


def _abandon(context: IdempotencyContext) -> None:
    context.session.rollback()  # first: on SQLite the handler's write lock must go before the release writes
    context.session.info.pop(COMMIT_GUARD, None)
    context.store.release(context.claim)


def _refuse_handler_commit(session: Session) -> None:
    if session.info.get(COMMIT_GUARD) and not session.info.get(_COMMITTING):
        raise IdempotencyMisuse(
            "handlers on idempotent routes must not commit: the route commits their writes "
            "together with the stored response (use session.flush() for new ids)"
        )


def install_commit_guard(session_factory: sessionmaker[Session]) -> None:
    event.listen(session_factory, "before_commit", _refuse_handler_commit)


async def replay_handler(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Replay)
    stored = exc.stored
    headers = {**stored.headers, REPLAYED_HEADER: "true"}
    return Response(content=stored.body, status_code=stored.status, headers=headers)


def install_replay_handler(app: FastAPI) -> None:
    app.add_exception_handler(Replay, replay_handler)
