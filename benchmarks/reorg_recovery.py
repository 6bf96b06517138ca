"""Reorg recovery: time from `anvil_reorg` until the job store (what GET /v1/jobs answers) equals the chain again.

A sender worker runs in a thread against Anvil mining a block every `--block-time` seconds and polling every
`--poll` seconds. Each round settles `--jobs` ERC-20 payments, then reorganises the last `--depth` blocks with
half of the reorged-out transactions re-included, and times until every job is confirmed with the block hash
the chain's receipt has, and nothing of the signer waits in the pool. Baseline, measured in the same run: one
poll interval plus one block time (the least any detection + re-mining can take) and the issue's target,
3 block times plus the poll interval; ratios are against both.

Run: .venv/bin/python benchmarks/reorg_recovery.py [--jobs 8] [--depth 3] [--rounds 3] [--block-time 0.5]
                                                   [--poll 0.1]
"""

from __future__ import annotations

import argparse
import logging
import statistics
import tempfile
import threading
import time
from pathlib import Path

from _util import REPO
from eth_abi import encode
from eth_account import Account
from pilotkit_backend.core.config import Settings
from pilotkit_backend.db.base import Base
from pilotkit_backend.db.engine import make_engine, make_session_factory
from pilotkit_backend.platform.models.jobs import Job, JobAttempt, JobStatus, SignerNonce
from pilotkit_backend.platform.sender.worker import SenderWorker, enqueue
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from web3.exceptions import TransactionNotFound

from pilotkit.accounts.dev import dev_accounts
from pilotkit.chain.connection import connect
from pilotkit.chain.control import ChainControl
from pilotkit.chain.local import AnvilNode
from pilotkit.deploy.deployer import Deployer
from pilotkit.deploy.records import DeploymentRecord
from pilotkit.project import Project

TRANSFER = "0xa9059cbb"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=8)
    parser.add_argument("--depth", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--block-time", type=float, default=0.5)
    parser.add_argument("--poll", type=float, default=0.1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    project = Project.load(REPO)
    project.artifacts("local")
    folder = Path(tempfile.mkdtemp(prefix="pilotkit-reorg-bench-"))
    node = AnvilNode(project_root=REPO, block_time=args.block_time).start()
    try:
        connection = connect(project.config.network("local"), node=node)
        admin, signer = dev_accounts()[:2]
        deployer = Deployer(project, connection, admin,
                            record=DeploymentRecord(folder / "deployment.json", connection.chain_id, "local"))
        token = deployer.create("TestStablecoin", "Test USD", "TUSD", admin.address)
        token.mint(signer.address, 10**15)
        control = ChainControl(node.rpc(), node.kind)
        engine = make_engine(f"sqlite:///{folder / 'jobs.db'}")
        Base.metadata.create_all(engine, tables=[Job.__table__, JobAttempt.__table__, SignerNonce.__table__])
        factory = make_session_factory(engine)
        settings = Settings(database_url=str(engine.url), sender_poll_seconds=args.poll)
        worker = SenderWorker(factory, connection, [signer], settings, errors=deployer.errors, worker_id="bench",
                              watch_seconds=args.poll)
        stop = threading.Event()
        thread = threading.Thread(target=worker.run_forever, args=(stop,), daemon=True)
        thread.start()
        web3 = connection.web3

        def jobs() -> list[Job]:
            with factory() as session:
                return list(session.execute(select(Job).options(selectinload(Job.attempts))).scalars())

        def consistent() -> bool:
            rows = jobs()
            if any(j.status != JobStatus.CONFIRMED.value for j in rows):
                return False
            if web3.eth.get_transaction_count(signer.address, "pending") != \
                    web3.eth.get_transaction_count(signer.address, "latest"):
                return False
            for job in rows:
                try:
                    receipt = web3.eth.get_transaction_receipt(job.tx_hash) if job.tx_hash else None
                except TransactionNotFound:
                    return False
                if receipt is None or "0x" + bytes(receipt["blockHash"]).hex().removeprefix("0x") != \
                        (job.result or {}).get("block_hash"):
                    return False
            return True

        times: list[float] = []
        moved: list[int] = []
        for _ in range(args.rounds):
            with factory() as session:
                for n in range(args.jobs):
                    data = TRANSFER + encode(["address", "uint256"], [Account.create().address, 1 + n]).hex()
                    enqueue(session, "bench.transfer", token.address, data, signer=signer.address,
                            chain_id=connection.chain_id)
                session.commit()
            while not consistent():
                time.sleep(0.02)
            head = web3.eth.block_number  # at once: the newest payments are in the last blocks
            out = [j for j in jobs() if int((j.result or {}).get("block_number", 0)) > head - args.depth]
            moved.append(len(out))
            raws = [next(a.raw_tx for a in j.attempts if a.tx_hash == j.tx_hash) for j in out]
            depth = args.depth
            began = time.perf_counter()
            control.call("anvil_reorg", [depth, [[raw, depth - 1] for raw in raws[:len(raws) // 2]]])
            time.sleep(0.01)
            while not consistent():
                time.sleep(0.01)
            times.append(time.perf_counter() - began)
        stop.set()
        thread.join(timeout=10)
        floor = args.poll + args.block_time
        target = 3 * args.block_time + args.poll
        median = statistics.median(times)
        print(f"reorg recovery ({args.rounds} rounds, {args.jobs} payments each, reorgs of {args.depth} blocks "
              f"taking out {moved} payments, "
              f"block time {args.block_time} s, poll {args.poll} s)")
        print(f"  reorg -> job store equals the chain: median {median:.2f} s, best {min(times):.2f} s, "
              f"worst {max(times):.2f} s  ({', '.join(f'{t:.2f}' for t in times)})")
        print(f"  baseline poll + 1 block time: {floor:.2f} s  -> {median / floor:.2f}x")
        print(f"  target 3 block times + poll:  {target:.2f} s  -> {median / target:.2f}x "
              f"({'within' if max(times) <= target else 'OVER'} target at worst)")
    finally:
        node.stop()


if __name__ == "__main__":
    main()
