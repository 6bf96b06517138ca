"""Indexer throughput: Transfer events stored per second vs fetching the same logs with bare eth_getLogs.

Own Anvil, one TestStablecoin, N mints to fresh recipients packed into blocks (every recipient is a new
address, the slowest case for address checksums). Then, in the same run and alternating, `--repeat` times:
- bare web3.py: `web3.eth.get_logs(...)` over the same blocks, nothing else (the issue's comparator);
- bare raw JSON-RPC: `eth_getLogs` on the same IPC socket the indexer uses, JSON parsed, no web3 formatting;
- the indexer: `EventIndexer.sync_once()` from the deployment block on an empty database (fetch, verify
  headers, decode, store events + headers + checkpoint in one transaction per range).
Medians are reported. Issue targets: ≥ 5,000 events/s stored, and ≥ 0.5 × the bare eth_getLogs rate.

Run: .venv/bin/python benchmarks/indexer_throughput.py [--events 10000] [--per-block 500] [--repeat 3]
                                                      [--database-url postgresql+psycopg://user@127.0.0.1/db]
(the database must be empty or hold only earlier runs of this benchmark: its index tables are recreated)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _util import REPO
from pilotkit_backend.core.config import Settings
from pilotkit_backend.db.base import Base
from pilotkit_backend.db.engine import make_engine
from pilotkit_backend.platform.indexer.indexer import EventIndexer, FollowedContract
from pilotkit_backend.platform.indexer.rpc import JsonRpcClient
from pilotkit_backend.platform.models.index import IndexedBlock, IndexedEvent, IndexerCheckpoint

from pilotkit.accounts.dev import dev_accounts
from pilotkit.chain.connection import connect
from pilotkit.chain.control import ChainControl
from pilotkit.deploy.deployer import Deployer
from pilotkit.deploy.records import DeploymentRecord
from pilotkit.project import Project

MINT = "0x40c10f19"
TABLES: list[Any] = [IndexedBlock.__table__, IndexedEvent.__table__, IndexerCheckpoint.__table__]


def mint_many(connection: Any, chain: ChainControl, deployer: Deployer, token: Any, count: int,
              per_block: int) -> None:
    """`count` pre-signed mints to fresh addresses, `per_block` per block, sent in JSON-RPC batches."""
    signer = deployer.signer
    node = connection.node
    rpc = JsonRpcClient(ipc_path=node.ipc_path, url=None if node.ipc_path else node.url)
    nonce = int(connection.web3.eth.get_transaction_count(signer.address))
    sent = 0
    with chain.no_automine():
        while sent < count:
            fees = deployer.sender.fees()  # full blocks raise the base fee block after block
            raws = []
            for _ in range(min(per_block, count - sent)):
                sent += 1
                data = MINT + f"{0x10_0000 + sent:064x}" + f"{10**24 + sent:064x}"
                tx = {"chainId": connection.chain_id, "to": token.address, "value": 0, "gas": 150_000,
                      "nonce": nonce, "data": data, **fees}
                raws.append("0x" + deployer.sender.sign(signer, tx)[1].hex())
                nonce += 1
            replies = rpc.batch([("eth_sendRawTransaction", [raw]) for raw in raws])
            failed = [reply for reply in replies if isinstance(reply, Exception)]
            if failed:
                raise SystemExit(f"minting failed: {failed[0]}")
            chain.mine()
    rpc.close()


def ranges(first: int, last: int, span: int) -> list[tuple[int, int]]:
    return [(start, min(last, start + span - 1)) for start in range(first, last + 1, span)]


def bare_web3(connection: Any, address: str, spans: list[tuple[int, int]]) -> tuple[float, int]:
    started = time.perf_counter()
    count = sum(len(connection.web3.eth.get_logs({"fromBlock": a, "toBlock": b, "address": address}))
                for a, b in spans)
    return time.perf_counter() - started, count


def bare_raw(rpc: JsonRpcClient, address: str, spans: list[tuple[int, int]]) -> tuple[float, int]:
    started = time.perf_counter()
    count = sum(len(rpc.call("eth_getLogs", [{"fromBlock": hex(a), "toBlock": hex(b), "address": [address]}]))
                for a, b in spans)
    return time.perf_counter() - started, count


def index_once(url: str, connection: Any, followed: FollowedContract, settings: Settings) -> tuple[float, int]:
    engine = make_engine(url)
    Base.metadata.drop_all(engine, tables=TABLES)
    Base.metadata.create_all(engine, tables=TABLES)
    indexer = EventIndexer.from_connection(engine, connection, [followed], settings, name="bench", confirmations=1)
    try:
        started = time.perf_counter()
        result = indexer.sync_once()
        elapsed = time.perf_counter() - started
        if not result.caught_up or indexer.count() != result.events:
            raise SystemExit(f"indexing incomplete: {result}")
        return elapsed, result.events
    finally:
        indexer.close()
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=10_000, help="Transfer events to index (default 10,000)")
    parser.add_argument("--per-block", type=int, default=500, help="mints per block (default 500)")
    parser.add_argument("--repeat", type=int, default=3, help="measurements of each kind (median reported)")
    parser.add_argument("--database-url", default=None, help="default: a SQLite file in a temporary folder")
    args = parser.parse_args()

    project = Project.load(REPO)
    network = project.config.network("local")
    project.artifacts(network.name)
    settings = Settings()
    with tempfile.TemporaryDirectory(prefix="pk-indexer-bench-") as tmp, \
            connect(network, project_root=project.root) as connection:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'index.db'}"
        node = connection.node
        assert node is not None
        chain = ChainControl(node.rpc(), node.kind)
        signer = dev_accounts()[0]
        record = DeploymentRecord(Path(tmp) / "deployments.json", connection.chain_id, network.name)
        deployer = Deployer(project, connection, signer, record=record)
        token = deployer.create("TestStablecoin", "Bench USD", "BUSD", signer.address)
        from_block = int(token.deploy_receipt["blockNumber"])
        started = time.perf_counter()
        mint_many(connection, chain, deployer, token, args.events, args.per_block)
        head = chain.block_number()
        print(f"chain: {args.events:,} mints in {head - from_block} blocks, made in "
              f"{time.perf_counter() - started:.1f}s; database: {url.split(':', 1)[0]}")

        followed = FollowedContract(token.address, "BUSD", from_block, token.abi)
        spans = ranges(from_block, head, settings.indexer_batch_blocks)
        rpc = JsonRpcClient(ipc_path=node.ipc_path, url=None if node.ipc_path else node.url)
        bare_web3(connection, token.address, spans)  # warm up the node's log path once
        web3_rates, raw_rates, index_rates = [], [], []
        for _ in range(args.repeat):
            seconds, logs = bare_web3(connection, token.address, spans)
            web3_rates.append(logs / seconds)
            seconds, raw_logs = bare_raw(rpc, token.address, spans)
            raw_rates.append(raw_logs / seconds)
            seconds, stored = index_once(url, connection, followed, settings)
            if stored != logs:
                raise SystemExit(f"stored {stored} events but eth_getLogs returned {logs}")
            index_rates.append(stored / seconds)
        rpc.close()

    stored_rate = statistics.median(index_rates)
    web3_rate = statistics.median(web3_rates)
    raw_rate = statistics.median(raw_rates)
    print(f"events per run:                    {logs:,}")
    print(f"indexer, events stored per second: {stored_rate:>9,.0f}   (target >= 5,000: "
          f"{'PASS' if stored_rate >= 5000 else 'FAIL'})")
    print(f"bare web3 eth.get_logs, logs/s:    {web3_rate:>9,.0f}   ratio {stored_rate / web3_rate:.2f} "
          f"(target >= 0.5: {'PASS' if stored_rate >= 0.5 * web3_rate else 'FAIL'})")
    print(f"bare raw JSON-RPC eth_getLogs:     {raw_rate:>9,.0f}   ratio {stored_rate / raw_rate:.2f} "
          "(no web3 formatting, no decoding; for reference)")


if __name__ == "__main__":
    main()
