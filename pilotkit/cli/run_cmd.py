"""`pilotkit run scripts/x.py`: import a deployment script and call its main() inside a session."""

from __future__ import annotations

import argparse
from typing import TYPE_CHECKING, Any

from pilotkit.cli._common import add_account, add_network, add_project, add_rpc

if TYPE_CHECKING:
    from pilotkit.runtime import Session


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("script", help="path to a Python file defining main() or main(session)")
    add_network(parser)
    add_account(parser)
    add_rpc(parser)
    add_project(parser)


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    from pilotkit.project import Project
    from pilotkit.runtime import open_session
    from pilotkit.scripts import load_script, run_main

    script = load_script(Path(args.script))
    with open_session(Project.load(args.project), args.network, args.account, rpc=args.rpc,
                      attach_running=True) as session:
        print(describe_chain(session), flush=True)
        session.deployer.sender.sent = []
        try:
            result = run_main(script, session)
        finally:
            summarise(session)
    if result is not None:
        print(f"  main() returned {result!r}")
    return result if isinstance(result, int) and not isinstance(result, bool) else 0


def describe_chain(session: Session) -> str:
    how = session.attached or ("started for this command; it stops when the command exits"
                               if session.connection.node is not None else f"at {session.connection.endpoint}")
    return (f"{session.network} (chain {session.chain_id}), {how}; signer {session.signer.label} "
            f"{session.signer.address}")


def summarise(session: Session) -> None:
    """What the script did on chain: contracts deployed or reused, transactions sent."""
    seen: set[tuple[str, str]] = set()
    for action, alias, address, tx_hash in session.deployer.activity:
        if (action, alias) in seen:
            continue
        seen.add((action, alias))
        print(f"  {action} {alias} at {address}" + (f" (tx {tx_hash})" if action == "deployed" else ""))
    sent: list[Any] = session.deployer.sender.sent or []
    gas = sum(g for _, g in sent)
    print(f"  transactions sent: {len(sent)} (gas used {gas:,})")
    if session.deployer.activity:
        print(f"  record: {session.deployer.record.path}")
