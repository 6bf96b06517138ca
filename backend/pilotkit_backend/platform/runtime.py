"""Connecting the app to its chain: the `ChainContext`, the job sender and the event indexer as app workers.

`attach_chain(app, chain)` makes the domain routes work (without it they answer 503), registers the chain's
health check and the signers' health warnings (low gas money, a role not granted), and (with
`settings.run_workers`) runs one sender worker for all role signers and one indexer following every registered
contract, each on its own thread. The indexer notices contracts registered while
it runs and follows them from their deployment block.
"""

from __future__ import annotations

import logging
import socket
import threading
from typing import TYPE_CHECKING, Any

from fastapi import FastAPI

from pilotkit.errors import AccountError, PilotkitError
from pilotkit_backend.core.config import Settings
from pilotkit_backend.platform import contract_types
from pilotkit_backend.platform.chain_context import DEFAULT_LOCAL_ROLE_SIGNERS, ChainContext, ChainUnavailable
from pilotkit_backend.platform.workers import Worker, rpc_health_check

if TYPE_CHECKING:
    from pilotkit.accounts.signer import Signer
    from pilotkit.chain.connection import Connection
    from pilotkit.config import NetworkConfig
    from pilotkit.project import Project

log = logging.getLogger("pilotkit_backend.runtime")

INDEXER_NAME = "api"


def role_signers(network: NetworkConfig, settings: Settings) -> dict[str, Signer]:
    """The signer of each contract role: settings.role_signers, else signer_account, else (local) dev accounts."""
    from pilotkit_backend.platform.sender.main import resolve_signers

    names: dict[str, str] = {}
    if network.is_local:
        names.update(DEFAULT_LOCAL_ROLE_SIGNERS)
    if settings.signer_account:
        names = {role: settings.signer_account for role in (names or DEFAULT_LOCAL_ROLE_SIGNERS)}
    names.update(settings.role_signers)
    unknown = set(names) - set(DEFAULT_LOCAL_ROLE_SIGNERS)
    if unknown:
        raise AccountError(f"role_signers names unknown role(s) {sorted(unknown)}; "
                           f"roles are {sorted(DEFAULT_LOCAL_ROLE_SIGNERS)}")
    cache: dict[str, Signer] = {}
    signers: dict[str, Signer] = {}
    for role, account in names.items():
        if account not in cache:
            cache[account] = resolve_signers(network, [account])[0]
        signers[role] = cache[account]
    return signers


def open_chain(settings: Settings, project: Project | None = None,
               connection: Connection | None = None) -> ChainContext:
    """A ChainContext from settings: the project's build, the network, a connection to the running node."""
    from pilotkit.deploy.records import DeploymentRecord, record_path
    from pilotkit.project import Project
    from pilotkit_backend.platform.sender.main import error_decoder, open_connection

    project = project or Project.load(settings.project_root)
    network = project.config.network(settings.network)
    if connection is None:
        connection = open_connection(network, settings.rpc_url)
    store = project.artifacts(network.name)
    path = record_path(project.config.deployments_dir, connection.chain_id, network.name, network.is_local)
    record = DeploymentRecord(path, connection.chain_id, network.name) if path.exists() else None
    return ChainContext(connection=connection, artifacts=store, errors=error_decoder(project, network.name),
                        signers=role_signers(network, settings), record=record)


def stable_worker_id(settings: Settings) -> str:
    """`settings.worker_id`, else host + database: the same service restarted resumes its jobs at once."""
    if settings.worker_id:
        return settings.worker_id[:64]
    import hashlib

    digest = hashlib.sha256(settings.database_url.encode()).hexdigest()[:8]
    return f"api:{socket.gethostname()}:{digest}"[:64]


class _ThreadWorker:
    """Runs `target(stop_event)` on a daemon thread between the app's start and stop."""

    def __init__(self, name: str, target: Any) -> None:
        self.name = name
        self.target = target
        self.stop_event = threading.Event()
        self.thread: threading.Thread | None = None

    def start(self, app: FastAPI) -> None:
        self.stop_event.clear()
        self.thread = threading.Thread(target=self._run, args=(app,), name=f"pilotkit-{self.name}", daemon=True)
        self.thread.start()

    def _run(self, app: FastAPI) -> None:
        try:
            self.target(app, self.stop_event)
        except Exception:
            log.exception("worker %s stopped unexpectedly", self.name)

    def stop(self, app: FastAPI) -> None:
        self.stop_event.set()
        if self.thread is not None:
            self.thread.join(timeout=30)


