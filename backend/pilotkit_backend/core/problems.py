"""RFC 9457 problem details (`application/problem+json`) for every error the service returns.

Body members: `type` (a URI reference; `about:blank` for plain HTTP errors), `title`, `status`, `detail`,
`request_id` (also in the `X-Request-ID` header), plus per-type extensions (`errors` for validation failures,
`contract_error` for contract reverts, `checks` for health). Bodies never carry stack traces, exception
messages of unexpected errors, keys, database URLs or submitted values (validation errors name the field and
the rule, never the input).

Refusal types, one scheme (README "Errors"):
- `/problems/contract/<ErrorName>` (title `<ErrorName>`, extension `contract_error`): a contract custom error,
  whether the contract raised it (a revert, or the pre-flight simulation of a write) or the service detected the
  same condition first (`ContractRefusal` subclasses: e.g. BeneficiaryAlreadyEnrolled from the off-chain record);
  `<ErrorName>` is always an error some contract declares;
- `/problems/<kebab-case-name>` (title in words): a refusal of the service itself (`/problems/invalid-cursor`,
  `/problems/idempotency-key-missing`, `/problems/validation-error`, ...), never namespaced by pilot kind;
- `about:blank` (title the HTTP reason phrase): plain HTTP errors of the framework (unknown path, 405).

Contract reverts: a named custom error becomes `type=/problems/contract/<ErrorName>`, `title=<ErrorName>`.
Status 422 when the error is about the request's own values (`INPUT_ERRORS`, plus Panic: out-of-range input),
409 otherwise: the request was well formed but the contract's current state refused it (already paid, round
not open, budget exceeded, ...), so retrying the same request cannot succeed until that state changes.
Decoded error arguments are left out: they can hold beneficiary hashes.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any, ClassVar

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict
from starlette.exceptions import HTTPException as StarletteHTTPException

from pilotkit.contracts.reverts import ContractRevert, Panic

log = logging.getLogger("pilotkit_backend.errors")

PROBLEM_MEDIA_TYPE = "application/problem+json"

# Contract errors about the submitted values (422); every other contract error is a state conflict (409).
INPUT_ERRORS: frozenset[str] = frozenset(
    {
        "BatchNotFound",
        "BatchTooLarge",
        "DeadlineExpired",
        "EmptyBatch",
        "EntitlementOverflow",
        "InvalidBeneficiaryId",
        "InvalidClaimCap",
        "InvalidCountryCode",
        "InvalidExpiry",
        "InvalidIssuerName",
        "InvalidMetadata",
        "InvalidPaymentAmount",
        "InvalidProgrammeConfig",
        "InvalidProjectIdentifier",
        "InvalidProof",
        "InvalidReplacement",
        "InvalidRoundParams",
        "InvalidSerialHint",
        "InvalidSerialRange",
        "InvalidSignature",
        "InvalidVintage",
        "InvalidWallet",
        "LengthMismatch",
        "MissingEvidence",
        "ProjectNotFound",
        "ReasonTooLong",
        "ZeroAddress",
        "ZeroAmount",
        "ZeroHash",
    }
)


class ProblemModel(BaseModel):
    """The problem+json body (for the OpenAPI document)."""

    model_config = ConfigDict(extra="allow")

    type: str
    title: str
    status: int
    detail: str | None = None
    request_id: str | None = None


class ProblemResponse(JSONResponse):
    media_type = PROBLEM_MEDIA_TYPE


class ProblemError(Exception):
    """Raise anywhere in a request to answer with a problem document. Subclasses fix status, type and title."""

    status: ClassVar[int] = 500
    type: ClassVar[str] = "about:blank"
    title: ClassVar[str] = "Internal Server Error"

    def __init__(
        self,
        detail: str | None = None,
        *,
        headers: Mapping[str, str] | None = None,
        extra: Mapping[str, Any] | None = None,
        status: int | None = None,
        type_: str | None = None,
        title: str | None = None,
    ) -> None:
        super().__init__(detail or self.title)
        self.detail = detail
        self.headers = dict(headers or {})
        self.extra = dict(extra or {})
        self.status_code = status or self.status
        self.type_uri = type_ or self.type
        self.title_text = title or self.title


class BadRequest(ProblemError):
    status, type, title = 400, "/problems/bad-request", "Bad request"


class Unauthorized(ProblemError):
    status, type, title = 401, "/problems/unauthorized", "Authentication required"

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.headers.setdefault("WWW-Authenticate", 'Bearer realm="pilotkit"')


class Forbidden(ProblemError):
    status, type, title = 403, "/problems/forbidden", "Not allowed for this API key"


class NotFound(ProblemError):
    status, type, title = 404, "/problems/not-found", "Not found"


class Conflict(ProblemError):
    status, type, title = 409, "/problems/conflict", "Conflict"


class Unprocessable(ProblemError):
    status, type, title = 422, "/problems/unprocessable", "Unprocessable request"


class TooManyRequests(ProblemError):
    status, type, title = 429, "/problems/rate-limited", "Too many requests"

    def __init__(self, retry_after: int, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail or f"rate limit for this API key reached; retry in {retry_after} s", **kwargs)
        self.headers["Retry-After"] = str(retry_after)
        self.retry_after = retry_after


class ServiceUnavailable(ProblemError):
    status, type, title = 503, "/problems/unavailable", "Service unavailable"


class IdempotencyKeyMissing(BadRequest):
    type, title = "/problems/idempotency-key-missing", "Idempotency-Key header required"


class IdempotencyKeyInvalid(BadRequest):
    type, title = "/problems/idempotency-key-invalid", "Idempotency-Key header malformed"


class IdempotencyKeyReused(Unprocessable):
    type, title = "/problems/idempotency-key-reused", "Idempotency-Key reused with a different request"


class IdempotencyKeyInProgress(Conflict):
    type, title = "/problems/idempotency-key-in-progress", "A request with this Idempotency-Key is still running"


class ContractRejected(ProblemError):
    """A contract custom error; build it with `contract_problem`."""

    status, type, title = 409, "/problems/contract/UnknownRevert", "UnknownRevert"


class ContractRefusal(ProblemError):
    """A refusal named after a contract custom error that the service detects itself, before anything is sent.

    Subclasses set `error_name` (an error some contract declares); type, title and status follow from it exactly
    as for a revert of that error (`contract_problem`), so clients handle both the same way.
    """

    error_name: ClassVar[str] = "UnknownRevert"

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls.type = f"/problems/contract/{cls.error_name}"
        cls.title = cls.error_name
        cls.status = contract_status(cls.error_name)

    def __init__(self, detail: str | None = None, **kwargs: Any) -> None:
        super().__init__(detail, **kwargs)
        self.extra.setdefault("contract_error", self.error_name)


def contract_status(error_name: str, *, panic: bool = False) -> int:
    """422 for errors about the submitted values (and panics), 409 for state conflicts (module docstring)."""
    return 422 if panic or error_name in INPUT_ERRORS else 409


def contract_problem(exc: ContractRevert) -> ContractRejected:
    """The problem for a contract revert: type `/problems/contract/<ErrorName>`, title the error's name."""
    name = exc.error_name
    extra: dict[str, Any] = {"contract_error": name}
    if exc.tx_hash:
        extra["tx_hash"] = exc.tx_hash
    return ContractRejected(
        f"the contract refused the request: {name}",
        status=contract_status(name, panic=isinstance(exc, Panic)),
        type_=f"/problems/contract/{name}",
        title=name,
        extra=extra,
    )


