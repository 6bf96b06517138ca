"""Nonces from the database: read from the chain's latest count once, then only counted; atomic under concurrency."""

from __future__ import annotations

import threading
from functools import partial

import pytest
from _sender_support import Chain, Db
from pilotkit_backend.platform.sender import nonces

SIGNER = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"


def _never() -> int:
    raise AssertionError("the chain must not be asked again once the counter exists")


def test_counter_starts_at_the_latest_count_not_the_pending_one(token_chain: Chain, db: Db) -> None:
    chain = token_chain
    chain.automine(False)
    raw = chain.signer.sign_transaction({"chainId": chain.chain_id, "nonce": chain.nonce(), "to": chain.admin.address,
                                         "value": 1, "gas": 21_000, "maxFeePerGas": 10**10,
                                         "maxPriorityFeePerGas": 10**9})
    chain.rpc("eth_sendRawTransaction", ["0x" + bytes(raw.raw_transaction).hex()])
    latest = chain.nonce()
    pending = int(chain.rpc("eth_getTransactionCount", [chain.signer.address, "pending"]), 16)
    assert pending == latest + 1

    with nonces.write_session(db.factory) as session:
        assert nonces.allocate(session, chain.chain_id, chain.signer.address, 2, partial(chain.nonce)) == \
            [latest, latest + 1]
    with nonces.write_session(db.factory) as session:
        assert nonces.allocate(session, chain.chain_id, chain.signer.address, 1, _never) == [latest + 2]
        assert nonces.peek(session, chain.chain_id, chain.signer.address) == latest + 3


def test_at_least_only_moves_forward(db: Db) -> None:
    with nonces.write_session(db.factory) as session:
        nonces.allocate(session, 1, SIGNER, 5, lambda: 10)
    with nonces.write_session(db.factory) as session:
        assert nonces.at_least(session, 1, SIGNER, 12, _never) == 15
        assert nonces.at_least(session, 1, SIGNER, 20, _never) == 20
    with nonces.write_session(db.factory) as session:
        assert nonces.allocate(session, 1, SIGNER, 1, _never) == [20]


def test_counters_are_per_chain_and_signer(db: Db) -> None:
    with nonces.write_session(db.factory) as session:
        assert nonces.allocate(session, 1, SIGNER, 1, lambda: 3) == [3]
        assert nonces.allocate(session, 2, SIGNER, 1, lambda: 7) == [7]
        assert nonces.allocate(session, 1, SIGNER.lower(), 1, lambda: 0) == [0]


def test_a_rolled_back_allocation_hands_out_nothing(db: Db) -> None:
    with pytest.raises(RuntimeError), nonces.write_session(db.factory) as session:
        nonces.allocate(session, 1, SIGNER, 3, lambda: 0)
        raise RuntimeError("crash before commit")
    with nonces.write_session(db.factory) as session:
        assert nonces.allocate(session, 1, SIGNER, 1, lambda: 0) == [0]


def test_concurrent_allocations_never_collide(db: Db) -> None:
    """8 threads (own connections) × 25 allocations of 1–3 nonces: every nonce handed out once, no gaps."""
    got: list[int] = []
    errors: list[BaseException] = []
    lock = threading.Lock()
    start = threading.Barrier(8)

    def work(index: int) -> None:
        try:
            start.wait()
            for round_ in range(25):
                with nonces.write_session(db.factory) as session:
                    numbers = nonces.allocate(session, 1, SIGNER, 1 + (index + round_) % 3, lambda: 100)
                with lock:
                    got.extend(numbers)
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert sorted(got) == list(range(100, 100 + len(got)))
