"""Expiry and cancellation: never a late payment — a cancelling no-op at the job's nonce, unless the job got mined."""

from __future__ import annotations

from datetime import timedelta

from _sender_support import Chain, Db, add_jobs, drive, make_worker
from eth_account import Account
from pilotkit_backend.platform.job_queue import request_cancel
from pilotkit_backend.platform.models.jobs import AttemptKind, JobStatus, utcnow

PAST = timedelta(seconds=-1)


def test_an_expired_queued_job_is_never_sent(token_chain: Chain, db: Db) -> None:
    chain = token_chain
    worker = make_worker(db, chain)
    recipient = Account.create().address
    start = chain.nonce()
    [job_id] = add_jobs(db, chain, [(recipient, 5)], expires_in=-1)
    drive(worker, db, lambda: db.job(job_id).is_final)
    job = db.job(job_id)
    assert job.status == JobStatus.EXPIRED.value and job.nonce is None and job.attempts == []
    assert chain.nonce() == start and chain.balance(recipient) == 0


def test_an_expired_pending_job_becomes_a_no_op_at_its_nonce(token_chain: Chain, db: Db) -> None:
    chain = token_chain
    worker = make_worker(db, chain)
    recipient = Account.create().address
    start = chain.nonce()
    chain.automine(False)
    [job_id] = add_jobs(db, chain, [(recipient, 5)])
    worker.run_once()
    original = db.job(job_id).attempts[0]
    db.set(job_id, expires_at=utcnow() + PAST)
    worker.run_once()

    job = db.job(job_id)
    assert job.status == JobStatus.SENT.value and len(job.attempts) == 2
    cancel = job.attempts[1]
    assert cancel.kind == AttemptKind.CANCEL.value and cancel.nonce == start and cancel.gas_limit == 21_000
    assert cancel.max_fee_per_gas is not None and original.max_fee_per_gas is not None
    assert cancel.max_fee_per_gas > original.max_fee_per_gas
    tx = chain.pool()[start]
    assert tx["hash"] == cancel.tx_hash
    assert tx["to"].lower() == chain.signer.address.lower() and int(tx["value"], 16) == 0 and tx["input"] == "0x"

    chain.control.mine()
    drive(worker, db, lambda: db.job(job_id).is_final)
    job = db.job(job_id)
    assert job.status == JobStatus.EXPIRED.value and job.tx_hash == cancel.tx_hash
    assert job.result is not None and job.result["cancelled_by_noop"] is True
    assert chain.receipt(cancel.tx_hash) is not None and chain.receipt(original.tx_hash) is None
    assert chain.balance(recipient) == 0  # the payment never lands
    assert chain.nonce() == start + 1

    [later] = add_jobs(db, chain, [(recipient, 6)])  # and the next job follows without a gap
    chain.automine(True)
    drive(worker, db, lambda: db.job(later).is_final)
    assert db.job(later).nonce == start + 1 and chain.balance(recipient) == 6


def test_if_the_original_is_mined_anyway_the_job_is_confirmed(token_chain: Chain, db: Db) -> None:
    """The no-op lost the race (here: dropped, the original re-sent by someone): the payment happened."""
    chain = token_chain
    worker = make_worker(db, chain)
    recipient = Account.create().address
    chain.automine(False)
    [job_id] = add_jobs(db, chain, [(recipient, 5)])
    worker.run_once()
    db.set(job_id, expires_at=utcnow() + PAST)
    worker.run_once()
    original, cancel = db.job(job_id).attempts
    assert cancel.kind == AttemptKind.CANCEL.value
    chain.rpc("anvil_dropTransaction", [cancel.tx_hash])
    chain.rpc("eth_sendRawTransaction", [original.raw_tx])
    chain.control.mine()

    drive(worker, db, lambda: db.job(job_id).is_final)
    job = db.job(job_id)
    assert job.status == JobStatus.CONFIRMED.value and job.tx_hash == original.tx_hash
    assert chain.balance(recipient) == 5


def test_a_cancel_request_stops_a_queued_job_and_no_ops_a_pending_one(token_chain: Chain, db: Db) -> None:
    chain = token_chain
    worker = make_worker(db, chain)
    first, second = Account.create().address, Account.create().address
    start = chain.nonce()
    chain.automine(False)
    [sent] = add_jobs(db, chain, [(first, 1)])
    worker.run_once()
    [queued] = add_jobs(db, chain, [(second, 2)])
    with db.factory() as session:
        request_cancel(session, sent)
        request_cancel(session, queued)
        session.commit()
    worker.run_once()
    chain.control.mine()
    drive(worker, db, lambda: db.job(sent).is_final and db.job(queued).is_final)
    assert db.job(queued).status == JobStatus.CANCELLED.value and db.job(queued).nonce is None
    job = db.job(sent)
    assert job.status == JobStatus.CANCELLED.value and job.attempts[-1].kind == AttemptKind.CANCEL.value
    assert chain.balance(first) == chain.balance(second) == 0 and chain.nonce() == start + 1
