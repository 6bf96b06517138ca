"""The web frontend on the API's own origin: page shells, static assets, offline `/docs`, public registries.

`mount_web(app)` adds (none of it under `/v1` except the public list of registries):
- page routes (`/`, `/signin`, `/reports/...` and each pilot kind's `page_paths`): each answers the
  same small HTML shell from `frontend/index.html`; the browser module `frontend/static/js/app.js` routes on the
  path and calls the JSON API with the API key the user signed in with (kept in sessionStorage);
- `/static/...`: `frontend/static` (revalidated on every load: ETag / Last-Modified, 304) and
  `/static/vendor/<package>@<version>/...`: files vendored from `node_modules` (immutable, cached a year);
- `/docs`: Swagger UI from the vendored `swagger-ui-dist` (no CDN), started by a script file, not inline;
- `GET /v1/public/registries`: the certificate and eco-credit registries (address, label) the public pages may
  query without a key. Cash programmes are never listed publicly.

Every HTML answer carries a strict Content-Security-Policy (same-origin scripts only, no inline script), and
`Referrer-Policy: no-referrer` (page paths hold document hashes).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.responses import HTMLResponse, Response
from pydantic import BaseModel
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy import select
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from pilotkit_backend.api.deps import SessionDep, get_chain
from pilotkit_backend.catalogue import KINDS, PUBLIC_TYPES, PublicRegistryKind
from pilotkit_backend.core.problems import problem_responses
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.models.registry import RegisteredContract

REPO = Path(__file__).resolve().parents[2]

#: npm packages served under /static/vendor/<name>@<version>/ (only these files).
VENDORED: dict[str, tuple[str, ...]] = {
    "swagger-ui-dist": ("swagger-ui-bundle.js", "swagger-ui.css", "favicon-32x32.png"),
    "jsqr": ("dist/jsQR.js",),
}

PAGE_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; "
    "frame-src 'self'; frame-ancestors 'none'"
)
#: Swagger UI sets style attributes at run time; scripts stay same-origin only.
DOCS_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
    "connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'"
)
#: The shared pages; each pilot kind adds its own (`PilotKind.page_paths`).
SHARED_PAGE_PATHS = ("/", "/signin", "/reports", "/reports/compare", "/reports/{name}")
PAGE_PATHS = SHARED_PAGE_PATHS + tuple(path for kind in KINDS for path in kind.page_paths)


class WebSettings(BaseSettings):
    """Where the frontend's files are (defaults: this repository's `frontend/` and `node_modules/`)."""

    model_config = SettingsConfigDict(env_prefix="PILOTKIT_API_", extra="ignore")

    frontend_dir: Path = REPO / "frontend"
    node_modules_dir: Path = REPO / "node_modules"
    reports_dir: Path = Path("build/pilot-reports")


def security_headers(csp: str) -> dict[str, str]:
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "X-Frame-Options": "DENY",
        "Cache-Control": "no-cache",
    }


class CachedStatic(StaticFiles):
    """StaticFiles with a Cache-Control header and nosniff on every answer."""

    def __init__(self, *, cache_control: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cache_control = cache_control

    def file_response(self, full_path: Any, stat_result: Any, scope: Scope, status_code: int = 200) -> Response:
        response = super().file_response(full_path, stat_result, scope, status_code)
        response.headers["Cache-Control"] = self.cache_control
        response.headers["X-Content-Type-Options"] = "nosniff"
        return response


def vendor_version(node_modules: Path, package: str) -> str | None:
    """The installed version of an npm package, or None when `npm install` has not been run."""
    try:
        return str(json.loads((node_modules / package / "package.json").read_text())["version"])
    except (OSError, ValueError, KeyError):
        return None


def vendor_url(node_modules: Path, package: str, file: str) -> str | None:
    version = vendor_version(node_modules, package)
    return None if version is None else f"/static/vendor/{package}@{version}/{file}"


class RegistryPublic(BaseModel):
    kind: PublicRegistryKind  # type: ignore[valid-type]
    address: str
    label: str


public_router = APIRouter(prefix="/v1/public", tags=["public"], responses=problem_responses(503))


@public_router.get("/registries", response_model=list[RegistryPublic],
                   summary="Certificate and eco-credit registries the public pages can query (no key)")
def public_registries(session: SessionDep, chain: Annotated[ChainContext, Depends(get_chain)]) -> list[RegistryPublic]:
    rows = session.execute(
        select(RegisteredContract)
        .where(RegisteredContract.chain_id == chain.chain_id,
               RegisteredContract.kind.in_([t.value for t in PUBLIC_TYPES]))
        .order_by(RegisteredContract.created_at)
    ).scalars()
    return [RegistryPublic(kind=r.kind, address=r.address, label=r.label) for r in rows]  # type: ignore[arg-type]


def _docs_html(swagger_js: str, swagger_css: str) -> str:
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>pilotkit API - reference</title>
<link rel="stylesheet" href="{swagger_css}">
</head>
<body>
<div id="swagger-ui" data-openapi-url="/openapi.json"></div>
<script src="{swagger_js}"></script>
<script src="/static/js/docs-init.js"></script>
</body>
</html>
"""


