"""Stuck and under-priced transactions are replaced at the same nonce with higher fees; only one of them mines."""

from __future__ import annotations

import time

from _sender_support import Chain, Db, add_jobs, drive, make_worker
from eth_account import Account
from pilotkit_backend.platform.models.jobs import AttemptKind, JobStatus

GWEI = 10**9


def test_a_stuck_transaction_is_replaced_at_the_same_nonce_with_at_least_10_percent_more(
        token_chain: Chain, db: Db) -> None:
    chain = token_chain
    worker = make_worker(db, chain, stuck_after_seconds=0.3, fee_bump_percent=10)
    recipient = Account.create().address
    start = chain.nonce()
    chain.automine(False)
    [job_id] = add_jobs(db, chain, [(recipient, 42)])
    worker.run_once()
    job = db.job(job_id)
    assert job.status == JobStatus.SENT.value and len(job.attempts) == 1
    original = job.attempts[0]
    assert set(chain.pool()) == {start}

    time.sleep(0.35)
    worker.run_once()
    job = db.job(job_id)
    assert len(job.attempts) == 2
    replacement = job.attempts[1]
    assert replacement.kind == AttemptKind.REPLACEMENT.value
    assert replacement.nonce == original.nonce == job.nonce == start
    assert replacement.max_fee_per_gas is not None and original.max_fee_per_gas is not None
    assert replacement.max_fee_per_gas * 100 >= original.max_fee_per_gas * 110
    assert replacement.max_priority_fee_per_gas is not None and original.max_priority_fee_per_gas is not None
    assert replacement.max_priority_fee_per_gas * 100 >= original.max_priority_fee_per_gas * 110
    assert job.tx_hash == replacement.tx_hash
    pool = chain.pool()
    assert list(pool) == [start] and pool[start]["hash"] == replacement.tx_hash  # the node swapped them

    chain.control.mine()
    drive(worker, db, lambda: db.job(job_id).is_final)
    job = db.job(job_id)
    assert job.status == JobStatus.CONFIRMED.value and job.tx_hash == replacement.tx_hash
    assert chain.receipt(replacement.tx_hash) is not None
    assert chain.receipt(original.tx_hash) is None  # only one of them was mined
    assert chain.balance(recipient) == 42 and chain.nonce() == start + 1


def test_a_base_fee_jump_is_priced_in_by_a_replacement_at_the_same_nonce(token_chain: Chain, db: Db) -> None:
    """The node refuses the signed transaction (max fee below the next base fee): re-signed at the same nonce."""
    chain = token_chain
    worker = make_worker(db, chain)
    recipient = Account.create().address
    start = chain.nonce()
    worker.fees.market()  # fees cached from the calm chain (as a worker that has been running would have)
    chain.rpc("anvil_setNextBlockBaseFeePerGas", [hex(200 * GWEI)])
    [job_id] = add_jobs(db, chain, [(recipient, 9)])
    worker.run_once()
    job = db.job(job_id)
    assert job.status == JobStatus.SIGNED.value and job.last_error and "base fee" in job.last_error
    drive(worker, db, lambda: db.job(job_id).is_final)

    job = db.job(job_id)
    assert job.status == JobStatus.CONFIRMED.value
    assert len(job.attempts) == 2 and {a.nonce for a in job.attempts} == {start}
    assert job.attempts[1].max_fee_per_gas is not None and job.attempts[1].max_fee_per_gas >= 200 * GWEI
    assert job.tx_hash == job.attempts[1].tx_hash and chain.receipt(job.attempts[0].tx_hash) is None
    assert chain.balance(recipient) == 9 and chain.nonce() == start + 1


def test_replacements_stop_bumping_far_above_the_market(token_chain: Chain, db: Db) -> None:
    """A transaction stuck for reasons other than price is re-broadcast as it is, not re-priced without end."""
    chain = token_chain
    worker = make_worker(db, chain, stuck_after_seconds=0.05, fee_bump_percent=100)
    chain.automine(False)
    [job_id] = add_jobs(db, chain, [(Account.create().address, 1)])
    worker.run_once()
    for _ in range(8):
        time.sleep(0.06)
        worker.run_once()
    attempts = db.job(job_id).attempts
    assert 2 <= len(attempts) <= 4  # 2×, 4× the market, then no more bumps
    chain.control.mine()
    drive(worker, db, lambda: db.job(job_id).is_final)
    assert db.job(job_id).status == JobStatus.CONFIRMED.value
