"""`pilotkit serve`: migrate the service database, then run the HTTP API for field apps until Ctrl-C."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from pilotkit.cli._common import add_network, add_project
from pilotkit.errors import PilotkitError

if TYPE_CHECKING:
    from fastapi import FastAPI
    from pilotkit_backend.core.config import Settings


class ServeError(PilotkitError):
    """The API could not be started."""


class _Stop(Exception):
    """SIGTERM after uvicorn's graceful shutdown."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (default 8000)")
    add_network(parser)
    add_project(parser)
    parser.add_argument(
        "--database-url",
        default=None,
        help="service database (default: PILOTKIT_API_DATABASE_URL or sqlite:///pilotkit-api.db)",
    )
    parser.add_argument(
        "--rpc",
        default=None,
        help="endpoint of the running node (http(s) URL or IPC path); default: the network's url. Local chains "
        "need it (or use `pilotkit demo --serve`, which starts one)",
    )
    parser.add_argument(
        "--no-workers",
        action="store_true",
        help="answer requests only: run the job sender and the event indexer in another process",
    )
    parser.add_argument(
        "--log-level",
        default="info",
        choices=("debug", "info", "warning", "error"),
        help="server log level (default info); logs never carry keys or personal data",
    )


def run(args: argparse.Namespace) -> int:
    import os
    from pathlib import Path

    try:
        from pilotkit_backend.core.config import Settings
        from pilotkit_backend.db.migrate import upgrade_database
        from pilotkit_backend.main import create_app
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import SQLAlchemyError
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ServeError("`pilotkit serve` needs the server extra: pip install 'pilotkit[server]'") from exc

    overrides: dict[str, object] = {}
    if args.database_url:
        overrides["database_url"] = args.database_url
    if args.network:
        overrides["network"] = args.network
    if args.project:
        overrides["project_root"] = Path(args.project)
    if args.rpc:
        overrides["rpc_url"] = args.rpc
    if args.no_workers:
        overrides["run_workers"] = False
    settings = Settings(**overrides)  # type: ignore[arg-type]
    shown_db = make_url(settings.database_url).render_as_string(hide_password=True)
    try:
        upgrade_database(settings.database_url)
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        reason = str(orig).strip().splitlines()[0][:200] if orig is not None and str(orig).strip() else ""
        raise ServeError(f"cannot migrate the database {shown_db} ({reason or type(exc).__name__})") from None
    app = create_app(settings)
    network_given = bool(args.network) or "PILOTKIT_API_NETWORK" in os.environ
    chain_note = _attach_chain(app, settings, explicit=bool(args.network or args.rpc), network_given=network_given)
    print(
        f"pilotkit API on http://{args.host}:{args.port} (docs: /docs); database {shown_db}; "
        f"network {settings.network}; {chain_note}",
        flush=True,
    )
    try:
        return serve_app(app, args.host, args.port, args.log_level)
    finally:
        chain = getattr(app.state, "chain", None)
        if chain is not None:
            chain.connection.close()


def serve_app(app: object, host: str, port: int, log_level: str) -> int:
    """Run `app` with uvicorn until Ctrl-C or SIGTERM (graceful: workers stop, the database closes)."""
    import copy
    import signal

    import uvicorn
    from uvicorn.config import LOGGING_CONFIG

    def _on_term(_signum: int, _frame: object) -> None:
        raise _Stop

    log_config = copy.deepcopy(LOGGING_CONFIG)  # uvicorn's, plus the service's own loggers (access log included)
    log_config["loggers"]["pilotkit_backend"] = {
        "handlers": ["default"],
        "level": log_level.upper(),
        "propagate": False,
    }
    previous = signal.signal(signal.SIGTERM, _on_term)
    try:
        uvicorn.run(
            app,  # type: ignore[arg-type]
            host=host,
            port=port,
            log_level=log_level,
            log_config=log_config,
            access_log=False,
            server_header=False,
            lifespan="on",
        )
    except (KeyboardInterrupt, _Stop):
        pass  # uvicorn already shut down gracefully; it re-raises the signal that stopped it
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("pilotkit serve: stopped", flush=True)
    return 0


def _attach_chain(app: FastAPI, settings: Settings, explicit: bool, network_given: bool = True) -> str:
    """Connect the app to its chain (domain routes, sender, indexer); says what happened, for the banner.

    Without a project (no pilotkit.toml) or a reachable chain the API still serves keys, jobs and health;
    routes that need the chain answer 503. An explicit --network or --rpc that cannot be reached is an error.
    """
    from pilotkit_backend.platform.runtime import attach_chain, open_chain

    from pilotkit.config import load_config
    from pilotkit.errors import ConfigError

    try:
        network = load_config(settings.project_root).network(settings.network)
    except ConfigError as exc:
        if explicit:
            raise ServeError(str(exc)) from None
        return "no chain (no pilotkit.toml here)"
    if network.is_local and not settings.rpc_url:
        return (f"no chain: '{network.name}' is a local chain, pass --rpc of the running node "
                "(or run `pilotkit demo --serve`)")
    try:
        chain = open_chain(settings)
    except PilotkitError as exc:
        raise ServeError(f"cannot attach the chain: {exc}") from None
    attach_chain(app, chain)
    workers = "sender and indexer running" if settings.run_workers else "no workers (--no-workers)"
    taken = ""
    if settings.rpc_url and not network_given:  # never silently: say which network the chain at --rpc is taken as
        from pilotkit.chain.connection import _redact

        try:
            client = str(chain.connection.web3.client_version).split(" ")[0]
        except Exception:
            client = "client unknown"
        taken = (f"; --rpc {_redact(settings.rpc_url)} taken as network '{network.name}' ({client}); pass "
                 "--network N if it is another configured network")
    return f"chain id {chain.chain_id}, {workers}{taken}"
