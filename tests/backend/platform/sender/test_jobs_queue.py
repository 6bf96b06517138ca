"""The queue API other layers call: enqueue (validated, idempotency_ref unique), get_job, request_cancel, wait."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from _sender_support import Chain, Db, add_jobs, make_worker
from eth_account import Account
from pilotkit_backend.platform.job_queue import (
    DuplicateJob,
    JobError,
    JobTimeout,
    enqueue,
    get_job,
    make_effect_check,
    request_cancel,
    wait_for_job,
)
from pilotkit_backend.platform.models.jobs import JobStatus

TOKEN = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
SIGNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def test_enqueue_stores_a_queued_job_that_is_durable_once_committed(db: Db) -> None:
    with db.factory() as session:
        job = enqueue(session, "token.transfer", TOKEN.lower(), b"\xa9\x05\x9c\xbb", 7, signer=SIGNER.lower(),
                      chain_id=31337, idempotency_ref="key-1", expires_in=60)
        job_id = job.id
        session.commit()
    with db.factory() as session:
        stored = get_job(session, job_id)
    assert stored is not None
    assert (stored.status, stored.to_address, stored.signer) == (JobStatus.QUEUED.value, TOKEN, SIGNER)
    assert (stored.calldata, stored.value_wei, stored.nonce, stored.attempts) == ("0xa9059cbb", 7, None, [])
    assert stored.created_at.tzinfo is not None
    assert timedelta(seconds=55) < stored.expires_at - stored.created_at <= timedelta(seconds=60)


def test_an_uncommitted_enqueue_leaves_nothing(db: Db) -> None:
    with db.factory() as session:
        enqueue(session, "token.transfer", TOKEN, "0x", signer=SIGNER, chain_id=31337)
        session.rollback()
    assert db.count() == 0


@pytest.mark.parametrize("bad", [
    {"to": "0x1234"}, {"signer": "nobody"}, {"data": "a9059cbb"}, {"data": "0xabc"}, {"data": "0xzz"},
    {"value": -1}, {"value": 2**256}, {"kind": ""}, {"expires_at": datetime(2030, 1, 1)},
])
def test_enqueue_refuses_bad_requests(db: Db, bad: dict[str, object]) -> None:
    request: dict[str, object] = {"kind": "k", "to": TOKEN, "data": "0x", "value": 0, "signer": SIGNER,
                                  "chain_id": 1, **bad}
    with db.factory() as session, pytest.raises(JobError):
        enqueue(session, **request)  # type: ignore[arg-type]


def test_an_idempotency_ref_is_used_once(db: Db) -> None:
    with db.factory() as session:
        first = enqueue(session, "k", TOKEN, "0x", signer=SIGNER, chain_id=1, idempotency_ref="same")
        session.commit()
        with pytest.raises(DuplicateJob) as caught:
            enqueue(session, "k", TOKEN, "0x01", signer=SIGNER, chain_id=1, idempotency_ref="same")
        assert caught.value.job is not None and caught.value.job.id == first.id
    assert db.count() == 1


def test_an_effect_check_is_normalised(db: Db) -> None:
    check = make_effect_check(TOKEN.lower(), "0xABCD")
    assert check == {"to": TOKEN, "data": "0xabcd", "expect": "0x" + "00" * 31 + "01"}
    with db.factory() as session:
        job = enqueue(session, "k", TOKEN, "0x", signer=SIGNER, chain_id=1,
                      effect_check={"to": TOKEN, "data": "0xAB", "expect": "0x01"})
    assert job.effect_check == {"to": TOKEN, "data": "0xab", "expect": "0x01"}


def test_cancelling_a_finished_job_changes_nothing(token_chain: Chain, db: Db) -> None:
    chain = token_chain
    worker = make_worker(db, chain)
    [job_id] = add_jobs(db, chain, [(Account.create().address, 1)])
    job = wait_for_job(db.factory, job_id, timeout=20, tick=worker.run_once)
    assert job.status == JobStatus.CONFIRMED.value
    with db.factory() as session:
        again = request_cancel(session, job_id)
        session.commit()
    assert again is not None and again.status == JobStatus.CONFIRMED.value and again.cancel_reason is None
    with db.factory() as session:
        assert request_cancel(session, "no-such-job") is None


def test_wait_for_job_times_out_on_an_unworked_queue(db: Db) -> None:
    with db.factory() as session:
        job = enqueue(session, "k", TOKEN, "0x", signer=SIGNER, chain_id=1,
                      expires_at=datetime.now(UTC) + timedelta(hours=1))
        session.commit()
    with pytest.raises(JobTimeout):
        wait_for_job(db.factory, job.id, timeout=0.1, poll=0.02)
    with pytest.raises(JobError):
        wait_for_job(db.factory, "missing", timeout=0.1)