def sender_worker(chain: ChainContext, settings: Settings) -> Worker:
    """The exactly-once sender for every role signer, reconciling unfinished jobs first."""
    from pilotkit_backend.platform.sender.worker import SenderWorker

    def run(app: FastAPI, stop: threading.Event) -> None:
        worker = SenderWorker(app.state.session_factory, chain.connection, chain.distinct_signers(), settings,
                              errors=chain.errors, worker_id=stable_worker_id(settings))
        app.state.sender = worker
        worker.run_forever(stop)

    thread = _ThreadWorker("sender", run)
    return Worker("sender", thread.start, thread.stop)


def indexer_worker(chain: ChainContext, settings: Settings) -> Worker:
    """An indexer over every registered contract; rebuilt when the registered set changes."""

    def run(app: FastAPI, stop: threading.Event) -> None:
        from pilotkit_backend.platform.indexer.indexer import EventIndexer, FollowedContract
        from pilotkit_backend.platform.registry import all_registered

        indexer: EventIndexer | None = None
        followed: tuple[tuple[str, int], ...] = ()
        shared = [chain.abi(t.contract_name) for t in contract_types.all_types() if _has(chain, t.contract_name)]
        while not stop.is_set():
            try:
                with app.state.session_factory() as session:
                    rows = all_registered(session, chain.chain_id)
                wanted = tuple((r.address, r.deploy_block) for r in rows)
                if wanted != followed:
                    if indexer is not None:
                        indexer.close()
                        indexer = None
                    followed = wanted
                    if rows:
                        contracts = [FollowedContract(r.address, r.label, r.deploy_block,
                                                      chain.abi(r.contract_kind.contract_name)) for r in rows]
                        indexer = EventIndexer.from_connection(app.state.engine, chain.connection, contracts,
                                                               settings, name=INDEXER_NAME, shared_abis=shared)
                        app.state.indexer = indexer
                if indexer is None:
                    stop.wait(settings.indexer_poll_seconds)
                    continue
                result = indexer.sync_once()
                indexer.last_error = None
                if result.caught_up:
                    stop.wait(settings.indexer_poll_seconds)
            except Exception as exc:
                if indexer is not None:
                    indexer.last_error = f"{type(exc).__name__}"
                log.warning("indexer pass failed (%s); retrying", type(exc).__name__)
                stop.wait(max(1.0, settings.indexer_poll_seconds))
        if indexer is not None:
            indexer.close()

    thread = _ThreadWorker("indexer", run)
    return Worker("indexer", thread.start, thread.stop)


def _has(chain: ChainContext, contract: str) -> bool:
    try:
        chain.artifacts.get(contract)
    except PilotkitError:
        return False
    return True


def attach_chain(app: FastAPI, chain: ChainContext, *, workers: bool | None = None) -> None:
    """Give the app its chain (before it starts): domain routes, health check, sender and indexer workers."""
    settings: Settings = app.state.settings
    app.state.chain = chain
    node = chain.connection.node
    url = node.url if node is not None else (settings.rpc_url if settings.rpc_url and "://" in settings.rpc_url
                                             else None)
    if url is None and not chain.connection.network.is_local:
        url = chain.connection.network.resolved_url()
    if url is not None and "chain" not in app.state.health_checks:
        app.state.health_checks["chain"] = rpc_health_check(url)
    warnings = getattr(app.state, "health_warnings", None)
    if warnings is not None and "signers" not in warnings:
        from pilotkit_backend.platform.signers import health_warnings

        warnings["signers"] = health_warnings(chain, lambda: app.state.session_factory(),
                                              settings.signer_low_balance_wei)
    if settings.run_workers if workers is None else workers:
        app.state.workers.extend([sender_worker(chain, settings), indexer_worker(chain, settings)])


def require_chain(app: FastAPI) -> ChainContext:
    chain = getattr(app.state, "chain", None)
    if chain is None:
        raise ChainUnavailable("this service has no chain attached (start it with `pilotkit serve`)")
    return chain


__all__ = ["attach_chain", "open_chain", "require_chain", "role_signers", "stable_worker_id"]
