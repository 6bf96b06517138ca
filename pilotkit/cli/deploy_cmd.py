"""`pilotkit deploy NAME [ARGS...]`: deploy one contract, reusing an identical earlier deployment."""

from __future__ import annotations

import argparse

from pilotkit.cli._common import add_account, add_network, add_project, parse_cli_value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("contract", help="contract name (or path/File.sol:Name)")
    parser.add_argument("args", nargs="*", help="constructor arguments (JSON values, else strings)")
    parser.add_argument("--alias", default=None, help="record the deployment under this name")
    add_network(parser)
    add_account(parser)
    add_project(parser)


def run(args: argparse.Namespace) -> int:
    from pilotkit.project import Project
    from pilotkit.runtime import open_session

    with open_session(Project.load(args.project), args.network, args.account) as session:
        handle = session.deploy(args.contract, *[parse_cli_value(a) for a in args.args], alias=args.alias)
        entry = session.deployer.record.require(args.alias or handle.contract_name)
        print(f"{entry.alias}: {entry.address} (tx {entry.tx_hash}, block {entry.block}) on {session.network} "
              f"[chain {session.chain_id}]")
        print(f"record: {session.deployer.record.path}")
        if session.connection.is_local:
            print("note: the local chain stops when this command exits; "
                  "use `pilotkit demo` or a script to keep working")
    return 0
