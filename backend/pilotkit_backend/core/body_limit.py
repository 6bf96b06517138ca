"""Request-body size limit: 413 problem+json for bodies over `settings.max_upload_bytes`, or over a route's own.

A declared `Content-Length` over the limit is refused before the body is read; a chunked body is counted as it
streams and refused as soon as it passes the limit (`BodyTooLarge`, answered by the app's problem handler), so
no handler ever sees, stores or queues part of an oversized request. A route may declare a smaller limit of its
own with `openapi_extra={"x-max-body-bytes": N}` (it is then also in the OpenAPI document); it applies before any
other check, the JSON guard included.
"""

from __future__ import annotations

from collections.abc import Sequence
from re import Pattern
from typing import Any

from fastapi import FastAPI, Request
from fastapi.routing import iter_route_contexts
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pilotkit_backend.core.problems import ProblemResponse, problem_response, request_id_of


class BodyTooLarge(Exception):
    """The request body passed the size limit while streaming."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"request body over {limit} bytes")
        self.limit = limit


def too_large(limit: int, request_id: str | None) -> ProblemResponse:
    return problem_response(None, 413, type_="/problems/body-too-large", title="Request body too large",
                            detail=f"the request body is larger than {limit} bytes", request_id=request_id)


ROUTE_LIMIT_KEY = "x-max-body-bytes"


class RouteLimits:
    """The routes that declare a smaller body limit (`openapi_extra={"x-max-body-bytes": N}`), by path and method."""

    def __init__(self) -> None:
        self._limits: list[tuple[Pattern[str], frozenset[str], int]] = []

    def collect(self, routes: Sequence[Any]) -> None:
        """Read the declared limits of an app's routes, included routers' too (call once every one is included)."""
        self._limits = []
        for context in iter_route_contexts(routes):
            declared = (getattr(context.original_route, "openapi_extra", None) or {}).get(ROUTE_LIMIT_KEY)
            if declared is not None:
                self._limits.append((context.path_regex, frozenset(context.methods or ()), int(declared)))

    def limit_for(self, scope: Scope, default: int) -> int:
        path, method = scope.get("path", ""), scope.get("method", "")
        return min([limit for regex, methods, limit in self._limits if method in methods and regex.match(path)],
                   default=default)


class BodyLimitMiddleware:
    """Pure ASGI: checks Content-Length, then counts streamed bytes."""

    def __init__(self, app: ASGIApp, limit: int, routes: RouteLimits | None = None) -> None:
        self.app = app
        self.limit = limit
        self.routes = routes or RouteLimits()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.routes.limit_for(scope, self.limit)
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > limit:
                    request_id = scope.get("state", {}).get("request_id")
                    await too_large(limit, request_id)(scope, receive, send)
                    return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, counting_receive, send)


async def _body_too_large(request: Request, exc: Exception) -> ProblemResponse:
    limit = exc.limit if isinstance(exc, BodyTooLarge) else request.app.state.settings.max_upload_bytes
    return too_large(limit, request_id_of(request))


def install_body_limit(app: FastAPI, limit: int) -> RouteLimits:
    """Add the limit; returns the routes' own limits, to `collect(app.routes)` once every router is included."""
    routes = RouteLimits()
    app.add_exception_handler(BodyTooLarge, _body_too_large)
    app.add_middleware(BodyLimitMiddleware, limit=limit, routes=routes)
    return routes
