"""`pilotkit demo`: the main job on a fresh machine — local chain, compile, deploy the core contracts."""

from __future__ import annotations

import argparse
import time

from pilotkit.cli._common import add_project, print_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_project(parser)
    parser.add_argument("--network", "-n", default="local", help="local network to run on (local or ganache)")
    parser.add_argument("--script", default="scripts/deploy_core.py", help="deployment script (default: core)")
    parser.add_argument("--keep-running", action="store_true", help="keep the chain up until Ctrl-C")


def run(args: argparse.Namespace) -> int:
    import threading
    from pathlib import Path

    from pilotkit.errors import NetworkError
    from pilotkit.project import Project
    from pilotkit.runtime import open_session
    from pilotkit.scripts import load_script, run_main

    project = Project.load(args.project)
    if not project.config.network(args.network).is_local:
        raise NetworkError("the demo runs on a local chain; use `pilotkit run` for other networks")
    started = time.perf_counter()
    print(f"compiling {project.config.contracts_dir.relative_to(project.root)}/ ...", flush=True)
    result = project.compile(network=args.network)
    print("  up to date" if result.from_cache else f"  compiled {len(result.compiled)} file(s)", flush=True)
    script = load_script(project.root / args.script if not Path(args.script).is_absolute() else Path(args.script))
    with open_session(project, args.network) as session:
        print(f"chain: {session.connection.node.kind if session.connection.node else 'rpc'} "
              f"at {session.connection.endpoint} (chain id {session.chain_id})", flush=True)
        run_main(script, session)
        record = session.deployer.record
        rows = [[e.alias, e.address, str(e.block), f"{_gas(session, e.tx_hash):,}"]
                for e in sorted(record.contracts.values(), key=lambda e: e.block)]
        print_table(rows, ["contract", "address", "block", "deploy gas"])
        print(f"deployer {session.signer.address} ({session.signer.label}); record {record.path}")
        print(f"done in {time.perf_counter() - started:.1f}s")
        if args.keep_running:
            print("chain kept running; press Ctrl-C to stop", flush=True)
            threading.Event().wait()
    return 0


def _gas(session: object, tx_hash: str) -> int:
    receipt = session.connection.web3.eth.get_transaction_receipt(tx_hash)  # type: ignore[attr-defined]
    return int(receipt["gasUsed"])
