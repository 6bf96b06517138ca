"""The `pilotkit` command line. Sub-commands import their heavy dependencies only when they run."""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

# command name → (module under pilotkit.cli, one-line help). Modules load only when their command runs.
COMMANDS: dict[str, tuple[str, str]] = {
    "compile": ("compile_cmd", "compile contracts/ (cached: an unchanged tree compiles nothing)"),
    "node": ("node_cmd", "start a local chain (Anvil or Ganache) on 127.0.0.1 until Ctrl-C"),
    "deploy": ("deploy_cmd", "deploy one contract to a network (idempotent, recorded per chain id)"),
    "run": ("run_cmd", "run a deployment script's main() against a network"),
    "demo": ("demo_cmd", "start a local chain, compile, deploy the core contracts and print them"),
    "accounts": ("accounts_cmd", "manage encrypted keystore accounts: new, import, list"),
    "networks": ("networks_cmd", "list the networks configured in pilotkit.toml"),
    "toolchain": ("toolchain_cmd", "show which anvil, ganache and solc pilotkit will use; install the solc-js shim"),
    "serve": ("serve_cmd", "run the HTTP API for field apps"),
    "api-key": ("api_key_cmd", "manage API keys: create, list, revoke"),
    "roles": ("roles_cmd", "the contract roles the service's signers need: show, plan (dry run), grant"),
    "assess": ("assess_cmd", "decision matrix + risk register: should this pilot use a blockchain, and which?"),
    "replay": ("replay_cmd", "replay a pilot scenario (pilots/*.yaml) and write its JSON and HTML reports"),
    "compare": ("compare_cmd", "show what changed between two replay results (JSON)"),
}


def build_parser(argv: Sequence[str] = ()) -> argparse.ArgumentParser:
    """The parser; only the command named in `argv` gets its full options (its module is imported)."""
    chosen = next((a for a in argv if not a.startswith("-")), None)
    parser = argparse.ArgumentParser(
        prog="pilotkit",
        description="Compile, deploy and test public-sector blockchain pilots on any EVM chain.",
    )
    parser.add_argument("--version", action="store_true", help="print the pilotkit version and exit")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress (never keys or personal data)")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (module, summary) in COMMANDS.items():
        command = sub.add_parser(name, help=summary, description=summary)
        command.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                             help="log progress (never keys or personal data); also accepted before the command")
        command.set_defaults(_module=module)
        if name == chosen:
            importlib.import_module(f"pilotkit.cli.{module}").add_arguments(command)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args_list = list(sys.argv[1:] if argv is None else argv)
    parser = build_parser(args_list)
    args = parser.parse_args(args_list)
    if args.version:
        from pilotkit import __version__

        print(f"pilotkit {__version__}")
        return 0
    if not args.command:
        parser.print_help()
        return 0
    if args.verbose:
        import logging

        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    module = importlib.import_module(f"pilotkit.cli.{args._module}")
    from pilotkit.errors import PilotkitError

    try:
        return int(module.run(args) or 0)
    except PilotkitError as exc:
        print(f"pilotkit {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"pilotkit {args.command}: interrupted; local chains were stopped", file=sys.stderr)
        return 130
    except Exception as exc:  # anything else: where it happened in one line; the traceback only with --verbose
        if args.verbose:
            raise
        print(f"pilotkit {args.command}: error: {_where(exc)}{type(exc).__name__}: {exc} "
              "(run with --verbose for the traceback)", file=sys.stderr)
        return 1


def _where(exc: BaseException) -> str:
    """`file:line in function: ` of the innermost frame outside pilotkit and installed libraries (a user's
    script), else of the innermost frame."""
    import traceback
    from pathlib import Path

    package = str(Path(__file__).resolve().parents[1])
    frames = traceback.extract_tb(exc.__traceback__)
    if not frames:
        return ""
    outside = [f for f in frames if not f.filename.startswith(package) and "site-packages" not in f.filename
               and not f.filename.startswith("<")]
    frame = (outside or frames)[-1]
    return f"{frame.filename}:{frame.lineno} in {frame.name}: "


if __name__ == "__main__":
    raise SystemExit(main())
