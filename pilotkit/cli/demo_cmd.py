"""`pilotkit demo`: the main job on a fresh machine — local chain, compile, deploy the core contracts, and with
`--serve` the API for field apps on top of them (contracts registered, roles granted, two API keys printed)."""

from __future__ import annotations

import argparse
import time

from pilotkit.cli._common import add_project, print_table


def add_arguments(parser: argparse.ArgumentParser) -> None:
    add_project(parser)
    parser.add_argument("--network", "-n", default="local", help="local network to run on (local or ganache)")
    parser.add_argument("--script", default="scripts/deploy_core.py", help="deployment script (default: core)")
    parser.add_argument("--keep-running", action="store_true", help="keep the chain up until Ctrl-C")
    parser.add_argument("--serve", action="store_true",
                        help="then serve the API (and web app) on the demo chain until Ctrl-C")
    parser.add_argument("--host", default="127.0.0.1", help="with --serve: address to listen on (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="with --serve: port (default 8000)")
    parser.add_argument("--database-url", default=None,
                        help="with --serve: service database, emptied first (default: .pilotkit/demo-api.db)")


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
    from pilotkit.cli.node_cmd import stop_on_sigterm

    script = load_script(project.root / args.script if not Path(args.script).is_absolute() else Path(args.script))
    with stop_on_sigterm(), open_session(project, args.network) as session:
        print(f"chain: {session.connection.node.kind if session.connection.node else 'rpc'} "
              f"at {session.connection.endpoint} (chain id {session.chain_id})", flush=True)
        run_main(script, session)
        record = session.deployer.record
        ours = {alias for _, alias, _, _ in session.deployer.activity}  # not other commands' rows of the record
        rows = [[e.alias, e.address, str(e.block), f"{_gas(session, e.tx_hash):,}"]
                for e in sorted(record.contracts.values(), key=lambda e: e.block) if e.alias in ours]
        print_table(rows, ["contract", "address", "block", "deploy gas"])
        print(f"deployer {session.signer.address} ({session.signer.label}); record {record.path}")
        print(f"done in {time.perf_counter() - started:.1f}s")
        if not (args.serve or args.keep_running):
            return 0
        from pilotkit.chain import endpoint

        node = session.connection.node
        if node is not None:  # while it runs, `pilotkit run/deploy --network N` attach to the demo's chain
            endpoint.publish(project.root, args.network, node.url, node.ipc_path, node.chain_id, node.kind)
            print(f"chain at {node.url}: `pilotkit run SCRIPT` in this project attaches to it", flush=True)
        try:
            if args.serve:
                return _serve(args, project, session)
            print("chain kept running; press Ctrl-C to stop", flush=True)
            threading.Event().wait()
        finally:
            endpoint.withdraw(project.root, args.network)
    return 0


def _serve(args: argparse.Namespace, project: object, session: object) -> int:
    """Register the demo contracts with a fresh service database, print API keys, serve until Ctrl-C."""
    from pathlib import Path

    from pilotkit_backend.catalogue import CONTRACT_TYPES
    from pilotkit_backend.core.config import Settings
    from pilotkit_backend.db.engine import make_engine, make_session_factory
    from pilotkit_backend.db.migrate import upgrade_database
    from pilotkit_backend.main import create_app
    from pilotkit_backend.platform.demo import prepare_demo_service
    from pilotkit_backend.platform.runtime import attach_chain, open_chain

    from pilotkit.cli.serve_cmd import serve_app

    root: Path = project.root  # type: ignore[attr-defined]
    url = args.database_url
    if url is None:
        path = root / ".pilotkit" / "demo-api.db"
        path.parent.mkdir(parents=True, exist_ok=True)
        for stale in path.parent.glob("demo-api.db*"):  # a fresh chain needs a fresh service database
            stale.unlink()
        url = f"sqlite:///{path}"
    settings = Settings(database_url=url, project_root=root, network=args.network, worker_id="demo")
    upgrade_database(url)
    chain = open_chain(settings, project, connection=session.connection)  # type: ignore[attr-defined,arg-type]
    engine = make_engine(url)
    try:
        with make_session_factory(engine)() as db:
            keys = prepare_demo_service(db, chain, session.deployer, CONTRACT_TYPES)  # type: ignore[attr-defined]
    finally:
        engine.dispose()
    app = create_app(settings)
    attach_chain(app, chain)
    print(f"API on http://{args.host}:{args.port} (docs: /docs, web app: /); database {url}", flush=True)
    for label, token in keys:
        print(f"  API key '{label}': {token}", flush=True)
    print("  (demo keys for this local chain only; press Ctrl-C to stop the API and the chain)", flush=True)
    return serve_app(app, args.host, args.port, "info")


def _gas(session: object, tx_hash: str) -> int:
    receipt = session.connection.web3.eth.get_transaction_receipt(tx_hash)  # type: ignore[attr-defined]
    return int(receipt["gasUsed"])
