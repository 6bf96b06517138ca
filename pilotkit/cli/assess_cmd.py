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


def run(args: argparse.Namespace) -> int:
    from pilotkit.pilots.assess import answers_yaml, assess, interview, load_answers

    if args.file:
        answers = load_answers(args.file)
    else:
        if not sys.stdin.isatty() and not args.save:
            print("pilotkit assess: reading answers from standard input (y/n, 1-5, text per line)", file=sys.stderr)
        answers = interview()
        if args.save:
            with open(args.save, "w", encoding="utf-8") as handle:
                handle.write(answers_yaml(answers))
            print(f"answers saved to {args.save}", file=sys.stderr)
    result = assess(answers)
    if args.json:
        print(json.dumps(result.to_dict(), indent=2))
    else:
        print(result.text())
    return 0
