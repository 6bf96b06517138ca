"""Request-body size limit: 413 problem+json for bodies over `settings.max_upload_bytes`.

A declared `Content-Length` over the limit is refused before the body is read; a chunked body is counted as it
streams and refused as soon as it passes the limit (`BodyTooLarge`, answered by the app's problem handler), so
no handler ever sees, stores or queues part of an oversized request.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
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


class BodyLimitMiddleware:
    """Pure ASGI: checks Content-Length, then counts streamed bytes."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        for name, value in scope.get("headers", []):
            if name.lower() == b"content-length":
                try:
                    declared = int(value)
                except ValueError:
                    declared = -1
                if declared > self.limit:
                    request_id = scope.get("state", {}).get("request_id")
                    await too_large(self.limit, request_id)(scope, receive, send)
                    return
        seen = 0

        async def counting_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > self.limit:
                    raise BodyTooLarge(self.limit)
            return message

        await self.app(scope, counting_receive, send)


async def _body_too_large(request: Request, exc: Exception) -> ProblemResponse:
    limit = request.app.state.settings.max_upload_bytes
    return too_large(limit, request_id_of(request))


def install_body_limit(app: FastAPI, limit: int) -> None:
    app.add_exception_handler(BodyTooLarge, _body_too_large)
    app.add_middleware(BodyLimitMiddleware, limit=limit)
