"""The outermost request layer: request ids, access log, metrics, and the last-resort 500.

Unexpected exceptions are answered here (generic problem+json with the request id) and *not* re-raised, so
neither Starlette's error middleware nor the ASGI server prints a traceback: a traceback can quote personal
data or keys from exception messages. The log line names the exception type and where it was raised only.
The access log records method, route template (not the raw path), status, duration, request id and key id —
no client address, query string or body.
"""

from __future__ import annotations

import logging
import re
import time
import traceback
import uuid

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pilotkit_backend.core.metrics import Metrics
from pilotkit_backend.core.problems import internal_error_response

access_log = logging.getLogger("pilotkit_backend.access")
error_log = logging.getLogger("pilotkit_backend.errors")

REQUEST_ID_HEADER = "X-Request-ID"
_SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def route_template(scope: Scope) -> str:
    """The matched route's path template (bounded label cardinality), or `<unmatched>`."""
    route = scope.get("route")
    path = getattr(route, "path", None)
    return path if isinstance(path, str) else "<unmatched>"


def _where(exc: BaseException) -> str:
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return "?"
    last = frames[-1]
    return f"{last.filename.rsplit('/', 1)[-1]}:{last.lineno} in {last.name}"


class RequestContextMiddleware:
    """Pure ASGI middleware (no body buffering; streaming responses pass through)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next(
            (
                v.decode("latin-1")
                for k, v in scope.get("headers", [])
                if k.lower() == REQUEST_ID_HEADER.lower().encode()
            ),
            "",
        )
        request_id = incoming if _SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        state = scope.setdefault("state", {})
        state["request_id"] = request_id
        started = time.perf_counter()
        status = 500
        response_started = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, response_started
            if message["type"] == "http.response.start":
                status = int(message["status"])
                response_started = True
                MutableHeaders(scope=message)[REQUEST_ID_HEADER] = request_id
            await send(message)

        self.metrics.in_flight.inc()
        try:
            await self.app(scope, receive, send_with_id)
        except Exception as exc:
            error_log.error(
                "unhandled %s at %s: %s %s request_id=%s",
                type(exc).__name__,
                _where(exc),
                scope.get("method"),
                route_template(scope),
                request_id,
            )
            status = 500
            if not response_started:
                await internal_error_response(request_id)(scope, receive, send_with_id)
        finally:
            self.metrics.in_flight.dec()
            elapsed = time.perf_counter() - started
            method, route = str(scope.get("method", "?")), route_template(scope)
            self.metrics.observe(method, route, status, elapsed)
            access_log.info(
                "%s %s %d %.1fms request_id=%s key=%s",
                method,
                route,
                status,
                elapsed * 1000,
                request_id,
                state.get("api_key_id", "-"),
            )
