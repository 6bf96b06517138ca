"""Public operational endpoints: `GET /health` and Prometheus `GET /metrics` (no API key)."""

from __future__ import annotations

import logging
from typing import Literal

from fastapi import APIRouter, Request, Response
from pydantic import BaseModel, Field
from sqlalchemy import text

from pilotkit_backend.core.metrics import Metrics
from pilotkit_backend.core.problems import problem_response, problem_responses
from pilotkit_backend.platform.workers import HealthCheck

log = logging.getLogger("pilotkit_backend.health")
router = APIRouter(tags=["operations"])

class HealthPublic(BaseModel):
    status: Literal["ok"]
    checks: dict[str, Literal["ok"]]
    warnings: list[str] | None = Field(
        default=None, description="present only when there are any: what needs attention soon without making the "
        "service unready (a signer low on gas money, a contract role not granted; see GET /v1/signers)")


def database_check(request: Request) -> HealthCheck:
    def check() -> None:
        with request.app.state.engine.connect() as connection:
            connection.execute(text("SELECT 1"))

    return check


@router.get(
    "/health",
    response_model=HealthPublic,
    response_model_exclude_none=True,
    responses=problem_responses(503),
    summary="Is the service ready: database reachable, and the chain if one is configured",
)
def health(request: Request) -> Response | HealthPublic:
    checks: dict[str, HealthCheck] = {"database": database_check(request), **request.app.state.health_checks}
    results: dict[str, str] = {}
    for name, check in checks.items():
        try:
            check()
            results[name] = "ok"
        except Exception as exc:
            log.warning("health check %s failed (%s)", name, type(exc).__name__)
            results[name] = "unavailable"
    if all(value == "ok" for value in results.values()):
        return HealthPublic(status="ok", checks={name: "ok" for name in results},
                            warnings=_warnings(request) or None)
    down = ", ".join(name for name, value in results.items() if value != "ok")
    return problem_response(
        request,
        503,
        type_="/problems/unavailable",
        title="Service unavailable",
        detail=f"not reachable: {down}",
        extra={"checks": results},
        headers={"Retry-After": "5"},
    )


def _warnings(request: Request) -> list[str]:
    found: list[str] = []
    for name, source in getattr(request.app.state, "health_warnings", {}).items():
        try:
            found.extend(source())
        except Exception as exc:
            log.warning("health warning source %s failed (%s)", name, type(exc).__name__)
            found.append(f"{name}: could not be checked")
    return found


@router.get(
    "/metrics",
    response_class=Response,
    summary="Prometheus metrics (text exposition format)",
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def metrics(request: Request) -> Response:
    registry: Metrics = request.app.state.metrics
    body, content_type = registry.render()
    return Response(content=body, media_type=content_type)
