"""`pilotkit serve`: migrate the service database, then run the HTTP API for field apps until Ctrl-C."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING

from pilotkit.cli._common import add_network, add_project
from pilotkit.errors import PilotkitError

if TYPE_CHECKING:
    from pilotkit_backend.api.routes.health import HealthCheck
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
        "--log-level",
        default="info",
        choices=("debug", "info", "warning", "error"),
        help="server log level (default info); logs never carry keys or personal data",
    )


def run(args: argparse.Namespace) -> int:
    import copy
    import signal
    from pathlib import Path

    try:
        import uvicorn
        from pilotkit_backend.core.config import Settings
        from pilotkit_backend.db.migrate import upgrade_database
        from pilotkit_backend.main import create_app
        from sqlalchemy.engine import make_url
        from sqlalchemy.exc import SQLAlchemyError
        from uvicorn.config import LOGGING_CONFIG
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ServeError("`pilotkit serve` needs the server extra: pip install 'pilotkit[server]'") from exc

    overrides: dict[str, object] = {}
    if args.database_url:
        overrides["database_url"] = args.database_url
    if args.network:
        overrides["network"] = args.network
    if args.project:
        overrides["project_root"] = Path(args.project)
    settings = Settings(**overrides)  # type: ignore[arg-type]
    shown_db = make_url(settings.database_url).render_as_string(hide_password=True)
    chain = _chain_check(settings, explicit=bool(args.network))
    try:
        upgrade_database(settings.database_url)
    except SQLAlchemyError as exc:
        orig = getattr(exc, "orig", None)
        reason = str(orig).strip().splitlines()[0][:200] if orig is not None and str(orig).strip() else ""
        raise ServeError(f"cannot migrate the database {shown_db} ({reason or type(exc).__name__})") from None
    app = create_app(settings)
    if chain is not None:
        app.state.health_checks["chain"] = chain
    print(
        f"pilotkit API on http://{args.host}:{args.port} (docs: /docs); database {shown_db}; "
        f"network {settings.network}",
        flush=True,
    )

    def _on_term(_signum: int, _frame: object) -> None:
        raise _Stop

    log_config = copy.deepcopy(LOGGING_CONFIG)  # uvicorn's, plus the service's own loggers (access log included)
    log_config["loggers"]["pilotkit_backend"] = {
        "handlers": ["default"],
        "level": args.log_level.upper(),
        "propagate": False,
    }
    previous = signal.signal(signal.SIGTERM, _on_term)
    try:
        uvicorn.run(
            app,
            host=args.host,
            port=args.port,
            log_level=args.log_level,
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


def _chain_check(settings: Settings, explicit: bool) -> HealthCheck | None:
    """A health check for networks with an RPC URL in pilotkit.toml (local chains register theirs when started)."""
    from pilotkit_backend.api.routes.health import rpc_health_check

    from pilotkit.config import load_config
    from pilotkit.errors import ConfigError

    try:
        config = load_config(settings.project_root)
        network = config.network(settings.network)
        if network.url is None:
            return None
        return rpc_health_check(network.resolved_url())
    except ConfigError as exc:
        if explicit:
            raise ServeError(str(exc)) from None
        return None