def request_id_of(request: Request) -> str | None:
    return getattr(request.state, "request_id", None)


def problem_response(
    request: Request | None,
    status: int,
    *,
    type_: str = "about:blank",
    title: str | None = None,
    detail: str | None = None,
    headers: Mapping[str, str] | None = None,
    extra: Mapping[str, Any] | None = None,
    request_id: str | None = None,
) -> ProblemResponse:
    """A problem+json response; `title` defaults to the HTTP reason phrase (as RFC 9457 asks for about:blank)."""
    body: dict[str, Any] = {"type": type_, "title": title or _phrase(status), "status": status}
    if detail:
        body["detail"] = detail
    rid = request_id or (request_id_of(request) if request is not None else None)
    if rid:
        body["request_id"] = rid
    for key, value in (extra or {}).items():
        body.setdefault(key, value)
    return ProblemResponse(body, status_code=status, headers=dict(headers or {}))


def internal_error_response(request_id: str | None) -> ProblemResponse:
    """The one body an unexpected failure produces: generic, with the request id to quote to operators."""
    return problem_response(
        None,
        500,
        type_="/problems/internal-error",
        title="Internal Server Error",
        detail="an unexpected error occurred; quote the request id when reporting it",
        request_id=request_id,
    )


def validation_errors(errors: Sequence[Any]) -> list[dict[str, str]]:
    """Pydantic/FastAPI errors as `{field, message, type}`: the input value and context are dropped."""
    out = []
    for error in errors:
        loc = [str(part) for part in error.get("loc", ())]
        if loc and loc[0] == "body" and len(loc) > 1 and loc[1].isdigit() and error.get("type") == "json_invalid":
            loc = ["body"]  # JSON decode errors give a character offset, not a field
        out.append(
            {
                "field": ".".join(loc) or "request",
                "message": str(error.get("msg", "invalid")),
                "type": str(error.get("type", "invalid")),
            }
        )
    return out


