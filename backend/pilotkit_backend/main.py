"""The FastAPI application: `create_app(settings)`, and `app` for `uvicorn pilotkit_backend.main:app`.

Extension points on `app.state` (register them before the app starts):
- `workers`: `Worker(name, start, stop)` entries; the lifespan starts them in order once the database is
  open and stops them in reverse order on shutdown (the job sender and the event indexer go here);
- `health_checks`: name → callable that raises when its dependency is down (e.g. `rpc_health_check(url)`);
- `health_warnings`: name → callable returning warnings (strings) that `/health` shows without failing;
- `metrics`: `Metrics.add_gauge(...)` for gauges read at scrape time (e.g. job queue depth).
During a request, `app.state` also has `engine`, `session_factory`, `idempotency` and `rate_limiter`.

The schema is not migrated here: `pilotkit serve` migrates before it starts the server; under bare uvicorn run
`pilotkit_backend.db.migrate.upgrade_database(url)` first (start-up warns when the schema is behind).
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

import anyio
from fastapi import FastAPI
from fastapi.concurrency import run_in_threadpool

from pilotkit_backend.api.openapi import install_openapi
from pilotkit_backend.api.routes import contracts, health, jobs, keys, signers
from pilotkit_backend.api.routing import install_commit_guard, install_replay_handler
from pilotkit_backend.catalogue import KINDS
from pilotkit_backend.core.body_limit import install_body_limit
from pilotkit_backend.core.config import Settings, get_settings
from pilotkit_backend.core.json_guard import install_json_guard
from pilotkit_backend.core.metrics import Metrics
from pilotkit_backend.core.middleware import RequestContextMiddleware
from pilotkit_backend.core.problems import chain_unavailable_handler, install_problem_handlers
from pilotkit_backend.db.engine import make_engine, make_session_factory
from pilotkit_backend.platform.chain_context import ChainUnavailable
from pilotkit_backend.platform.idempotency import IdempotencyStore, ProcessOwner
from pilotkit_backend.platform.ratelimit import TokenBucketLimiter
from pilotkit_backend.platform.workers import Hook, Worker
from pilotkit_backend.web import mount_web

log = logging.getLogger("pilotkit_backend")

PURGE_EVERY_SECONDS = 600.0


async def _call(hook: Hook, app: FastAPI) -> None:
    result = hook(app)
    if inspect.isawaitable(result):
        await result


def _idempotency_purger() -> Worker:
    """Deletes expired Idempotency-Key records every few minutes."""
    tasks: dict[int, asyncio.Task[None]] = {}

    async def loop(app: FastAPI) -> None:
        while True:
            await asyncio.sleep(PURGE_EVERY_SECONDS)
            try:
                await run_in_threadpool(app.state.idempotency.purge_expired)
            except Exception as exc:
                log.warning("idempotency purge failed (%s)", type(exc).__name__)

    def start(app: FastAPI) -> None:
        tasks[id(app)] = asyncio.get_running_loop().create_task(loop(app))

    async def stop(app: FastAPI) -> None:
        task = tasks.pop(id(app), None)
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task

    return Worker("idempotency-purge", start, stop)


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open the database, start the workers; on shutdown stop them (reverse order) and close the database."""
    from pilotkit_backend.db.migrate import is_up_to_date

    settings: Settings = app.state.settings
    engine = make_engine(settings.database_url)
    session_factory = make_session_factory(engine)
    install_commit_guard(session_factory)
    app.state.engine = engine
    app.state.session_factory = session_factory
    # Writing requests (after their Idempotency-Key claim) pass a gate. SQLite has one writer: they take turns
    # in arrival order instead of racing for its lock (the loser waits unfairly, or fails at once when its read
    # snapshot is stale). PostgreSQL: at most `max_concurrent_writes` at once, fewer than the server's worker
    # threads, so requests queued on one row lock can never hold every thread the lock holder needs to finish.
    writers = 1 if engine.dialect.name == "sqlite" else settings.max_concurrent_writes
    app.state.write_gate = anyio.Semaphore(writers)
    app.state.idempotency = IdempotencyStore(
        session_factory, settings.idempotency_ttl_seconds, settings.idempotency_lock_seconds,
        owner=ProcessOwner.current(settings.worker_id),
    )
    try:
        if not await run_in_threadpool(is_up_to_date, engine):
            log.warning(
                "the database schema is not at the newest migration; run `pilotkit serve` "
                "or pilotkit_backend.db.migrate.upgrade_database first"
            )
    except Exception as exc:
        log.warning("could not read the database schema version (%s)", type(exc).__name__)
    try:  # requests a crashed predecessor left unfinished never committed: their retries may run at once
        freed = await run_in_threadpool(app.state.idempotency.free_abandoned)
        if freed:
            log.info("freed %d Idempotency-Key claims of requests that never finished", freed)
    except Exception as exc:
        log.warning("could not free abandoned Idempotency-Key claims (%s)", type(exc).__name__)
    started: list[Worker] = []
    try:
        for worker in app.state.workers:
            await _call(worker.start, app)
            started.append(worker)
        yield
    finally:
        for worker in reversed(started):
            try:
                await _call(worker.stop, app)
            except Exception as exc:
                log.error("worker %s did not stop cleanly (%s)", worker.name, type(exc).__name__)
        engine.dispose()


def create_app(settings: Settings | None = None) -> FastAPI:
    """A fresh application (own settings, metrics registry, rate limiter and hooks)."""
    settings = settings or get_settings()
    app = FastAPI(
        title="pilotkit API",
        summary="Field-app API for public-sector blockchain pilots: cash transfers, eco-credits, certificates.",
        version=_version(),
        lifespan=lifespan,
        docs_url="/docs",
        redoc_url=None,
        openapi_url="/openapi.json",
    )
    app.state.settings = settings
    app.state.metrics = Metrics()
    app.state.rate_limiter = TokenBucketLimiter(settings.rate_limit_per_second, settings.rate_limit_burst)
    app.state.workers = [_idempotency_purger()]
    app.state.health_checks = {}
    app.state.health_warnings = {}
    install_problem_handlers(app)
    app.add_exception_handler(ChainUnavailable, chain_unavailable_handler)  # 503: no chain, or a role has no signer
    install_replay_handler(app)
    install_json_guard(app)  # inside the size limit: malformed or too deeply nested JSON bodies get 422
    route_limits = install_body_limit(app, settings.max_upload_bytes)
    app.add_middleware(RequestContextMiddleware, metrics=app.state.metrics)  # outermost: sees every answer
    app.include_router(health.router)
    app.include_router(keys.router)
    app.include_router(jobs.router)
    app.include_router(contracts.router)
    app.include_router(signers.router)
    for kind in KINDS:  # each pilot kind's routers (pilotkit_backend.catalogue)
        for router in kind.routers:
            app.include_router(router)
    route_limits.collect(app.routes)  # routes that declare a smaller body limit (x-max-body-bytes)
    install_openapi(app)  # the document completed with what the shared machinery answers (api.openapi)
    mount_web(app)  # the web frontend, offline /docs, public registries, pilot reports (pilotkit_backend.web)
    return app


def _version() -> str:
    try:
        from pilotkit import __version__

        return __version__
    except ImportError:  # pragma: no cover
        return "0"


def __getattr__(name: str) -> FastAPI:
    """`app` is built on first access (`uvicorn pilotkit_backend.main:app`), from the environment's settings."""
    if name == "app":
        application = create_app()
        globals()["app"] = application
        return application
    raise AttributeError(name)
