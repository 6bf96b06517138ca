"""Small timing helpers shared by the benchmark scripts."""

from __future__ import annotations

import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]


def best_of(runs: int, action: Callable[[], object]) -> tuple[float, float]:
    """(median, best) wall time in seconds of `runs` calls."""
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        action()
        samples.append(time.perf_counter() - started)
    return statistics.median(samples), min(samples)


def run_process(*argv: str, cwd: Path = REPO) -> None:
    subprocess.run(argv, cwd=cwd, check=True, capture_output=True)


def python_startup() -> Callable[[], None]:
    """Baseline: a bare interpreter start."""
    return lambda: run_process(sys.executable, "-c", "pass")


def bare_transfers(connection: Any, token: Any, signer: Any, recipients: list[str], *, amount: int = 1,
                   gas: int | None = 100_000, timeout: float = 600) -> float:
    """The baseline the throughput benchmarks compare with: pipelined signed ERC-20 transfers with plain web3.py
    (nonces counted locally, every transaction built, signed and sent without waiting, then every receipt
    awaited). `gas=None` lets web3 estimate each one. Returns transfers confirmed per second."""
    web3 = connection.web3
    contract = web3.eth.contract(address=token.address, abi=token.abi)
    started = time.perf_counter()
    nonce = web3.eth.get_transaction_count(signer.address)
    block = web3.eth.get_block("latest")
    fees = {"maxFeePerGas": 2 * int(block["baseFeePerGas"]) + 10**9, "maxPriorityFeePerGas": 10**9}
    hashes = []
    for offset, recipient in enumerate(recipients):
        params: dict[str, Any] = {"from": signer.address, "nonce": nonce + offset, "chainId": connection.chain_id,
                                  **fees}
        if gas is not None:
            params["gas"] = gas
        tx = contract.functions.transfer(recipient, amount).build_transaction(params)
        signed = signer.sign_transaction({k: v for k, v in tx.items() if k != "from"})
        hashes.append(web3.eth.send_raw_transaction(signed.raw_transaction))
    for tx_hash in hashes:
        receipt = web3.eth.wait_for_transaction_receipt(tx_hash, timeout=timeout, poll_latency=0.01)
        assert receipt["status"] == 1
    return len(recipients) / (time.perf_counter() - started)

