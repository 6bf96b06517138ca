"""Two worker processes, one database, one signer: no nonce collision, every job confirmed exactly once."""

from __future__ import annotations

from pathlib import Path

import pytest
from _sender_support import (
    Chain,
    Db,
    WorkerProcess,
    add_jobs,
    assert_paid_exactly_once,
    open_db,
    wait_until,
    workers,
)
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


@pytest.mark.xfail(strict=False, reason=(
    "open defect (issue 20): two sender processes sharing one signer do not always recover from an anvil_reorg - "
    "in one clean-clone run the signer's Transfer logs did not equal the payments, in another the jobs never all "
    "re-confirmed within 60 s; one worker per signer recovers (test_sender_reorg.py, test_cash_reorg_crash.py)"))
def test_two_workers_on_postgresql_follow_a_reorg(token_chain: Chain, postgresql_url: str, tmp_path: Path) -> None:
    """Two worker processes on PostgreSQL, one signer: payments settle, `anvil_reorg` of 4 blocks re-includes
    half of the reorged-out transactions; the workers re-send the rest, no nonce gap, each paid exactly once."""
    chain = token_chain
    db = open_db(postgresql_url)
    try:
        start = chain.nonce()
        payments = [(Account.create().address, 40 + i) for i in range(6)]
        one = WorkerProcess(db.url, chain, "sender-a", tmp_path / "a.log")
        two = WorkerProcess(db.url, chain, "sender-b", tmp_path / "b.log")
        with workers(one, two):
            one.wait_ready()
            two.wait_ready()
            ids = add_jobs(db, chain, payments)
            wait_until(lambda: db.count(Job.status == "confirmed") == len(ids), 60, "every job confirmed")
            head = int(chain.rpc("eth_blockNumber"), 16)
            out = [j for j in db.jobs() if (j.result or {})["block_number"] > head - 4]
            raws = [next(a.raw_tx for a in j.attempts if a.tx_hash == j.tx_hash) for j in out]
            chain.rpc("anvil_reorg", [4, [[raw, 3] for raw in raws[:len(raws) // 2]]])
            nxt = (Account.create().address, 99)
            add_jobs(db, chain, [nxt])
            wait_until(lambda: chain.nonce() == start + 7 and db.count(Job.status == "confirmed") == 7
                       and all(not j.history or j.status == "confirmed" for j in db.jobs()), 60,
                       "every job confirmed again")
            assert one.stop() == 0 and two.stop() == 0
        assert_paid_exactly_once(chain, db, [*payments, nxt], start)
        assert not chain.pool()
        reorged = {j.id for j in db.jobs() if j.history}
        assert out and reorged == {j.id for j in out}
        assert all((j.history or [])[0]["event"] == "reorged" for j in db.jobs() if j.history)
    finally:
        db.engine.dispose()