async def _problem_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, ProblemError)
    return problem_response(
        request,
        exc.status_code,
        type_=exc.type_uri,
        title=exc.title_text,
        detail=exc.detail,
        headers=exc.headers,
        extra=exc.extra,
    )


def allowed_methods(request: Request) -> str:
    """Every method some route of the app answers at this path (Starlette names only the first route's)."""
    from fastapi.routing import iter_route_contexts
    from starlette.routing import Match, Route

    methods: set[str] = set()
    scope = {**request.scope, "method": "\x00"}  # matches no route's methods: every path match is PARTIAL
    for context in iter_route_contexts(request.app.router.routes):
        route = getattr(context, "starlette_route", None) or context.original_route
        if isinstance(route, Route) and route.methods and route.matches(scope)[0] != Match.NONE:
            methods |= set(route.methods)
    return ", ".join(sorted(methods))


async def _http_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) and exc.status_code < 500 else None
    if detail == _phrase(exc.status_code):
        detail = None
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request) or headers.get("Allow", "")
    return problem_response(request, exc.status_code, detail=detail, headers=headers)


async def _validation_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, RequestValidationError)
    errors = validation_errors(exc.errors())
    fields = ", ".join(dict.fromkeys(e["field"] for e in errors))
    return problem_response(
        request,
        422,
        type_="/problems/validation-error",
        title="Request validation failed",
        detail=f"invalid: {fields}",
        extra={"errors": errors},
    )


async def _contract_handler(request: Request, exc: Exception) -> ProblemResponse:
    assert isinstance(exc, ContractRevert)
    return await _problem_handler(request, contract_problem(exc))


async def _database_unavailable(request: Request, exc: Exception) -> ProblemResponse:
    log.warning("database unavailable (%s) request_id=%s", type(exc).__name__, request_id_of(request))
    return problem_response(
        request,
        503,
        type_="/problems/unavailable",
        title="Service unavailable",
        detail="the database is busy or unreachable; retry shortly",
        headers={"Retry-After": "1"},
    )


async def chain_unavailable_handler(request: Request, exc: Exception) -> ProblemResponse:
    """503 for a missing chain or signer (the app registers it for `platform.chain_context.ChainUnavailable`)."""
    log.warning("chain unavailable (%s) request_id=%s", type(exc).__name__, request_id_of(request))
    return problem_response(
        request,
        503,
        type_="/problems/chain-unavailable",
        title="Chain unavailable",
        detail=str(exc)[:300],
        headers={"Retry-After": "5"},
    )


def install_problem_handlers(app: FastAPI) -> None:
    """Route every error class the framework knows to problem+json (unexpected ones: see core.middleware)."""
    from sqlalchemy.exc import OperationalError
    from sqlalchemy.exc import TimeoutError as PoolTimeout

    app.add_exception_handler(ProblemError, _problem_handler)
    app.add_exception_handler(StarletteHTTPException, _http_handler)
    app.add_exception_handler(RequestValidationError, _validation_handler)
    app.add_exception_handler(ContractRevert, _contract_handler)
    app.add_exception_handler(OperationalError, _database_unavailable)
    app.add_exception_handler(PoolTimeout, _database_unavailable)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """OpenAPI `responses=` entries documenting problem+json bodies for the given statuses."""
    schema = ProblemModel.model_json_schema()
    return {
        status: {"description": _phrase(status), "content": {PROBLEM_MEDIA_TYPE: {"schema": schema}}}
        for status in statuses
    }


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"
