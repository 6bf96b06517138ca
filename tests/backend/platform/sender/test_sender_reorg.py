"""Reorgs after jobs settled (`anvil_reorg`): every job ends as the chain says, no nonce gap wedges the signer.

Each test settles payments (one block each, automine), reorganises the last `depth` blocks with the reorged-out
transactions re-included in full, in part or not at all, queues the next payment at once (before the worker
has seen the reorg, so its nonce lies above the chain's), and then lets the worker run.
"""

from __future__ import annotations

import time

import pytest
from _sender_support import Chain, Db, add_jobs, assert_paid_exactly_once, drive, make_worker
from eth_abi import encode
from eth_account import Account
from pilotkit_backend.platform.models.jobs import JobStatus

TRANSFER_FROM = "0x23b872dd"  # transferFrom(address,address,uint256)


def _settle(chain: Chain, db: Db, payments: list[tuple[str, int]]) -> tuple[list[str], int]:
    start = chain.nonce()
    worker = make_worker(db, chain, watch_seconds=0.0, max_pending_per_signer=1)  # one block per payment
    ids = add_jobs(db, chain, payments)
    drive(worker, db, lambda: all(db.job(i).status == JobStatus.CONFIRMED.value for i in ids))
    return ids, start


def _reorg(chain: Chain, db: Db, ids: list[str], depth: int, reinclude: str) -> list[str]:
    """Replace the last `depth` blocks; returns the ids of the jobs whose transaction the reorg took out."""
    head = int(chain.rpc("eth_blockNumber"), 16)
    out = [i for i in ids if (db.job(i).result or {})["block_number"] > head - depth]
    raws = [next(a.raw_tx for a in db.job(i).attempts if a.tx_hash == db.job(i).tx_hash) for i in out]
    keep = {"full": len(raws), "partial": len(raws) // 2, "none": 0}[reinclude]
    chain.rpc("anvil_reorg", [depth, [[raw, depth - 1] for raw in raws[:keep]]])
    assert int(chain.rpc("eth_blockNumber"), 16) == head
    return out


@pytest.mark.parametrize("depth", [1, 3, 10])
@pytest.mark.parametrize("reinclude", ["full", "partial", "none"])
def test_settled_jobs_follow_a_reorg_and_the_signer_never_wedges(token_chain: Chain, db: Db, depth: int,
                                                                 reinclude: str) -> None:
    chain = token_chain
    payments = [(Account.create().address, 10 + n) for n in range(4)]
    ids, start = _settle(chain, db, payments)
    if depth > len(payments):
        chain.control.mine(depth - len(payments))  # the reorg reaches back past every payment
    before = {i: db.job(i).result["block_number"] for i in ids}  # type: ignore[index]
    out = _reorg(chain, db, ids, depth, reinclude)
    assert len(out) == min(depth, len(payments))
    nxt = (Account.create().address, 99)
    [later] = add_jobs(db, chain, [nxt])  # queued before the worker saw the reorg: its nonce is above the chain's

    began = time.monotonic()
    worker = make_worker(db, chain, watch_seconds=0.0)
    drive(worker, db, lambda: all(db.job(i).status == JobStatus.CONFIRMED.value for i in [*ids, later]))
    elapsed = time.monotonic() - began
    print(f"reorg depth {depth} ({reinclude}): {len(out)} job(s) re-settled in {elapsed:.2f} s")

    assert_paid_exactly_once(chain, db, [*payments, nxt], start)
    assert chain.nonce() == start + 5 and not chain.pool()  # no gap, nothing left waiting
    for job_id in ids:
        job = db.job(job_id)
        if job_id not in out:
            assert not job.history
            continue
        [event] = job.history or []
        assert event["event"] == "reorged" and event["status_before"] == "confirmed"
        assert event["old_block"] == before[job_id]
        assert event["old_block_hash"] != job.result["block_hash"]  # type: ignore[index]
        if reinclude == "full":
            assert event["new_block"] == job.result["block_number"]  # type: ignore[index]


def test_settled_jobs_become_final_with_the_chains_finalized_block(token_chain: Chain, db: Db) -> None:
    chain = token_chain
    ids, _ = _settle(chain, db, [(Account.create().address, 3)])
    worker = make_worker(db, chain, watch_seconds=0.0)
    worker.run_once()
    job = db.job(ids[0])
    assert job.status == JobStatus.CONFIRMED.value and not job.finalized and job.lease_owner == "w1"
    head = int(chain.rpc("eth_blockNumber"), 16)
    finalized = int(chain.rpc("eth_getBlockByNumber", ["finalized", False])["number"], 16)
    lag = head - finalized  # Anvil's finalized block is 64 behind its head (0 while the chain is shorter)
    chain.control.mine(job.result["block_number"] + 64 - head - 1)  # type: ignore[index]
    worker.run_once()
    assert not db.job(ids[0]).finalized, lag  # one block short
    chain.control.mine(1)
    worker.run_once()
    job = db.job(ids[0])
    assert job.finalized and job.lease_owner is None and job.is_irreversible


def test_a_rebroadcast_that_now_reverts_fails_the_job_with_its_decoded_error(token_chain: Chain, db: Db) -> None:
    chain = token_chain
    recipient = Account.create().address
    chain.token.mint(chain.admin.address, 5)
    chain.token.approve(chain.signer.address, 5)  # the admin lets the worker's signer move 5 of its tokens
    data = TRANSFER_FROM + encode(["address", "address", "uint256"], [chain.admin.address, recipient, 5]).hex()
    from pilotkit_backend.platform.job_queue import enqueue

    with db.factory() as session:
        job_id = enqueue(session, "token.transfer_from", chain.token.address, data, signer=chain.signer.address,
                         chain_id=chain.chain_id).id
        session.commit()
    worker = make_worker(db, chain, watch_seconds=0.0)
    drive(worker, db, lambda: db.job(job_id).is_final)
    assert db.job(job_id).status == JobStatus.CONFIRMED.value, (db.job(job_id).error_name, db.job(job_id).result)
    assert chain.balance(recipient) == 5
    chain.rpc("anvil_reorg", [1, []])  # the transfer is gone ...
    chain.token.approve(chain.signer.address, 0)  # ... and the allowance with it before the worker re-sends it
    drive(worker, db, lambda: db.job(job_id).status == JobStatus.FAILED.value)
    job = db.job(job_id)
    assert job.error_name == "ERC20InsufficientAllowance" and chain.balance(recipient) == 0
    assert chain.receipt(str(job.tx_hash)) is not None  # failed from its own mined receipt
    assert [e["status_before"] for e in job.history or []] == ["confirmed"]


def test_a_gap_left_by_a_reorged_out_unknown_transaction_is_filled_with_a_noop(token_chain: Chain, db: Db) -> None:
    """The signer sent a transaction the service never stored (another tool, same key); the service's counter
    moved past it. A reorg removes it together with the service's later jobs: no stored bytes exist for its
    nonce, so the sender fills it with a self-transfer recorded as a job, and everything above it is mined."""
    chain = token_chain
    start = chain.nonce()
    stranger = chain.signer.sign_transaction({"chainId": chain.chain_id, "nonce": start, "to": chain.signer.address,
                                              "value": 1, "gas": 21_000, "maxFeePerGas": 10**10,
                                              "maxPriorityFeePerGas": 10**9})
    chain.rpc("eth_sendRawTransaction", ["0x" + bytes(stranger.raw_transaction).hex()])  # mined: nonce start
    payments = [(Account.create().address, 20 + n) for n in range(2)]
    ids, first = _settle(chain, db, payments)  # the counter starts from the chain's count: start + 1
    assert first == start + 1 and [db.job(i).nonce for i in ids] == [start + 1, start + 2]
    chain.rpc("anvil_reorg", [3, []])  # the stranger and both payments gone
    assert chain.nonce() == start
    nxt = (Account.create().address, 77)
    [later] = add_jobs(db, chain, [nxt])

    worker = make_worker(db, chain, watch_seconds=0.0)
    drive(worker, db, lambda: all(db.job(i).status == JobStatus.CONFIRMED.value for i in [*ids, later]))
    assert chain.nonce() == start + 4 and not chain.pool()  # no gap left, nothing waiting
    [fill] = [job for job in db.jobs() if job.kind == "sender.nonce_gap_fill"]
    drive(worker, db, lambda: db.job(fill.id).status == JobStatus.CONFIRMED.value)
    fill = db.job(fill.id)
    assert fill.nonce == start and fill.to_address == chain.signer.address and fill.value_wei == 0
    receipt = chain.receipt(str(fill.tx_hash))
    assert receipt is not None and int(receipt["status"], 16) == 1
    [event] = fill.history or []
    assert event["event"] == "nonce_gap" and event["nonce"] == start and event["chain_nonce"] == start
    for job_id, (recipient, amount) in zip([*ids, later], [*payments, nxt], strict=True):
        assert chain.balance(recipient) == amount, job_id  # paid once each
