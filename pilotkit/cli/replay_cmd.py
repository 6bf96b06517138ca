"""`pilotkit replay pilots/x.yaml`: replay a pilot scenario on a fresh chain; write its JSON and HTML reports."""

from __future__ import annotations

import argparse
import sys

from pilotkit.cli._common import add_project


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("scenario", help="scenario file (see docs/pilots.md; the catalogue is in pilots/)")
    parser.add_argument("--seed", type=int, default=None, help="override the scenario's seed (accounts, ids)")
    parser.add_argument("--full", action="store_true", help="replay at the real pilot's size (actors.full)")
    parser.add_argument("--via", choices=("direct", "api"), default="direct",
                        help="drive the contracts through the Python library (direct) or the backend HTTP API")
    parser.add_argument("--network", "-n", default=None,
                        help="local network from pilotkit.toml (default: the scenario's chain.network, else local)")
    parser.add_argument("--out", default=None, metavar="DIR",
                        help="folder for <name>.json and <name>.html (default: build/pilot-reports)")
    parser.add_argument("--no-html", action="store_true", help="write only the JSON result")
    parser.add_argument("--quiet", "-q", action="store_true", help="no progress bar")
    add_project(parser)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pilotkit.pilots.engine import replay_file
    from pilotkit.pilots.report_json import write_json
    from pilotkit.project import Project

    project = Project.load(args.project)
    result = replay_file(Path(args.scenario), project=project, seed=args.seed, full=args.full, via=args.via,
                         network=args.network, progress=not args.quiet and sys.stderr.isatty() or None)
    out = Path(args.out) if args.out else project.root / "build" / "pilot-reports"
    out.mkdir(parents=True, exist_ok=True)
    name = result["scenario"]["name"] + ("-full" if args.full else "")
    json_path = write_json(result, out / f"{name}.json")
    print(f"result: {json_path}")
    if not args.no_html:
        from pilotkit.pilots.report_html import write_html

        print(f"report: {write_html(result, out / f'{name}.html')}")
    summary = result["summary"]
    if "api" in result:  # --via api: how many operations went through the API, and its jobs
        api = result["api"]
        print(f"path: via api — {api['operations']['api']} operations through the API ({api['jobs']} jobs, "
              f"{api['requests']} requests, p50 {api['request_ms']['p50']} ms), {api['operations']['library']} "
              "through the library (deployment, grants, chain time, third parties' own wallets)")
    else:
        print("path: via direct (the Python library)")
    print(f"verdict: {summary['verdict']} — {summary['headline']}")
    return 0 if summary["verdict"] == "PASS" else 3
