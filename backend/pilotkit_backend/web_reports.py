"""Pilot replay reports for the web frontend: list, read, compare, and open the self-contained HTML report.

Reports are the files `pilotkit replay` writes (`<name>.json` + `<name>.html`) in one folder (setting
`PILOTKIT_API_REPORTS_DIR`, default `build/pilot-reports` under the project). They hold simulated pilots only,
so any valid API key may read them:
- `GET /v1/reports`: `[{name, scenario, verdict, headline, modified, html}]`, newest first;
- `GET /v1/reports/{name}`: the JSON result;
- `GET /v1/reports/compare?a=&b=`: what changed between two results (`pilotkit.pilots.compare` when installed,
  else every differing value by JSON path);
- `POST /v1/reports/{name}/view-link`: a link to the HTML report valid for five minutes (a browser cannot send
  the API key on a plain navigation); `GET /reports/{name}/view?expires=&sig=` serves it sandboxed (its scripts
  run in an opaque origin and cannot reach the API key or the API).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import os
import re
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, FastAPI, Query, Request
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from pilotkit_backend.api.deps import CurrentKey
from pilotkit_backend.core.problems import BadRequest, NotFound, Unprocessable, problem_responses

if TYPE_CHECKING:
    from pilotkit_backend.web import WebSettings

NAME_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,119}")
LINK_SECONDS = 300
MAX_REPORT_BYTES = 32 * 1024 * 1024
MAX_DIFFERENCES = 500
REPORT_CSP = (
    "sandbox allow-scripts; default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; "
    "img-src data:; font-src data:; frame-ancestors 'self'"
)

router = APIRouter(prefix="/v1/reports", tags=["reports"], responses=problem_responses(401, 429))


class ReportSummary(BaseModel):
    name: str = Field(description="file name without .json; use it in the other report URLs")
    scenario: str | None
    verdict: str | None
    headline: str | None
    modified: float = Field(description="file modification time, unix seconds")
    html: bool = Field(description="whether the HTML report exists beside the JSON")


class Difference(BaseModel):
    path: str
    a: Any
    b: Any


class Comparison(BaseModel):
    a: str
    b: str
    text: str | None = Field(description="the comparison as text (from pilotkit.pilots.compare), when available")
    details: Any = Field(description="structured comparison (pilotkit.pilots.compare), when available")
    differences: list[Difference] = Field(description="values that differ, by JSON path (at most 500)")
    truncated: bool


class ViewLink(BaseModel):
    url: str
    expires: int


def reports_dir(request: Request) -> Path:
    configured: Path = request.app.state.web_settings.reports_dir
    if configured.is_absolute():
        return configured
    root = getattr(request.app.state.settings, "project_root", None) or Path.cwd()
    return Path(root) / configured


def _path(request: Request, name: str, suffix: str) -> Path:
    if not NAME_RE.fullmatch(name) or name.endswith((".json", ".html")):
        raise NotFound("no such report")
    path = reports_dir(request) / f"{name}{suffix}"
    if not path.is_file():
        raise NotFound("no such report")
    return path


def _load(path: Path) -> dict[str, Any]:
    if path.stat().st_size > MAX_REPORT_BYTES:
        raise Unprocessable("this report is too large to read here")
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, ValueError):
        raise Unprocessable("this report is not valid JSON") from None
    if not isinstance(document, dict):
        raise Unprocessable("this report is not a replay result")
    return document


def _summary(path: Path) -> ReportSummary:
    scenario = verdict = headline = None
    try:
        document = _load(path)
        scenario = (document.get("scenario") or {}).get("name")
        verdict = (document.get("summary") or {}).get("verdict")
        headline = (document.get("summary") or {}).get("headline")
    except Exception:  # a broken file is still listed, without its summary
        pass
    return ReportSummary(name=path.stem, scenario=_text(scenario), verdict=_text(verdict), headline=_text(headline),
                         modified=path.stat().st_mtime, html=path.with_suffix(".html").is_file())


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else None


@router.get("", response_model=list[ReportSummary], summary="Pilot replay reports in the reports folder")
def list_reports(request: Request, key: CurrentKey) -> list[ReportSummary]:
    folder = reports_dir(request)
    if not folder.is_dir():
        return []
    files = [p for p in folder.glob("*.json") if NAME_RE.fullmatch(p.stem)]
    return sorted((_summary(p) for p in files), key=lambda s: (-s.modified, s.name))


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Scalar leaves of a JSON value by path (`summary.verdict`, `steps[3].gas`)."""
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list):
        out = {}
        for i, v in enumerate(value):
            out.update(flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def differences(a: dict[str, Any], b: dict[str, Any]) -> tuple[list[Difference], bool]:
    left, right = flatten(a), flatten(b)
    found = [Difference(path=p, a=left.get(p), b=right.get(p))
             for p in sorted(set(left) | set(right)) if left.get(p) != right.get(p)]
    return found[:MAX_DIFFERENCES], len(found) > MAX_DIFFERENCES


@router.get("/compare", response_model=Comparison, responses=problem_responses(400, 404, 422),
            summary="What changed between two replay results")
def compare_reports(request: Request, key: CurrentKey, a: Annotated[str, Query(max_length=120)],
                    b: Annotated[str, Query(max_length=120)]) -> Comparison:
    if a == b:
        raise BadRequest("choose two different reports")
    path_a, path_b = _path(request, a, ".json"), _path(request, b, ".json")
    doc_a, doc_b = _load(path_a), _load(path_b)
    text, details = None, None
    try:
        from pilotkit.pilots.compare import compare_files
    except ImportError:
        compare_files = None
    if compare_files is not None:
        try:
            diff = compare_files(str(path_a), str(path_b))
            text, details = diff.text(), diff.to_dict()
        except Exception:  # results of an older format: the path-by-path differences still answer
            text, details = None, None
    found, truncated = differences(doc_a, doc_b)
    return Comparison(a=a, b=b, text=text, details=details, differences=found, truncated=truncated)


@router.get("/{name}", responses=problem_responses(404, 422), summary="One replay result (JSON)")
def read_report(request: Request, key: CurrentKey, name: str) -> dict[str, Any]:
    return _load(_path(request, name, ".json"))


def _signature(secret: bytes, name: str, expires: int) -> str:
    return hmac.new(secret, f"{name}\n{expires}".encode(), hashlib.sha256).hexdigest()


@router.post("/{name}/view-link", response_model=ViewLink, responses=problem_responses(404),
             summary="A short-lived link that opens the HTML report in a browser")
def view_link(request: Request, key: CurrentKey, name: str) -> ViewLink:
    _path(request, name, ".html")
    expires = int(time.time()) + LINK_SECONDS
    sig = _signature(request.app.state.report_link_secret, name, expires)
    return ViewLink(url=f"/reports/{name}/view?expires={expires}&sig={sig}", expires=expires)


def view_report(request: Request, name: str, expires: int = 0, sig: str = "") -> Response:
    """The HTML report behind a link from `view-link` (404 when the link is wrong or expired)."""
    expected = _signature(request.app.state.report_link_secret, name, expires)
    if expires < time.time() or not hmac.compare_digest(expected, sig):
        raise NotFound("this report link is wrong or has expired; open the report again from the reports page")
    return FileResponse(_path(request, name, ".html"), media_type="text/html",
                        headers={"Content-Security-Policy": REPORT_CSP, "X-Content-Type-Options": "nosniff",
                                 "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"})


def mount_reports(app: FastAPI, settings: WebSettings) -> None:
    app.state.report_link_secret = os.urandom(32)
    app.include_router(router)
    app.add_api_route("/reports/{name}/view", view_report, methods=["GET"], include_in_schema=False)
