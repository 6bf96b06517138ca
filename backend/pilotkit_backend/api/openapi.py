"""The OpenAPI document, corrected to say what the service really answers (one place, for every route).

FastAPI describes each route from its signature only. The shared machinery answers more than that, so after the
document is generated every operation is completed from what its route depends on:

- 422 is `application/problem+json` (`/problems/validation-error`, also for malformed JSON bodies: bad syntax,
  invalid UTF-8, too many digits, nesting deeper than `core.json_guard.MAX_DEPTH`), never FastAPI's
  `HTTPValidationError`;
- routes with `IdempotencyDep` declare the `Idempotency-Key` header **required** and document 400 (missing or
  malformed key), 409 (still running) and 422 (reused with another request);
- routes with `CursorDep` document 400 `/problems/invalid-cursor`;
- routes with a key document 401, 403 and 429; routes with path parameters 404; routes with a body 413; routes
  on the chain 409 (a contract's state refused the call) and 503 (chain unavailable); every route 503 (database
  busy or unreachable).
Every error body is the same problem schema (`Problem`), in `application/problem+json`.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi
from fastapi.routing import APIRoute, iter_route_contexts

from pilotkit_backend.api.deps import current_key, get_chain, idempotency
from pilotkit_backend.api.pagination import cursor_param
from pilotkit_backend.core.problems import PROBLEM_MEDIA_TYPE, ProblemModel, _phrase

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
_DESCRIPTIONS = {
    400: "Bad request (a missing or malformed Idempotency-Key, a cursor this API did not return, ...)",
    401: "No API key, or an unknown or revoked one",
    403: "The API key lacks the scope this operation needs",
    404: "No such object, or not visible to this API key",
    409: "Conflict: the contract's current state refused the call, or the first request with this "
         "Idempotency-Key is still running",
    413: "Request body too large",
    422: "Validation failed: a field breaks a rule, or the body is not JSON within the limits (max_depth)",
    429: "Rate limit of this API key reached (Retry-After)",
    503: "The database or the chain is unavailable; retry shortly (Retry-After)",
}
_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")


def _problem(status: int) -> dict[str, Any]:
    return {"description": _DESCRIPTIONS.get(status, _phrase(status)),
            "content": {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}}


def _calls(route: Any) -> set[Any]:
    """Every dependency callable of the route, however deep."""
    found: set[Any] = set()
    pending = list(route.dependant.dependencies)
    while pending:
        dependant = pending.pop()
        found.add(dependant.call)
        pending.extend(dependant.dependencies)
    return found


def _statuses(route: Any, operation: dict[str, Any]) -> set[int]:
    calls = _calls(route)
    statuses = {503}
    if operation.get("parameters") or operation.get("requestBody"):
        statuses.add(422)
    if operation.get("requestBody"):
        statuses.add(413)
    if any(p.get("in") == "path" for p in operation.get("parameters", [])):
        statuses.add(404)
    if current_key in calls:
        statuses |= {401, 403, 429}
    if idempotency in calls:
        statuses |= {400, 409, 422}
    if cursor_param in calls:
        statuses.add(400)
    if get_chain in calls:
        statuses.add(409)
    return statuses


def _fix_operation(route: Any, operation: dict[str, Any]) -> None:
    responses = operation.setdefault("responses", {})
    for status in _statuses(route, operation):
        responses[str(status)] = _problem(status)
    for code, response in responses.items():  # every error body, documented by a route or not: the problem
        if code.isdigit() and int(code) >= 400:
            response["content"] = {PROBLEM_MEDIA_TYPE: {"schema": PROBLEM_REF}}
    if idempotency in _calls(route):
        for parameter in operation.get("parameters", []):
            if parameter.get("in") == "header" and parameter.get("name", "").lower() == "idempotency-key":
                parameter["required"] = True
                schema = parameter.get("schema", {})
                parameter["schema"] = {"type": "string", "minLength": 1, "maxLength": 255,
                                       "pattern": "^[\\x21-\\x7e]+$", **{k: v for k, v in schema.items()
                                                                          if k in ("title", "description")}}


def build_document(app: FastAPI) -> dict[str, Any]:
    document = get_openapi(title=app.title, version=app.version, summary=app.summary, routes=app.routes,
                           openapi_version=app.openapi_version, description=app.description)
    paths = document.get("paths", {})
    for route in iter_route_contexts(app.routes):  # included routers' routes, with their prefixes and dependencies
        if not isinstance(route.original_route, APIRoute) or not route.include_in_schema \
                or route.path_format not in paths:
            continue
        item = paths[route.path_format]
        for method in route.methods:
            operation = item.get(method.lower())
            if operation is not None:
                _fix_operation(route, operation)
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = ProblemModel.model_json_schema()
    for name in ("HTTPValidationError", "ValidationError"):
        if name in schemas and f'"#/components/schemas/{name}"' not in str(paths).replace("'", '"'):
            del schemas[name]
    return document


def install_openapi(app: FastAPI) -> None:
    """Serve the corrected document at `app.openapi_url` (built once, on first use)."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = build_document(app)
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
