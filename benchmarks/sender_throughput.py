"""Sender throughput: single-payment jobs confirmed per second through the worker vs a bare web3.py script.

Same Anvil, same run, same chain state (snapshot/revert between the measurements). The bare script sends
pipelined signed ERC-20 transfers: nonces counted locally, every transaction built, signed and sent without
waiting, then every receipt awaited. It is measured twice: with a fixed gas limit (the fastest a script can
go) and with web3's default per-transaction gas estimate (what the worker also does, to fail reverting jobs
before they use a nonce). The worker is measured from its first pass until every job is confirmed
(enqueueing is the API's part and is timed on its own). Issue target: worker ≥ 0.8 × bare (fixed gas).

Run: .venv/bin/python benchmarks/sender_throughput.py [--jobs 1000] [--block-time 0.1]
                                                     [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
from pathlib import Path
from typing import Any

from _util import REPO, bare_transfers
from eth_account import Account
from pilotkit_backend.core.config import Settings
from pilotkit_backend.db.base import Base
from pilotkit_backend.db.engine import make_engine, make_session_factory
from pilotkit_backend.platform.models.jobs import Job, JobAttempt, JobStatus, SignerNonce
from pilotkit_backend.platform.sender.worker import SenderWorker, enqueue

from pilotkit.accounts.dev import dev_accounts
from pilotkit.accounts.signer import Signer
from pilotkit.chain.connection import Connection, connect
from pilotkit.chain.control import ChainControl
from pilotkit.chain.local import AnvilNode
from pilotkit.contracts.handle import ContractHandle
from pilotkit.deploy.deployer import Deployer
from pilotkit.deploy.records import DeploymentRecord
from pilotkit.project import Project

AMOUNT = 1


def through_worker(connection: Connection, token: ContractHandle, signer: Signer, recipients: list[str],
                   database_url: str, max_pending: int, errors: Any) -> tuple[float, float]:
    """(jobs confirmed per second by the worker, jobs enqueued per second)."""
    engine = make_engine(database_url)
    tables = [Job.__table__, JobAttempt.__table__, SignerNonce.__table__]
    Base.metadata.drop_all(engine, tables=tables)  # type: ignore[arg-type]
    Base.metadata.create_all(engine, tables=tables)  # type: ignore[arg-type]
    factory = make_session_factory(engine)
    try:
        started = time.perf_counter()
        with factory() as session:
            for recipient in recipients:
                enqueue(session, "token.transfer", token.address, token.encode("transfer", recipient, AMOUNT),
                        signer=signer.address, chain_id=connection.chain_id)
            session.commit()
        enqueue_rate = len(recipients) / (time.perf_counter() - started)
        settings = Settings(database_url=database_url, max_pending_per_signer=max_pending)
        worker = SenderWorker(factory, connection, [signer], settings, errors=errors, worker_id="bench")
        started = time.perf_counter()
        done = worker.reconcile().finished
        while done < len(recipients):
            stats = worker.run_once()
            done += stats.finished
            if not stats.busy:
                time.sleep(0.005)
        rate = len(recipients) / (time.perf_counter() - started)
        with factory() as session:
            confirmed = session.query(Job).filter(Job.status == JobStatus.CONFIRMED.value).count()
        assert confirmed == len(recipients), f"only {confirmed} confirmed"
        return rate, enqueue_rate
    finally:
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=1000)
    parser.add_argument("--block-time", type=float, default=0.1, help="Anvil block time (0 = automine)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    parser.add_argument("--max-pending", type=int, default=512)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)

    project = Project.load(REPO)
    project.artifacts("local")
    with tempfile.TemporaryDirectory(prefix="pk-bench-") as tmp, \
            AnvilNode(project_root=REPO, block_time=args.block_time or None) as node:
        connection = connect(project.config.network("local"), node=node)
        control = ChainControl(node.rpc(), node.kind)
        admin, worker_signer, bare_signer = dev_accounts()[:3]
        deployer = Deployer(project, connection, admin,
                            record=DeploymentRecord(Path(tmp) / "record.json", connection.chain_id, "local"))
        token = deployer.create("TestStablecoin", "Bench USD", "BUSD", admin.address)
        for holder in (worker_signer, bare_signer):
            token.mint(holder.address, 10**12)
        database_url = args.database_url or f"sqlite:///{tmp}/bench.db"
        recipients = [Account.create().address for _ in range(args.jobs)]

        snapshot = control.snapshot()
        fixed = bare_transfers(connection, token, bare_signer, recipients, amount=AMOUNT, timeout=120)
        control.revert(snapshot)
        snapshot = control.snapshot()
        estimated = bare_transfers(connection, token, bare_signer, recipients, amount=AMOUNT, gas=None,
                                   timeout=120)
        control.revert(snapshot)
        worker, enqueued = through_worker(connection, token, worker_signer, recipients, database_url,
                                          args.max_pending, deployer.errors)
        connection.close()

    backend = database_url.split(":", 1)[0]
    print(f"{args.jobs} single-payment transfers, Anvil block time {args.block_time or 'automine'}, {backend}")
    print(f"bare web3.py, fixed gas        {fixed:8.0f} tx/s")
    print(f"bare web3.py, estimated gas    {estimated:8.0f} tx/s")
    print(f"sender worker                  {worker:8.0f} jobs/s  (enqueue: {enqueued:.0f} jobs/s)")
    print(f"ratio worker / bare fixed gas  {worker / fixed:8.2f}   (target >= 0.8)")
    print(f"ratio worker / bare estimated  {worker / estimated:8.2f}")


if __name__ == "__main__":
    main()
