"""`pilotkit deploy NAME [ARGS...]`: deploy one contract, reusing an identical earlier deployment."""

from __future__ import annotations

import argparse

from pilotkit.cli._common import add_account, add_network, add_project, add_rpc, parse_cli_value


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("contract", help="contract name (or path/File.sol:Name)")
    parser.add_argument("args", nargs="*", help="constructor arguments (JSON values, else strings)")
    parser.add_argument("--alias", default=None, help="record the deployment under this name")
    add_network(parser)
    add_account(parser)
    add_rpc(parser)
    add_project(parser)


def run(args: argparse.Namespace) -> int:
    from pilotkit.project import Project
    from pilotkit.runtime import open_session

    with open_session(Project.load(args.project), args.network, args.account, rpc=args.rpc,
                      attach_running=True) as session:
        handle = session.deploy(args.contract, *[parse_cli_value(a) for a in args.args], alias=args.alias)
        entry = session.deployer.record.require(args.alias or handle.contract_name)
        reused = any(action == "reused" for action, *_ in session.deployer.activity)
        print(f"{entry.alias}: {entry.address} (tx {entry.tx_hash}, block {entry.block}) on {session.network} "
              f"[chain {session.chain_id}]" + (" (reused: already deployed with these arguments)" if reused else ""))
        print(f"record: {session.deployer.record.path}")
        if session.attached:
            print(session.attached)
        elif session.connection.node is not None:
            print("note: the local chain stops when this command exits; start `pilotkit node` first (commands "
                  "then attach to it), or pass --rpc URL of a running node")
    return 0
