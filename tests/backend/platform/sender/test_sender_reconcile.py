"""Restart safety: every crash window ends with the job finished exactly once, and no job gets a second nonce."""

from __future__ import annotations

import time
from typing import Any

import pytest
from _sender_support import Chain, Db, add_jobs, drive, make_worker
from eth_account import Account
from pilotkit_backend.platform.models.jobs import JobStatus
from pilotkit_backend.platform.sender.worker import SenderWorker


class Crash(Exception):
    """The process dies here."""


def _crash_before_broadcast(worker: SenderWorker, monkeypatch: pytest.MonkeyPatch) -> None:
    def crash(*_: Any) -> None:
        raise Crash

    monkeypatch.setattr(worker, "_broadcast", crash)


def _signed_then_crashed(chain: Chain, db: Db, monkeypatch: pytest.MonkeyPatch, amount: int = 5) -> tuple[str, str]:
    """A job whose attempt is stored but was never broadcast (the worker died in between)."""
    recipient = Account.create().address
    worker = make_worker(db, chain)
    _crash_before_broadcast(worker, monkeypatch)
    [job_id] = add_jobs(db, chain, [(recipient, amount)])
    with pytest.raises(Crash):
        worker.run_once()
    job = db.job(job_id)
    assert job.status == JobStatus.SIGNED.value and len(job.attempts) == 1 and job.nonce == chain.nonce()
    return job_id, recipient


def _external(chain: Chain, nonce: int, to: str, data: str = "0x", fee: int = 5 * 10**9) -> str:
    """A transaction from the worker's key that the worker did not sign (an operator, another tool...)."""
    signed = chain.signer.sign_transaction({"chainId": chain.chain_id, "nonce": nonce, "to": to, "value": 0,
                                            "data": data, "gas": 100_000, "maxFeePerGas": fee,
                                            "maxPriorityFeePerGas": 10**9})
    return str(chain.rpc("eth_sendRawTransaction", ["0x" + bytes(signed.raw_transaction).hex()]))


