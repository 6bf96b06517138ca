"""Single-payment throughput through the API: `POST /rounds/{id}/payments` jobs confirmed per second vs bare
web3.py pipelined ERC-20 transfers, in the same run on the same Anvil.

Set-up as `api_push_batch.py` (own Anvil, contracts, N enrolled beneficiaries, the app with its sender and
indexer threads), then a flat push round proposed and approved through the API. Measured:
- bare web3.py: N pipelined signed transfers with fixed gas (before the app starts, from another account);
- the API: N `POST …/payments {index}` requests from `--clients` concurrent clients, each pre-flighted and
  queued as its own job, from the first request until every job is confirmed.
Issue target: API ≥ 0.8 × bare.

Run: .venv/bin/python benchmarks/api_single_payments.py [--payments 1000] [--clients 8] [--block-time 0]
                                                        [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import logging
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from api_push_batch import AMOUNT, Stack, open_round, register_and_wait_index, stack, stage, window


def pay_all(s: Stack, programme: str, round_id: int, indexes: list[int], clients: int) -> list[str]:
    token = s.keys["disburser"]
    path = f"/v1/programmes/{programme}/rounds/{round_id}/payments"

    def pay(index: int) -> str:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
        response = s.client.post(path, json={"index": index}, headers=headers)
        assert response.status_code == 202, response.text
        return str(response.json()["job_id"])

    with ThreadPoolExecutor(clients) as pool:
        return list(pool.map(pay, indexes))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=1000)
    parser.add_argument("--clients", type=int, default=8, help="concurrent API clients")
    parser.add_argument("--block-time", type=float, default=0.0, help="Anvil block time (0 = automine)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    n = args.payments
    with tempfile.TemporaryDirectory(prefix="pk-bench-") as tmp, \
            stack(Path(tmp), n, args.block_time, args.database_url, max_pending_per_signer=512) as s:
        bare = s.bare_rate
        stage(f"set up, bare loop {bare:.0f}/s; registering, indexing, opening a round")
        programme = register_and_wait_index(s, n)
        round_id = open_round(s, programme, {"mode": "push", "amount_per_beneficiary": AMOUNT, **window(s)})
        stage("paying")
        started = time.perf_counter()
        job_ids = pay_all(s, programme, round_id, list(range(1, n + 1)), args.clients)
        requested = time.perf_counter()
        s.wait(job_ids, s.keys["disburser"])
        done = time.perf_counter()
        paid = int(s.client.get(f"/v1/programmes/{programme}/rounds/{round_id}",
                                headers={"Authorization": f"Bearer {s.keys['approver']}"}).json()["paid"])
        assert paid == n * AMOUNT, f"paid {paid}"
    api = n / (done - started)
    backend = (args.database_url or "sqlite").split(":", 1)[0]
    print(f"{n} single payments, {args.clients} API clients, Anvil block time {args.block_time or 'automine'}, "
          f"{backend}")
    print(f"bare web3.py pipelined transfers    {bare:8.0f} payments/s")
    print(f"API payments → all confirmed        {api:8.0f} payments/s  (requests alone: "
          f"{n / (requested - started):.0f}/s)")
    print(f"ratio API / bare                    {api / bare:8.2f}   (target >= 0.8)")


if __name__ == "__main__":
    main()
