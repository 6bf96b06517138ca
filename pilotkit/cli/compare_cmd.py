"""`pilotkit compare a.json b.json`: what changed between two replay results."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("before", help="a replay result (JSON)")
    parser.add_argument("after", help="another replay result (JSON)")
    parser.add_argument("--json", action="store_true", help="print the differences as JSON")


def run(args: argparse.Namespace) -> int:
    from pilotkit.pilots.compare import compare_files

    diff = compare_files(args.before, args.after)
    if args.json:
        import json

        print(json.dumps(diff.to_dict(), indent=2))
    else:
        print(diff.text())
    return 0
