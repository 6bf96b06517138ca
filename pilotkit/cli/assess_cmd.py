"""`pilotkit assess [FILE]`: the decision-making matrix and risk register → a recommendation with reasons."""

from __future__ import annotations

import argparse
import json
import sys


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", nargs="?", default=None,
                        help="a scenario (pilots/*.yaml) or a file holding only `assessment:`; "
                             "without it the questions are asked interactively")
    parser.add_argument("--json", action="store_true", help="print the result as JSON")
    parser.add_argument("--save", default=None, metavar="YAML",
                        help="interactive mode: also write the answers to this file (re-run with it later)")
    parser.add_argument("--network", "-n", default=None,
                        help="also store the result in this network's deployment record (under extra.assessment), "
                             "next to the contracts deployed for the pilot")
    parser.add_argument("--project", default=None, help="project folder (default: nearest pilotkit.toml upwards)")


def run(args: argparse.Namespace) -> int:
    from pilotkit.pilots.assess import answers_yaml, assess, interview, load_answers

    if args.file:
        answers = load_answers(args.file)
    else:
        if not sys.stdin.isatty() and not args.save:
            print("pilotkit assess: reading answers from standard input (y/n, 1-5, text per line)", file=sys.stderr)
        try:
            answers = interview()
        except EOFError:
            from pilotkit.errors import PilotkitError

            raise PilotkitError("the input ended before every question was answered; answer them all (y/n, 1-5, "
                                "a mitigation per risk), or assess a scenario or answers file: "
                                "`pilotkit assess pilots/NAME.yaml`") from None
        if args.save:
            with open(args.save, "w", encoding="utf-8") as handle:
                handle.write(answers_yaml(answers))
            print(f"answers saved to {args.save}", file=sys.stderr)
    result = assess(answers)
    if args.network:
        print(f"assessment stored in {_store(args, result.to_dict())}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.text())
    return 0


def _store(args: argparse.Namespace, result: dict[str, object]) -> str:
    """Write the result into the network's deployment record (`extra.assessment`, with the time it was made)."""
    from datetime import UTC, datetime

    from pilotkit.deploy.records import DeploymentRecord, record_path
    from pilotkit.errors import ConfigError
    from pilotkit.project import Project

    project = Project.load(args.project)
    network = project.config.network(args.network)
    if network.chain_id is None:
        raise ConfigError(f"network '{network.name}' has no chain_id in pilotkit.toml: its record cannot be named")
    path = record_path(project.config.deployments_dir, network.chain_id, network.name, network.is_local)
    record = DeploymentRecord(path, network.chain_id, network.name)
    record.extra["assessment"] = {**result, "assessed_at": datetime.now(UTC).isoformat(timespec="seconds")}
    record.save()
    return str(path)
