"""`pilotkit api-key`: create, list and revoke the service's API keys (the secret is printed once, at creation)."""

from __future__ import annotations

import argparse
from typing import Any

from pilotkit.errors import PilotkitError

# Mirrors pilotkit_backend.platform.models.access.Scope (kept here so parsing needs no SQLAlchemy import).
SCOPES = ("registrar", "disburser", "approver", "merchant", "issuer", "verifier", "auditor", "admin")


class ApiKeyError(PilotkitError):
    """An API key command could not be carried out."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    help_text = ("service database (default: PILOTKIT_API_DATABASE_URL, else the demo's .pilotkit/demo-api.db when "
                 "it exists, else sqlite:///pilotkit-api.db, as `pilotkit serve` and `pilotkit demo` use them)")
    parser.add_argument("--database-url", default=None, help=help_text)  # before the action or after it
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--database-url", default=argparse.SUPPRESS, help=help_text)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log progress")
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    create = sub.add_parser("create", parents=[common], help="create a key and print its secret once")
    create.add_argument("--label", required=True, help="who or what uses the key, e.g. 'tablet 14, Kakuma'")
    create.add_argument(
        "--scope",
        action="append",
        required=True,
        choices=SCOPES,
        metavar="SCOPE",
        help=f"a permission; repeat for several ({', '.join(SCOPES)})",
    )
    create.add_argument(
        "--bind",
        default=None,
        metavar="KIND:ID",
        help="limit the key to one object: programme:ADDRESS or registry:ADDRESS",
    )
    sub.add_parser("list", parents=[common], help="list keys: id, prefix, label, scopes, binding, status")
    revoke = sub.add_parser("revoke", parents=[common], help="revoke a key by id or prefix (at once, for good)")
    revoke.add_argument("key", metavar="ID", help="key id or prefix, as `list` shows them")


def run(args: argparse.Namespace) -> int:
    import sys

    url, source = _database_url(args.database_url)
    shown = _shown(url)
    missing = _missing_sqlite_file(url)
    if args.action == "list" and missing is not None:
        raise ApiKeyError(f"no service database at {missing} ({source}); nothing was created. Pass --database-url "
                          "of the service's database (the one `pilotkit serve` or `pilotkit demo --serve` uses)")
    print(f"database {shown} ({source})", file=sys.stderr)
    from pilotkit_backend.db.engine import make_engine, make_session_factory
    from pilotkit_backend.db.migrate import upgrade_database
    from sqlalchemy.exc import SQLAlchemyError

    try:
        upgrade_database(url)
        engine = make_engine(url)
        try:
            with make_session_factory(engine)() as session:
                return int(_ACTIONS[args.action](session, args))
        finally:
            engine.dispose()
    except SQLAlchemyError as exc:
        raise ApiKeyError(f"database error ({_db_reason(exc)}); check --database-url") from None


def _database_url(given: str | None) -> tuple[str, str]:
    """The database and where it came from: --database-url, the settings' environment variable, the demo's
    database of the project here (when it exists), else the settings' default, in that order."""
    import os

    try:
        from pilotkit_backend.core.config import Settings
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise ApiKeyError("the API needs the server extra: pip install 'pilotkit[server]'") from exc
    if given:
        return given, "--database-url"
    if os.environ.get("PILOTKIT_API_DATABASE_URL"):
        return Settings().database_url, "from PILOTKIT_API_DATABASE_URL"
    from pilotkit.config import find_project_root

    try:
        demo = find_project_root() / ".pilotkit" / "demo-api.db"
    except PilotkitError:
        demo = None
    if demo is not None and demo.is_file():
        return f"sqlite:///{demo}", "the demo's database"
    return Settings().database_url, "the default"


def _missing_sqlite_file(url: str) -> str | None:
    """The path of a SQLite file database that does not exist yet, else None."""
    from pathlib import Path

    from sqlalchemy.engine import make_url

    try:
        parsed = make_url(url)
    except Exception:
        return None
    if not parsed.drivername.startswith("sqlite") or parsed.database in (None, "", ":memory:"):
        return None
    return None if Path(parsed.database).exists() else str(parsed.database)


def _shown(url: str) -> str:
    from sqlalchemy.engine import make_url

    try:
        return make_url(url).render_as_string(hide_password=True)
    except Exception:
        return "(unparsable url)"


def _db_reason(exc: Exception) -> str:
    orig = getattr(exc, "orig", None)
    text = str(orig).strip().splitlines()[0] if orig is not None and str(orig).strip() else type(exc).__name__
    return text[:200]


def _create(session: Any, args: argparse.Namespace) -> int:
    from pilotkit_backend.platform.auth import InvalidBinding, create_key, parse_binding

    try:
        binding = parse_binding(args.bind) if args.bind else None
    except InvalidBinding as exc:
        raise ApiKeyError(str(exc)) from None
    try:
        row, token = create_key(session, args.label, args.scope, binding)
    except ValueError as exc:
        raise ApiKeyError(str(exc)) from None
    print(
        f"created API key {row.id} ({row.prefix}) '{row.label}': scopes {', '.join(row.scopes)}"
        + (f"; bound to {binding}" if binding else "")
    )
    print("secret (shown only now; store it in the field app, it cannot be recovered):")
    print(token)
    return 0


def _list(session: Any, args: argparse.Namespace) -> int:
    from pilotkit_backend.platform.auth import list_keys

    from pilotkit.cli._common import print_table

    rows = [
        [
            str(k.id),
            k.prefix,
            k.label,
            ",".join(k.scopes),
            f"{k.bound_kind}:{k.bound_id}" if k.bound_kind else "-",
            "revoked" if k.revoked_at else "active",
            k.created_at.strftime("%Y-%m-%d %H:%M"),
            k.last_used_at.strftime("%Y-%m-%d %H:%M") if k.last_used_at else "never",
        ]
        for k in list_keys(session)
    ]
    if not rows:
        print("no API keys yet; create one with `pilotkit api-key create --label L --scope S`")
        return 0
    print_table(rows, ["id", "prefix", "label", "scopes", "binding", "status", "created (UTC)", "last used"])
    return 0


def _revoke(session: Any, args: argparse.Namespace) -> int:
    import sys

    from pilotkit_backend.platform.auth import KeyNotFound, find_key, is_admin_key, other_admin_keys, revoke_key

    try:
        row = find_key(session, args.key)
    except KeyNotFound as exc:
        raise ApiKeyError(f"{exc}; `pilotkit api-key list` shows the keys") from None
    last_admin = is_admin_key(row) and other_admin_keys(session, row) == 0
    row, changed = revoke_key(session, row)
    state = "revoked" if changed else "was already revoked"
    print(f"API key {row.id} ({row.prefix}) '{row.label}' {state}")
    if changed and last_admin:
        print("warning: that was the last active unbound admin key: no API key can now register contracts or "
              "manage keys; create one with `pilotkit api-key create --label L --scope admin`", file=sys.stderr)
    return 0


_ACTIONS = {"create": _create, "list": _list, "revoke": _revoke}
