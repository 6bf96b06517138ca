"""Exactly once across a crash: 1,000 transfers, the worker process SIGKILLed mid-way and restarted."""

from __future__ import annotations

from pathlib import Path

from _sender_support import Chain, Db, WorkerProcess, add_jobs, assert_paid_exactly_once, wait_until, workers
from eth_account import Account
from pilotkit_backend.platform.models.jobs import IN_FLIGHT_STATUSES, Job, JobStatus

JOBS = 1000


def test_killed_mid_batch_and_restarted_pays_each_of_1000_exactly_once(block_token_chain: Chain, db: Db,
                                                                        tmp_path: Path) -> None:
    chain = block_token_chain
    start = chain.nonce()
    payments = [(Account.create().address, 1_000 + i) for i in range(JOBS)]
    add_jobs(db, chain, payments)
    confirmed = Job.status == JobStatus.CONFIRMED.value
    in_flight = Job.status.in_([s.value for s in IN_FLIGHT_STATUSES])

    first = WorkerProcess(db.url, chain, "sender-1", tmp_path / "first.log", "--max-pending", "64")
    with workers(first):
        first.wait_ready()
        wait_until(lambda: db.count(confirmed) >= JOBS // 4 and db.count(in_flight) > 0, 60,
                   "a quarter of the jobs confirmed and more in flight", 0.002)
        first.kill()
    at_kill = (db.count(confirmed), db.count(in_flight))
    assert at_kill[0] < JOBS and at_kill[1] > 0, at_kill  # really killed mid-way, with transactions in flight

    second = WorkerProcess(db.url, chain, "sender-1", tmp_path / "second.log", "--max-pending", "256")  # same id
    with workers(second):
        second.wait_ready()
        wait_until(lambda: db.count(confirmed) == JOBS or db.count(Job.status.in_(["failed", "expired"])) > 0,
                   120, "every job final")
        assert second.stop() == 0
    assert_paid_exactly_once(chain, db, payments, start)