_DOCS_MISSING = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>pilotkit API - reference</title></head>
<body><h1>API reference</h1><p>Swagger UI is not installed: run <code>npm install</code> in the pilotkit
folder. The OpenAPI description is at <a href="/openapi.json">/openapi.json</a>.</p></body></html>
"""


def mount_web(app: FastAPI, settings: WebSettings | None = None) -> None:
    """Add the frontend's pages, static files, offline `/docs` and the public registries list to `app`."""
    from pilotkit_backend.web_reports import mount_reports

    settings = settings or WebSettings()
    app.state.web_settings = settings
    node_modules = settings.node_modules_dir
    preloads = "\n".join(f'<link rel="modulepreload" href="/static/js/pages/{kind.name}/index.js">' for kind in KINDS)
    shell = (settings.frontend_dir / "index.html").read_text(encoding="utf-8").replace(
        "__JSQR_URL__", vendor_url(node_modules, "jsqr", "dist/jsQR.js") or "").replace(
        "<!--pilotkit:kind-preloads-->", preloads)  # each pilot kind's page table (frontend/static/js/kinds.js)

    def page() -> Response:
        return HTMLResponse(shell, headers=security_headers(PAGE_CSP))

    for path in PAGE_PATHS:
        app.add_api_route(path, page, methods=["GET"], include_in_schema=False, name=f"page:{path}")

    # /docs from vendored files (FastAPI's default loads Swagger UI from a CDN).
    app.router.routes[:] = [r for r in app.router.routes if getattr(r, "path", None) != "/docs"]
    docs_js = vendor_url(node_modules, "swagger-ui-dist", "swagger-ui-bundle.js")
    docs_css = vendor_url(node_modules, "swagger-ui-dist", "swagger-ui.css")

    def docs() -> HTMLResponse:
        body = _docs_html(docs_js, docs_css) if docs_js and docs_css else _DOCS_MISSING
        return HTMLResponse(body, headers=security_headers(DOCS_CSP))

    app.add_api_route("/docs", docs, methods=["GET"], include_in_schema=False)

    for package in VENDORED:
        version = vendor_version(node_modules, package)
        if version is None:
            continue
        app.mount(f"/static/vendor/{package}@{version}",
                  _VendorFiles(node_modules / package, VENDORED[package]), name=f"vendor-{package}")
    app.mount("/static", CachedStatic(directory=settings.frontend_dir / "static", cache_control="no-cache"),
              name="static")
    app.include_router(public_router)
    mount_reports(app, settings)


class _VendorFiles(CachedStatic):
    """Only the listed files of a vendored package (not its whole folder), cached for a year."""

    def __init__(self, directory: Path, files: tuple[str, ...]) -> None:
        super().__init__(directory=directory, cache_control="public, max-age=31536000, immutable")
        self.allowed = frozenset(files)

    def get_path(self, scope: Scope) -> str:
        path = super().get_path(scope)
        return path if path.replace("\\", "/") in self.allowed else "\0missing"

    def lookup_path(self, path: str) -> tuple[str, Any]:
        if path == "\0missing":
            return "", None
        return super().lookup_path(path)
