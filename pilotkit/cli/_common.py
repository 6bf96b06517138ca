"""Options and output helpers shared by several commands."""

from __future__ import annotations

import argparse
from typing import Any

from pilotkit import safejson


def add_network(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--network", "-n", default=None, help="network name from pilotkit.toml (default: local)")


def add_account(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--account", "-a", default=None,
                        help="keystore account name (real networks) or devN (local chains; default dev0)")


def add_rpc(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--rpc", default=None, metavar="URL",
                        help="use the node already running at URL (http://... or an IPC socket path) instead of "
                             "starting one; without it a local network attaches to a running `pilotkit node`")


def add_project(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--project", default=None, help="project folder (default: nearest pilotkit.toml upwards)")


def parse_cli_value(text: str) -> Any:
    """A constructor argument from the command line: JSON when it parses (numbers, lists), else the string."""
    try:
        return safejson.loads(text)
    except ValueError:
        return text


def print_table(rows: list[list[str]], header: list[str]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print("  ".join(str(cell).ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip())
