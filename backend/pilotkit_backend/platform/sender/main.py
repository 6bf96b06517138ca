"""Run a sender worker as its own process: `python -m pilotkit_backend.platform.sender --help`.

Settings come from the environment (PILOTKIT_API_*) and can be overridden on the command line. The worker
reconciles on start-up, prints one `sender ready` line, and works until SIGTERM / SIGINT.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import signal
import sys
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError

from pilotkit.errors import AccountError, ChainIdMismatch, PilotkitError

if TYPE_CHECKING:
    from pilotkit.accounts.signer import Signer
    from pilotkit.chain.connection import Connection
    from pilotkit.config import NetworkConfig
    from pilotkit.contracts.reverts import ErrorDecoder

log = logging.getLogger("pilotkit_backend.sender")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    from pilotkit_backend.core.config import Settings

    settings = Settings()
    parser = argparse.ArgumentParser(prog="python -m pilotkit_backend.platform.sender",
                                     description="Work the transaction job queue (exactly-once sender).")
    parser.add_argument("--database-url", default=settings.database_url)
    parser.add_argument("--project", type=Path, default=settings.project_root, help="pilotkit project folder")
    parser.add_argument("--network", default=settings.network, help="network name from pilotkit.toml")
    parser.add_argument("--rpc", help="endpoint of a running node: http(s) URL or IPC socket path "
                                      "(default: the network's url)")
    parser.add_argument("--signer", action="append", default=None,
                        help="signing account (devN on local chains, else a keystore name); repeatable")
    parser.add_argument("--worker-id", help="stable id: a restart with the same id resumes its leases at once")
    parser.add_argument("--lease-seconds", type=float, default=30.0)
    parser.add_argument("--max-pending", type=int, default=settings.max_pending_per_signer)
    parser.add_argument("--stuck-after", type=float, default=settings.stuck_after_seconds)
    parser.add_argument("--poll", type=float, default=settings.sender_poll_seconds)
    parser.add_argument("--migrate", action="store_true", help="bring the database schema up to date first")
    parser.add_argument("--log-level", default="INFO")
    args = parser.parse_args(argv)
    args.settings = settings.model_copy(update={
        "database_url": args.database_url, "network": args.network, "max_pending_per_signer": args.max_pending,
        "stuck_after_seconds": args.stuck_after, "sender_poll_seconds": args.poll,
    })
    if not args.signer:
        args.signer = [settings.signer_account] if settings.signer_account else ["dev0"]
    return args


def open_connection(network: NetworkConfig, endpoint: str | None) -> Connection:
    """A connection to a node that is already running (this process never starts one)."""
    from web3 import Web3

    from pilotkit.chain.connection import Connection, connect, ipc_provider

    if endpoint is None:
        if network.is_local:
            raise PilotkitError(f"network '{network.name}' is a local chain: pass --rpc of the running node")
        return connect(network)
    # the network keeps its kind (a local chain stays local: dev accounts) but gets the endpoint as its url, so
    # other clients of this connection (the indexer) reach the same node
    reached = dataclasses.replace(network, url=endpoint)
    if endpoint.startswith(("http://", "https://")):
        remote = connect(dataclasses.replace(network, kind="rpc", url=endpoint))
        return Connection(reached, remote.web3, remote.chain_id, None, False)
    web3 = Web3(ipc_provider(endpoint, network.timeout))
    if network.poa:
        from web3.middleware import ExtraDataToPOAMiddleware

        web3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
    chain_id = int(web3.eth.chain_id)
    if network.chain_id is not None and chain_id != network.chain_id:
        raise ChainIdMismatch(f"node answered chain id {chain_id}, network '{network.name}' is {network.chain_id}")
    return Connection(reached, web3, chain_id, None, False)


def resolve_signers(network: NetworkConfig, names: list[str]) -> list[Signer]:
    """devN accounts on local networks; keystore accounts (password from the environment) elsewhere."""
    from pilotkit.accounts.dev import dev_accounts
    from pilotkit.accounts.keystore import Keystore

    signers = []
    for name in names:
        if name.startswith("dev") and name[3:].isdigit():
            if not network.is_local:
                raise AccountError(f"dev accounts exist only on local chains, not on '{network.name}'")
            signers.append(dev_accounts(max(10, int(name[3:]) + 1))[int(name[3:])])
        else:
            signers.append(Keystore().unlock(name))
    return signers


def error_decoder(project: Any, network: str) -> ErrorDecoder:
    """Decodes every custom error of the project's existing build (compiled only if there is none yet)."""
    from pilotkit.compiler.artifacts import ArtifactStore
    from pilotkit.compiler.build import output_dir_for
    from pilotkit.errors import ArtifactNotFound

    try:
        store = ArtifactStore.open(output_dir_for(project.config, project.settings(network)))
    except ArtifactNotFound:
        store = project.artifacts(network)
    return project.error_decoder(store)


def main(argv: list[str] | None = None) -> int:
    from pilotkit.project import Project
    from pilotkit_backend.db.engine import make_engine, make_session_factory
    from pilotkit_backend.platform.sender.worker import SenderWorker

    args = parse_args(argv)
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    try:
        project = Project.load(args.project)
        network = project.config.network(args.network)
        connection = open_connection(network, args.rpc)
    except PilotkitError as exc:
        print(f"sender: {exc}", file=sys.stderr)
        return 2
    engine = make_engine(args.settings.database_url)
    try:
        if args.migrate:
            from pilotkit_backend.db.migrate import upgrade_database

            upgrade_database(args.settings.database_url)
        missing = {"jobs", "job_attempts", "signer_nonces"} - set(inspect(engine).get_table_names())
        if missing:
            print(f"sender: the database has no {', '.join(sorted(missing))} table(s): migrate it first "
                  "(--migrate, or `pilotkit serve`)", file=sys.stderr)
            return 2
        worker = SenderWorker(make_session_factory(engine), connection, resolve_signers(network, args.signer),
                              args.settings, errors=error_decoder(project, network.name),
                              worker_id=args.worker_id, lease_seconds=args.lease_seconds)
        worker.reconcile()
        print(f"sender ready worker={worker.worker_id} signers={len(worker.signers)}", flush=True)
        worker.run_forever(stop, reconcile=False)
        return 0
    except PilotkitError as exc:
        print(f"sender: {exc}", file=sys.stderr)
        return 1
    except SQLAlchemyError as exc:
        print(f"sender: database error: {type(exc).__name__}", file=sys.stderr)
        return 1
    finally:
        connection.close()
        engine.dispose()


if __name__ == "__main__":
    sys.exit(main())