def test_signed_but_never_broadcast_is_sent_as_stored(token_chain: Chain, db: Db,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    chain = token_chain
    start = chain.nonce()
    job_id, recipient = _signed_then_crashed(chain, db, monkeypatch)
    stored = db.job(job_id).attempts[0]

    restarted = make_worker(db, chain)
    restarted.reconcile()
    drive(restarted, db, lambda: db.job(job_id).is_final)
    job = db.job(job_id)
    assert job.status == JobStatus.CONFIRMED.value and job.tx_hash == stored.tx_hash and len(job.attempts) == 1
    assert chain.receipt(stored.tx_hash) is not None
    assert chain.balance(recipient) == 5 and chain.nonce() == start + 1


def test_broadcast_but_not_recorded_is_found_by_its_hash(token_chain: Chain, db: Db,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    chain = token_chain
    start = chain.nonce()
    worker = make_worker(db, chain)

    def send_then_crash(items: list[Any], _stats: Any) -> None:
        for _, attempt in items:
            chain.rpc("eth_sendRawTransaction", [attempt.raw_tx])
        raise Crash

    monkeypatch.setattr(worker, "_broadcast", send_then_crash)
    recipients = [Account.create().address for _ in range(3)]
    ids = add_jobs(db, chain, [(r, 7) for r in recipients])
    with pytest.raises(Crash):
        worker.run_once()
    assert {db.job(i).status for i in ids} == {JobStatus.SIGNED.value}

    restarted = make_worker(db, chain)
    restarted.reconcile()
    drive(restarted, db, lambda: all(db.job(i).is_final for i in ids))
    assert {db.job(i).status for i in ids} == {JobStatus.CONFIRMED.value}
    assert [chain.balance(r) for r in recipients] == [7, 7, 7]
    assert chain.nonce() == start + 3


def test_nonce_used_by_an_unknown_transaction_with_the_effect_on_chain_is_confirmed(
        token_chain: Chain, db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    chain = token_chain
    job_id, recipient = _signed_then_crashed(chain, db, monkeypatch, amount=11)
    nonce = db.job(job_id).nonce
    assert nonce is not None
    other = _external(chain, nonce, chain.token.address, chain.transfer_data(recipient, 11))  # same payment

    restarted = make_worker(db, chain)
    restarted.reconcile()
    job = db.job(job_id)
    assert job.status == JobStatus.CONFIRMED.value
    assert job.result is not None and job.result["effect_observed"] is True
    assert other not in {a.tx_hash for a in job.attempts}
    assert chain.balance(recipient) == 11  # once


def test_nonce_used_by_a_stranger_fails_the_job_and_later_jobs_skip_past_it(
        token_chain: Chain, db: Db, monkeypatch: pytest.MonkeyPatch) -> None:
    chain = token_chain
    job_id, recipient = _signed_then_crashed(chain, db, monkeypatch)
    nonce = db.job(job_id).nonce
    assert nonce is not None
    for offset in range(3):  # someone else used the key for three transactions
        _external(chain, nonce + offset, chain.signer.address)

    restarted = make_worker(db, chain)
    restarted.reconcile()
    job = db.job(job_id)
    assert job.status == JobStatus.FAILED.value and job.error_name == "NonceUsedElsewhere"
    assert job.result is not None and job.result["effect_observed"] is False
    assert chain.balance(recipient) == 0

    [later] = add_jobs(db, chain, [(recipient, 3)])
    drive(restarted, db, lambda: db.job(later).is_final)
    assert db.job(later).status == JobStatus.CONFIRMED.value and db.job(later).nonce == nonce + 3
    assert chain.balance(recipient) == 3


def test_a_dead_workers_jobs_are_taken_over_after_its_lease(token_chain: Chain, db: Db) -> None:
    chain = token_chain
    recipients = [Account.create().address for _ in range(4)]
    dead = make_worker(db, chain, worker_id="dead", lease_seconds=0.5)
    chain.automine(False)
    ids = add_jobs(db, chain, [(r, 2) for r in recipients])
    dead.run_once()  # sends all four, then goes silent
    assert {db.job(i).status for i in ids} == {JobStatus.SENT.value}
    chain.rpc("anvil_dropAllTransactions")  # and its node forgot them (a restarted node, say)

    heir = make_worker(db, chain, worker_id="heir", lease_seconds=0.5)
    heir.run_once()
    assert {db.job(i).lease_owner for i in ids} == {"dead"}  # lease still valid: hands off
    time.sleep(0.55)
    heir.run_once()  # takes them over and re-broadcasts the stored bytes
    assert {db.job(i).lease_owner for i in ids} == {"heir"}
    assert len(chain.pool()) == 4
    chain.automine(True)
    chain.control.mine()
    drive(heir, db, lambda: all(db.job(i).is_final for i in ids))
    assert dead.run_once().finished == 0  # the old worker wakes up: nothing of this is its business any more
    for job_id in ids:
        job = db.job(job_id)
        assert job.status == JobStatus.CONFIRMED.value and len(job.attempts) == 1
        assert job.result is not None and job.result["worker"] == "heir"
    assert [chain.balance(r) for r in recipients] == [2, 2, 2, 2]


def test_a_stored_call_that_now_reverts_spends_its_nonce_on_a_no_op(token_chain: Chain, db: Db,
                                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    """The nonce was assigned before the crash, so it must be used: by a cancelling no-op, not the stale call."""
    chain = token_chain
    minter_role = chain.token.MINTER_ROLE()
    chain.token.grantRole(minter_role, chain.signer.address, sender=chain.admin)
    recipient = Account.create().address
    worker = make_worker(db, chain)
    _crash_before_broadcast(worker, monkeypatch)
    with db.factory() as session:
        from pilotkit_backend.platform.job_queue import enqueue

        job_id = enqueue(session, "token.mint", chain.token.address, chain.token.encode("mint", recipient, 8),
                         signer=chain.signer.address, chain_id=chain.chain_id).id
        session.commit()
    with pytest.raises(Crash):
        worker.run_once()
    stored = db.job(job_id).attempts[0]
    start = chain.nonce()
    assert db.job(job_id).nonce == start
    chain.token.revokeRole(minter_role, chain.signer.address, sender=chain.admin)  # meanwhile: no longer a minter

    restarted = make_worker(db, chain)
    restarted.reconcile()
    drive(restarted, db, lambda: db.job(job_id).is_final)
    job = db.job(job_id)
    assert job.status == JobStatus.FAILED.value and job.error_name == "AccessControlUnauthorizedAccount"
    assert job.result is not None and job.result["cancelled_by_noop"] is True
    assert job.attempts[-1].kind == "cancel" and job.attempts[-1].nonce == start
    assert chain.receipt(job.attempts[-1].tx_hash) is not None and chain.receipt(stored.tx_hash) is None
    assert chain.nonce() == start + 1 and chain.balance(recipient) == 0


def test_a_nonzero_effect_check_accepts_any_nonzero_answer() -> None:
    from types import SimpleNamespace

    from pilotkit_backend.platform.job_queue import NONZERO, make_effect_check
    from pilotkit_backend.platform.sender.outcome import effect_present

    check = make_effect_check("0x" + "11" * 20, "0x12345678", NONZERO)
    assert check["expect"] == NONZERO

    class Rpc:
        def __init__(self, result: str) -> None:
            self.result = result

        def call(self, method: str, params: list) -> SimpleNamespace:
            return SimpleNamespace(ok=True, result=self.result)

    assert effect_present(Rpc("0x" + "00" * 31 + "07"), check) is True  # type: ignore[arg-type]
    assert effect_present(Rpc("0x" + "00" * 32), check) is False  # type: ignore[arg-type]
    assert effect_present(Rpc("0x"), check) is False  # type: ignore[arg-type]
