"""A chain reorg while the service indexes: what the API reads converges to a fresh re-index of the new chain."""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

from _domain_support import Service
from pilotkit_backend.db.base import Base
from pilotkit_backend.db.engine import make_engine
from pilotkit_backend.platform.indexer.indexer import EventIndexer, FollowedContract

ENROL_BATCH = 20


def _enrol_calls(service: Service, count: int, nonce: int) -> list[str]:
    """`count` signed enrolBatch transactions from the registrar (raw hex), at nonces `nonce`, `nonce + 1`, ..."""
    chain = service.chain.context
    registrar = chain.signer_for("registrar")
    programme = service.chain.address("CashProgramme")
    raws = []
    for offset in range(count):
        ids = [os.urandom(32) for _ in range(ENROL_BATCH)]
        wallets = ["0x" + os.urandom(20).hex() for _ in range(ENROL_BATCH)]
        data = chain.encode("CashProgramme", "enrolBatch", ids, wallets)
        tx = {"to": programme, "data": data, "nonce": nonce + offset, "gas": 3_000_000, "chainId": chain.chain_id,
              "maxFeePerGas": 10**11, "maxPriorityFeePerGas": 10**9, "value": 0}
        raws.append("0x" + registrar.sign_transaction(tx).raw_transaction.hex())
    return raws


def _registrar_nonce(service: Service, block: int | str = "latest") -> int:
    chain = service.chain.context
    return int(chain.web3.eth.get_transaction_count(chain.signer_for("registrar").address, block))


def _api_events(service: Service, token: str, address: str) -> list[tuple[Any, ...]]:
    items: list[dict[str, Any]] = []
    cursor = None
    while True:
        query = f"/v1/contracts/{address}/events?limit=1000" + (f"&cursor={cursor}" if cursor else "")
        page = service.get(query, token).json()
        items.extend(page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    return [(e["block_number"], e["tx_hash"], e["log_index"], e["name"], e["args"]) for e in items]


def _fresh_events(service: Service, address: str, deploy_block: int, folder: Path) -> list[tuple[Any, ...]]:
    engine = make_engine(f"sqlite:///{folder / f'fresh-{time.time_ns()}.db'}")
    Base.metadata.create_all(engine)
    chain = service.chain.context
    indexer = EventIndexer.from_connection(engine, chain.connection,
                                           [FollowedContract(address, "p", deploy_block, chain.abi("CashProgramme"))],
                                           name="fresh")
    try:
        while not indexer.sync_once().caught_up:
            pass
        return [(e.block_number, e.tx_hash, e.log_index, e.name, e.args) for e in indexer.queries.iterate(address)]
    finally:
        indexer.close()
        engine.dispose()


def test_index_read_through_the_api_converges_after_a_reorg(service: Service, tmp_path: Path) -> None:
    admin = service.key("admin")
    address = service.chain.address("CashProgramme")
    registered = service.post("/v1/contracts", admin, {"kind": "programme", "address": address, "label": "p"})
    assert registered.status_code == 201
    control = service.chain.control
    for raw in _enrol_calls(service, 6, _registrar_nonce(service)):
        control.call("eth_sendRawTransaction", [raw])  # automine: one block each
    service.wait_indexed()
    before = _api_events(service, admin, address)
    assert sum(1 for e in before if e[3] == "BeneficiaryEnrolled") == 6 * ENROL_BATCH

    head = int(control.block_number())
    # replace the newest 3 blocks (3 of the enrolments) by 2 blocks holding 4 different enrolments
    replacements = _enrol_calls(service, 4, _registrar_nonce(service, head - 3))
    control.call("anvil_reorg", [3, [[raw, i // 2] for i, raw in enumerate(replacements)]])
    assert int(control.block_number()) == head
    control.mine(2)  # confirmations: make the replaced range final for the indexer
    service.wait_indexed()
    deadline = time.monotonic() + 30
    expected = _fresh_events(service, address, registered.json()["deploy_block"], tmp_path)
    while (after := _api_events(service, admin, address)) != expected:
        assert time.monotonic() < deadline, "the API's index did not converge to a fresh re-index"
        time.sleep(0.1)
    assert sum(1 for e in after if e[3] == "BeneficiaryEnrolled") == (6 - 3 + 4) * ENROL_BATCH
    assert len({(e[1], e[2]) for e in after}) == len(after)  # no duplicates
