"""Helpers for the sender tests: a fresh Anvil with a deployed TestStablecoin, databases, worker processes."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_abi import encode
from pilotkit_backend.core.config import Settings
from pilotkit_backend.db.base import Base
from pilotkit_backend.db.engine import make_engine, make_session_factory
from pilotkit_backend.platform.job_queue import enqueue, make_effect_check
from pilotkit_backend.platform.models.jobs import Job, JobAttempt, SignerNonce
from pilotkit_backend.platform.sender.worker import SenderWorker
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session, sessionmaker

from pilotkit.accounts.dev import dev_accounts
from pilotkit.accounts.signer import Signer
from pilotkit.chain.connection import Connection, connect
from pilotkit.chain.control import ChainControl
from pilotkit.chain.local import AnvilNode
from pilotkit.contracts.handle import ContractHandle
from pilotkit.deploy.deployer import Deployer
from pilotkit.deploy.records import DeploymentRecord
from pilotkit.project import Project

REPO = Path(__file__).resolve().parents[4]
TABLES = [Job.__table__, JobAttempt.__table__, SignerNonce.__table__]
FUNDS = 10**15  # token base units the worker's signer holds
TRANSFER = "0xa9059cbb"  # transfer(address,uint256)
BALANCE_OF = "0x70a08231"  # balanceOf(address)


@dataclass
class Chain:
    """A private Anvil with TestStablecoin deployed by `admin` and `FUNDS` minted to `signer` (the worker's)."""

    node: AnvilNode
    connection: Connection
    control: ChainControl
    deployer: Deployer
    token: ContractHandle
    admin: Signer
    signer: Signer

    @property
    def chain_id(self) -> int:
        return self.connection.chain_id

    def rpc(self, method: str, params: list[Any] | None = None) -> Any:
        return self.control.call(method, params)

    def nonce(self, address: str | None = None) -> int:
        """Transactions of `address` (default: the worker's signer) mined so far."""
        return int(self.rpc("eth_getTransactionCount", [address or self.signer.address, "latest"]), 16)

    def balance(self, address: str) -> int:
        return int(self.token.balanceOf(address))

    def receipt(self, tx_hash: str) -> dict[str, Any] | None:
        receipt = self.rpc("eth_getTransactionReceipt", [tx_hash])
        return receipt if receipt and receipt.get("blockNumber") else None

    def transfer_data(self, recipient: str, amount: int) -> str:
        """transfer(recipient, amount) calldata (eth_abi directly: web3's encoder is slow for thousands)."""
        return TRANSFER + encode(["address", "uint256"], [recipient, amount]).hex()

    def balance_of_data(self, holder: str) -> str:
        return BALANCE_OF + encode(["address"], [holder]).hex()

    def paid_check(self, recipient: str, amount: int) -> dict[str, Any]:
        """Effect check: the recipient's balance is exactly `amount`."""
        return make_effect_check(self.token.address, self.balance_of_data(recipient),
                                 "0x" + encode(["uint256"], [amount]).hex())

    def automine(self, enabled: bool) -> None:
        self.control.set_automine(enabled)

    def pool(self) -> dict[int, Any]:
        """txpool_content's pending transactions of the worker's signer, by nonce."""
        pending = self.rpc("txpool_content")["pending"]
        return {int(n): tx for n, tx in pending.get(self.signer.address.lower(), {}).items()}

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Many JSON-RPC calls in few round trips; every one must succeed."""
        from pilotkit_backend.platform.sender.rpc import RpcBatcher

        replies = RpcBatcher(self.connection.web3).many(calls)
        assert all(reply.ok for reply in replies), [reply.error for reply in replies if not reply.ok][:3]
        return [reply.result for reply in replies]

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.close()
        self.node.stop()


def start_chain(project: Project, folder: Path, block_time: float | None = None) -> Chain:
    node = AnvilNode(project_root=REPO, block_time=block_time).start()
    try:
        connection = connect(project.config.network("local"), node=node)
        admin, signer = dev_accounts()[:2]
        record = DeploymentRecord(folder / "deployment.json", connection.chain_id, "local")
        deployer = Deployer(project, connection, admin, record=record)
        token = deployer.create("TestStablecoin", "Test USD", "TUSD", admin.address)
        token.mint(signer.address, FUNDS)
        control = ChainControl(node.rpc(), node.kind)
        return Chain(node, connection, control, deployer, token, admin, signer)
    except BaseException:
        node.stop()
        raise


@dataclass
class Db:
    """A database with the job tables, and its session factory."""

    url: str
    engine: Engine
    factory: sessionmaker[Session]

    def count(self, *where: Any) -> int:
        with self.factory() as session:
            return int(session.execute(select(func.count()).select_from(Job).where(*where)).scalar_one())

    def jobs(self) -> list[Job]:
        from sqlalchemy.orm import selectinload

        with self.factory() as session:
            return list(session.execute(select(Job).options(selectinload(Job.attempts))
                                        .order_by(Job.created_at, Job.id)).scalars())

    def job(self, job_id: str) -> Job:
        from pilotkit_backend.platform.job_queue import get_job

        with self.factory() as session:
            job = get_job(session, job_id)
        assert job is not None
        return job

    def set(self, job_id: str, **values: Any) -> None:
        from sqlalchemy import update

        with self.factory() as session:
            session.execute(update(Job).where(Job.id == job_id).values(**values))
            session.commit()


def open_db(url: str) -> Db:
    engine = make_engine(url)
    Base.metadata.create_all(engine, tables=TABLES)  # type: ignore[arg-type]
    return Db(url, engine, make_session_factory(engine))


def add_jobs(db: Db, chain: Chain, payments: list[tuple[str, int]], signer: Signer | None = None,
             effect: bool = True, **kwargs: Any) -> list[str]:
    """Enqueue token transfers (recipient, amount) in one commit; returns the job ids in order."""
    who = signer or chain.signer
    with db.factory() as session:
        jobs = [enqueue(session, "token.transfer", chain.token.address, chain.transfer_data(recipient, amount),
                        signer=who.address, chain_id=chain.chain_id,
                        effect_check=chain.paid_check(recipient, amount) if effect else None, **kwargs)
                for recipient, amount in payments]
        session.commit()
        return [job.id for job in jobs]


def make_worker(db: Db, chain: Chain, signer: Signer | None = None, worker_id: str = "w1",
                lease_seconds: float = 30.0, watch_seconds: float | None = None, **settings: Any) -> SenderWorker:
    """An in-process worker for `signer` (default: the chain's funded signer) with Settings overrides."""
    config = Settings(database_url=db.url, **settings)
    extra = {} if watch_seconds is None else {"watch_seconds": watch_seconds}
    return SenderWorker(db.factory, chain.connection, [signer or chain.signer], config, errors=chain.deployer.errors,
                        worker_id=worker_id, lease_seconds=lease_seconds, orphan_grace_seconds=0.25, **extra)


def drive(worker: SenderWorker, db: Db, until: Any, timeout: float = 20.0) -> None:
    """Call `worker.run_once()` until `until()` is true."""
    deadline = time.monotonic() + timeout
    while not until():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not reached in {timeout}s: {[(j.id, j.status) for j in db.jobs()][:5]}")
        if not worker.run_once().busy:
            time.sleep(0.01)


class WorkerProcess:
    """`python -m pilotkit_backend.platform.sender` against a chain and a database, in its own process."""

    def __init__(self, db_url: str, chain: Chain, worker_id: str, log: Path, *extra: str) -> None:
        argv = [sys.executable, "-m", "pilotkit_backend.platform.sender", "--database-url", db_url,
                "--rpc", chain.node.endpoint, "--project", str(REPO), "--network", "local", "--signer", "dev1",
                "--worker-id", worker_id, "--log-level", "WARNING", *extra]
        env = {**os.environ, "PILOTKIT_NODE_MODULES": str(REPO / "node_modules")}
        self.log = log
        self._out = log.open("w")
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self._out, text=True, env=env,
                                        cwd=REPO)

    def wait_ready(self, timeout: float = 60.0) -> None:
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if "sender ready" in line:
                return
            if not line and self.process.poll() is not None:
                break
        self.kill()
        raise AssertionError(f"worker did not start:\n{self.log.read_text()[-3000:]}")

    def kill(self) -> None:
        """SIGKILL: no clean-up of any kind (the crash under test)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)
        self._out.close()

    def stop(self) -> int:
        """SIGTERM and wait; the exit code (SIGKILL after 15 s)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self._out.close()
        return int(self.process.returncode)


@contextlib.contextmanager
def workers(*processes: WorkerProcess) -> Iterator[None]:
    """Make sure every worker process is gone when the block ends, however it ends."""
    try:
        yield
    finally:
        for process in processes:
            if process.process.poll() is None:
                process.kill()


def assert_paid_exactly_once(chain: Chain, db: Db, payments: list[tuple[str, int]], start_nonce: int) -> None:
    """Chain and database agree: one mined transfer per job, each recipient paid its amount once, no nonce
    used twice or skipped, every job confirmed with the hash, block and nonce the chain has."""
    from eth_utils import to_checksum_address

    jobs = db.jobs()
    assert len(jobs) == len(payments)
    assert {job.status for job in jobs} == {"confirmed"}, sorted({(job.status, job.error_name) for job in jobs},
                                                                 key=str)
    assert chain.nonce() == start_nonce + len(payments)
    used = sorted(-1 if job.nonce is None else job.nonce for job in jobs)
    assert used == list(range(start_nonce, start_nonce + len(payments)))

    topic = "0x" + "00" * 12 + chain.signer.address[2:].lower()
    transfer = "0xddf252ad1be2c89b69c2b068fc378daa952ba7f163c4a11628f55a4df523b3ef"
    logs = chain.rpc("eth_getLogs", [{"address": chain.token.address, "fromBlock": "0x0", "toBlock": "latest",
                                      "topics": [transfer, topic]}])
    sent = sorted((to_checksum_address("0x" + log["topics"][2][-40:]), int(log["data"], 16)) for log in logs)
    # every payment once, nothing else from the signer
    assert sent == sorted(payments), (sorted(set(sent) ^ set(payments)), len(sent), len(payments))

    balances = chain.batch([("eth_call", [{"to": chain.token.address,
                                          "data": chain.balance_of_data(recipient)}, "latest"])
                            for recipient, _ in payments])
    assert [int(b, 16) for b in balances] == [amount for _, amount in payments]

    hashes = [str(job.tx_hash) for job in jobs]
    receipts = chain.batch([("eth_getTransactionReceipt", [h]) for h in hashes])
    txs = chain.batch([("eth_getTransactionByHash", [h]) for h in hashes])
    for job, receipt, tx in zip(jobs, receipts, txs, strict=True):
        assert receipt is not None and int(receipt["status"], 16) == 1, job.id
        assert job.result is not None and job.result["block_number"] == int(receipt["blockNumber"], 16)
        assert job.result["block_hash"] == receipt["blockHash"]
        assert int(tx["nonce"], 16) == job.nonce
        assert job.tx_hash in {a.tx_hash for a in job.attempts}


def wait_until(condition: Any, timeout: float, what: str, interval: float = 0.02) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)
