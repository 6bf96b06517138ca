"""Confirmations per network: a job is final only at the configured depth, and a reorg before that is survived."""

from __future__ import annotations

import dataclasses
import time

from _sender_support import Chain, Db, add_jobs, make_worker
from eth_account import Account
from pilotkit_backend.platform.models.jobs import JobStatus
from pilotkit_backend.platform.sender.worker import SenderWorker

from pilotkit.chain.connection import Connection


def _with_confirmations(chain: Chain, depth: int) -> None:
    old = chain.connection
    network = dataclasses.replace(old.network, confirmations=depth)
    chain.connection = Connection(network, old.web3, old.chain_id, old.node, False)


def _settle(chain: Chain, worker: SenderWorker, passes: int = 3) -> None:
    for _ in range(passes):
        time.sleep(0.05)  # Anvil mines on arrival, but asynchronously
        worker.run_once()


def test_a_job_is_confirmed_only_at_the_networks_depth(token_chain: Chain, db: Db) -> None:
    chain = token_chain
    _with_confirmations(chain, 3)
    worker = make_worker(db, chain)
    [job_id] = add_jobs(db, chain, [(Account.create().address, 4)])
    _settle(chain, worker)
    job = db.job(job_id)
    assert job.status == JobStatus.SENT.value and chain.receipt(str(job.tx_hash)) is not None  # mined, depth 1
    chain.control.mine(1)
    _settle(chain, worker)
    assert db.job(job_id).status == JobStatus.SENT.value  # depth 2
    chain.control.mine(1)
    _settle(chain, worker)
    assert db.job(job_id).status == JobStatus.CONFIRMED.value  # depth 3


def test_a_reorg_before_the_depth_is_survived_exactly_once(token_chain: Chain, db: Db) -> None:
    chain = token_chain
    _with_confirmations(chain, 3)
    worker = make_worker(db, chain, stuck_after_seconds=0.2)
    recipient = Account.create().address
    start = chain.nonce()
    [job_id] = add_jobs(db, chain, [(recipient, 4)])
    _settle(chain, worker)
    assert chain.balance(recipient) == 4
    chain.rpc("anvil_reorg", [1, []])  # the block with the payment is gone, and so is the transaction
    assert chain.balance(recipient) == 0 and chain.nonce() == start

    deadline = time.monotonic() + 15
    while not db.job(job_id).is_final and time.monotonic() < deadline:
        _settle(chain, worker, 1)
        chain.control.mine(1)
    job = db.job(job_id)
    assert job.status == JobStatus.CONFIRMED.value
    assert chain.balance(recipient) == 4 and chain.nonce() == start + 1  # paid again after the reorg, once
    assert job.result is not None and chain.receipt(str(job.tx_hash)) is not None
