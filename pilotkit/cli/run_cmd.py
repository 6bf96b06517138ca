"""`pilotkit run scripts/x.py`: import a deployment script and call its main() inside a session."""

from __future__ import annotations

import argparse

from pilotkit.cli._common import add_account, add_network, add_project


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("script", help="path to a Python file defining main() or main(session)")
    add_network(parser)
    add_account(parser)
    add_project(parser)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pilotkit.project import Project
    from pilotkit.runtime import open_session
    from pilotkit.scripts import load_script, run_main

    script = load_script(Path(args.script))
    with open_session(Project.load(args.project), args.network, args.account) as session:
        result = run_main(script, session)
    return int(result) if isinstance(result, int) else 0
