"""Two worker processes, one database, one signer: no nonce collision, every job confirmed exactly once."""

from __future__ import annotations

from pathlib import Path

from _sender_support import Chain, Db, WorkerProcess, add_jobs, assert_paid_exactly_once, wait_until, workers
from eth_account import Account
from pilotkit_backend.platform.models.jobs import FINAL_STATUSES, Job

JOBS = 300


def test_two_workers_share_one_signer_without_nonce_collisions(block_token_chain: Chain, db: Db,
                                                               tmp_path: Path) -> None:
    chain = block_token_chain
    start = chain.nonce()
    payments = [(Account.create().address, 500 + i) for i in range(JOBS)]
    one = WorkerProcess(db.url, chain, "sender-a", tmp_path / "a.log", "--max-pending", "24")
    two = WorkerProcess(db.url, chain, "sender-b", tmp_path / "b.log", "--max-pending", "24")
    with workers(one, two):
        one.wait_ready()
        two.wait_ready()
        for chunk in range(0, JOBS, 50):  # arriving over time, as from the API
            add_jobs(db, chain, payments[chunk:chunk + 50])
        wait_until(lambda: db.count(Job.status.in_([s.value for s in FINAL_STATUSES])) == JOBS, 120,
                   "every job final")
        assert one.stop() == 0 and two.stop() == 0
    assert_paid_exactly_once(chain, db, payments, start)
    by_worker = {str((job.result or {}).get("worker")) for job in db.jobs()}
    assert by_worker == {"sender-a", "sender-b"}  # both really worked the same signer's queue
