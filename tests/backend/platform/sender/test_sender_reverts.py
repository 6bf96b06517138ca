"""Jobs that revert: at estimation (no nonce used, no gap) or mined (nonce used, error decoded by name)."""

from __future__ import annotations

from _sender_support import FUNDS, Chain, Db, add_jobs, drive, make_worker
from eth_account import Account
from pilotkit_backend.platform.models.jobs import JobStatus


def _final(db: Db, ids: list[str]) -> bool:
    return all(db.job(i).is_final for i in ids)


def test_a_revert_at_estimation_fails_the_job_without_using_a_nonce(token_chain: Chain, db: Db) -> None:
    chain = token_chain
    worker = make_worker(db, chain)
    start = chain.nonce()
    recipient, later = Account.create().address, Account.create().address
    [bad] = add_jobs(db, chain, [(recipient, FUNDS + 1)])
    drive(worker, db, lambda: _final(db, [bad]))

    job = db.job(bad)
    assert job.status == JobStatus.FAILED.value
    assert job.error_name == "ERC20InsufficientBalance"
    assert job.result is not None and job.result["error"]["args"] == {
        "sender": chain.signer.address, "balance": str(FUNDS), "needed": str(FUNDS + 1)}
    assert job.result["stage"] == "estimate" and job.result["sent"] is False
    assert job.nonce is None and job.attempts == [] and job.tx_hash is None
    assert chain.nonce() == start

    [good] = add_jobs(db, chain, [(later, 5)])
    drive(worker, db, lambda: _final(db, [good]))
    job = db.job(good)
    assert job.status == JobStatus.CONFIRMED.value
    assert job.nonce == start  # the next job takes the next nonce: no gap
    assert chain.nonce() == start + 1
    assert chain.balance(later) == 5 and chain.balance(recipient) == 0


def test_a_mined_revert_fails_the_job_with_the_decoded_error(token_chain: Chain, db: Db) -> None:
    """Both transfers estimate fine against the same state; mined in one block, the second one reverts."""
    chain = token_chain
    worker = make_worker(db, chain)
    start = chain.nonce()
    first, second = Account.create().address, Account.create().address
    chain.automine(False)
    ids = add_jobs(db, chain, [(first, FUNDS * 3 // 5), (second, FUNDS * 3 // 5)])
    worker.run_once()
    assert [db.job(i).status for i in ids] == ["sent", "sent"]
    chain.control.mine()
    drive(worker, db, lambda: _final(db, ids))

    ok, failed = db.job(ids[0]), db.job(ids[1])
    assert ok.status == JobStatus.CONFIRMED.value and ok.result is not None and ok.result["status"] == 1
    assert failed.status == JobStatus.FAILED.value
    assert failed.error_name == "ERC20InsufficientBalance"
    assert failed.result is not None and failed.result["status"] == 0
    assert failed.result["error"]["args"]["needed"] == str(FUNDS * 3 // 5)
    assert failed.nonce == start + 1 and chain.receipt(str(failed.tx_hash)) is not None
    assert chain.nonce() == start + 2  # a mined revert uses its nonce
    assert chain.balance(first) == FUNDS * 3 // 5 and chain.balance(second) == 0


def test_a_reverting_estimate_waits_for_earlier_jobs_of_its_signer(token_chain: Chain, db: Db) -> None:
    """mint then transfer by the admin: the transfer only works once the mint is mined, so it is not failed."""
    chain = token_chain
    worker = make_worker(db, chain, signer=chain.admin)
    recipient = Account.create().address
    chain.automine(False)
    with db.factory() as session:
        from pilotkit_backend.platform.job_queue import enqueue

        mint = enqueue(session, "token.mint", chain.token.address,
                       chain.token.encode("mint", chain.admin.address, 70), signer=chain.admin.address,
                       chain_id=chain.chain_id)
        pay = enqueue(session, "token.transfer", chain.token.address, chain.transfer_data(recipient, 70),
                      signer=chain.admin.address, chain_id=chain.chain_id)
        session.commit()
        ids = [mint.id, pay.id]
    worker.run_once()
    assert db.job(ids[0]).status == "sent"
    assert db.job(ids[1]).status == "queued"  # its estimate reverted while the mint was pending: deferred
    chain.automine(True)
    chain.control.mine()
    drive(worker, db, lambda: _final(db, ids))
    assert [db.job(i).status for i in ids] == ["confirmed", "confirmed"]
    assert chain.balance(recipient) == 70


def test_a_deferred_job_is_not_overtaken_by_a_later_job_of_its_signer(token_chain: Chain, db: Db) -> None:
    """mint, transfer (needs the mint), then an unrelated transfer: nonces follow the submission order."""
    chain = token_chain
    worker = make_worker(db, chain, signer=chain.admin)
    first, second = Account.create().address, Account.create().address
    chain.automine(False)
    with db.factory() as session:
        from pilotkit_backend.platform.job_queue import enqueue

        jobs = [
            enqueue(session, "token.mint", chain.token.address, chain.token.encode("mint", chain.admin.address, 70),
                    signer=chain.admin.address, chain_id=chain.chain_id),
            enqueue(session, "token.transfer", chain.token.address, chain.transfer_data(first, 70),
                    signer=chain.admin.address, chain_id=chain.chain_id),
            enqueue(session, "token.mint", chain.token.address, chain.token.encode("mint", second, 5),
                    signer=chain.admin.address, chain_id=chain.chain_id),
        ]
        session.commit()
        ids = [job.id for job in jobs]
    worker.run_once()
    assert [db.job(i).status for i in ids] == ["sent", "queued", "queued"]  # the third waits behind the second
    chain.automine(True)
    chain.control.mine()
    drive(worker, db, lambda: _final(db, ids))
    assert [db.job(i).status for i in ids] == ["confirmed"] * 3
    nonces = [db.job(i).nonce for i in ids]
    assert nonces == sorted(nonces) and chain.balance(first) == 70 and chain.balance(second) == 5
