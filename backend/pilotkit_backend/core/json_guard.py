"""Every JSON request body, on every route, is checked before any handler or FastAPI parses it.

A body sent as JSON (`application/json`, `application/*+json`, or no content type, which FastAPI also parses as
JSON) is read whole (inside the size limit of `core.body_limit`) and parsed with `pilotkit.safejson`: nesting
deeper than `MAX_DEPTH` levels, invalid UTF-8, a number with too many digits or any other syntax error is
answered here, before authentication, with the one answer for malformed bodies:

    422 application/problem+json, type /problems/validation-error, errors: [{field: "body", type, message}]

(`type` is `json_invalid`, or `json_too_deep` with `max_depth` naming the limit). The handler then receives the
same bytes. Bodies of other media types (multipart uploads) stream through untouched.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from pilotkit import safejson
from pilotkit_backend.core.body_limit import BodyTooLarge, too_large
from pilotkit_backend.core.problems import PROBLEM_MEDIA_TYPE, problem_response

MAX_DEPTH = safejson.MAX_DEPTH
_BODYLESS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def is_json_media(content_type: str | None) -> bool:
    """Whether FastAPI would parse a body with this Content-Type as JSON."""
    if not content_type:
        return True
    media = content_type.split(";")[0].strip().lower()
    return media == "application/json" or (media.startswith("application/") and media.endswith("+json"))


def malformed_body(request_id: str | None, error: ValueError) -> object:
    """The 422 problem for a body that is not a JSON document within the limits."""
    if isinstance(error, safejson.JSONTooDeep):
        message, kind = f"JSON nested deeper than {error.limit} levels (the limit is max_depth)", "json_too_deep"
        extra: dict[str, object] = {"max_depth": error.limit}
    else:
        message, kind, extra = "the body is not a valid JSON document in UTF-8", "json_invalid", {}
    return problem_response(
        None,
        422,
        type_="/problems/validation-error",
        title="Request validation failed",
        detail=f"invalid: body ({message})",
        extra={"errors": [{"field": "body", "message": message, "type": kind}], **extra},
        request_id=request_id,
    )


class JsonGuardMiddleware:
    """Pure ASGI: reads a JSON body, refuses it if malformed or too deep, then hands the same bytes on."""

    def __init__(self, app: ASGIApp, max_depth: int = MAX_DEPTH) -> None:
        self.app = app
        self.max_depth = max_depth

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("method", "GET") in _BODYLESS:
            await self.app(scope, receive, send)
            return
        content_type = next((v.decode("latin-1") for k, v in scope.get("headers", []) if k.lower() == b"content-type"),
                            None)
        if not is_json_media(content_type):
            await self.app(scope, receive, send)
            return
        request_id = scope.get("state", {}).get("request_id")
        chunks: list[bytes] = []
        try:
            while True:
                message = await receive()
                if message["type"] != "http.request":  # the client went away
                    return
                chunks.append(message.get("body", b""))
                if not message.get("more_body", False):
                    break
        except BodyTooLarge as exc:
            await too_large(exc.limit, request_id)(scope, receive, send)
            return
        body = b"".join(chunks)
        if body:
            try:
                safejson.loads(body, max_depth=self.max_depth)
            except ValueError as exc:  # JSONDecodeError, JSONTooDeep, UnicodeDecodeError, too many digits
                await malformed_body(request_id, exc)(scope, receive, send)  # type: ignore[operator]
                return
        delivered = False

        async def replay() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


def install_json_guard(app: object, max_depth: int = MAX_DEPTH) -> None:
    """Add the guard; call before `install_body_limit`, so the size limit wraps it (and counts first)."""
    app.add_middleware(JsonGuardMiddleware, max_depth=max_depth)  # type: ignore[attr-defined]


__all__ = ["MAX_DEPTH", "PROBLEM_MEDIA_TYPE", "JsonGuardMiddleware", "install_json_guard", "is_json_media"]
