"""Replay throughput: a 10,000-beneficiary programme against a bare web3.py transfer loop, in the same run.

Run:  .venv/bin/python benchmarks/replay_throughput.py [--beneficiaries 10000] [--baseline 1000]

The programme (voucher mode, so merchants can redeem): enrol everyone, fund, three rounds — two push rounds
and one Merkle-claim round claimed by 30% (half of them relayed with the beneficiary's EIP-712 signature) —
then 30% spend at 20 merchants (half signed and submitted by the till), and the merchants redeem.

Baseline: the same Anvil binary on this machine, automine on, web3.py over IPC sending one ETH transfer from an
unlocked dev account and waiting for its receipt, N times — the loop a script without batching would write.

Figures: replay wall time (the steps on the chain: signing, sending, mining, receipts; node start, reading
back the final state and invariants are in the total), transactions per second, beneficiary-level operations
per second (an enrolment, a payment, a claim, a spend, a redemption each count as one), and both as a ratio
to the baseline's transfers per second. Target (issue 5): operations per second >= 5x the baseline, and under 60 s.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

SCENARIO = """
scenario: 1
name: replay-benchmark
title: Replay benchmark programme
seed: 1
metadata:
  region: benchmark
  agency_type: benchmark
  use_case: throughput measurement
  modelled_on: {pilot: WFP Building Blocks (scale model), reference: benchmarks/replay_throughput.py}
assessment:
  questions: {needs_shared_state: true, multiple_writers: true, trusted_online_party_suffices: false,
              writers_known: true, writers_trusted: false, public_verifiability: false}
  risks:
    privileges_and_immunities: {likelihood: 1, impact: 1, mitigation: n/a}
    data_protection: {likelihood: 1, impact: 1, mitigation: n/a}
    confidentiality: {likelihood: 1, impact: 1, mitigation: n/a}
    cybersecurity: {likelihood: 1, impact: 1, mitigation: n/a}
    system_integrity: {likelihood: 1, impact: 1, mitigation: n/a}
    reputation: {likelihood: 1, impact: 1, mitigation: n/a}
chain: {network: local, genesis_time: "2026-01-01T00:00:00Z"}
programme: {voucher_mode: true, period: 30d, period_cap: 1000}
actors: {beneficiaries: BENEFICIARIES, merchants: 20}
steps:
  - {do: deploy, contracts: [cash]}
  - {do: enrol}
  - {do: approve_merchants}
  - {do: fund, amount: 10000000}
  - {do: round, kind: push, amount: 25, window: 5d}
  - {do: round, kind: push, amount: 25, window: 5d}
  - {do: round, kind: claim, amount: 25, window: 5d, claim_share: 0.3, relayed_share: 0.5, cap: 64}
  - {do: spend, amount: 20, share: 0.3, relayed_share: 0.5}
  - {do: redeem}
"""


def baseline(transfers: int) -> float:
    """Transfers per second of a bare web3.py send-and-wait loop on a fresh automining Anvil (IPC)."""
    from web3 import IPCProvider, Web3

    from pilotkit.chain.local import AnvilNode

    with AnvilNode() as node:
        assert node.ipc_path is not None
        w3 = Web3(IPCProvider(node.ipc_path))
        sender = w3.eth.accounts[0]
        recipients = [Web3.to_checksum_address(f"0x{i + 1:040x}") for i in range(transfers)]
        w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": sender, "to": recipients[0],
                                                                     "value": 1}))  # warm-up
        started = time.perf_counter()
        for to in recipients:
            w3.eth.wait_for_transaction_receipt(w3.eth.send_transaction({"from": sender, "to": to, "value": 1}),
                                                poll_latency=0.001)
        return transfers / (time.perf_counter() - started)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beneficiaries", type=int, default=10_000)
    parser.add_argument("--baseline", type=int, default=1000, help="transfers in the baseline loop")
    args = parser.parse_args(argv)

    from pilotkit.pilots.engine import replay
    from pilotkit.pilots.scenario import from_document
    from pilotkit.pilots.schema import parse_yaml, validate
    from pilotkit.project import Project

    project = Project.load(REPO)
    project.artifacts("local")
    document = parse_yaml(SCENARIO.replace("BENEFICIARIES", str(args.beneficiaries)), "replay-benchmark.yaml")
    validate(document)
    scenario = from_document(document)

    base_rate = baseline(args.baseline)
    result = replay(scenario, project, progress=sys.stderr.isatty())
    wall = result["wall_clock"]
    seconds = wall["replay_seconds"]
    tx_rate = result["throughput"]["transactions"] / seconds
    op_rate = result["throughput"]["operations"] / seconds
    ratio = op_rate / base_rate
    print(f"baseline: bare web3.py transfer loop (send_transaction + wait, IPC, automine): {base_rate:,.0f} tx/s "
          f"over {args.baseline:,} transfers")
    print(f"replay of {args.beneficiaries:,} beneficiaries: verdict {result['summary']['verdict']}, "
          f"{result['throughput']['transactions']:,} transactions in {result['throughput']['blocks']:,} blocks, "
          f"{result['throughput']['operations']:,} beneficiary-level operations")
    print(f"  wall time {seconds:.1f} s (the steps; with node start, final-state read-back and invariants "
          f"{wall['total_seconds']:.1f} s)   target < 60 s: {'ok' if seconds < 60 else 'MISSED'}")
    print(f"  transactions/s {tx_rate:,.0f}  = {tx_rate / base_rate:.1f}x the baseline")
    print(f"  operations/s   {op_rate:,.0f}  = {ratio:.1f}x the baseline   target >= 5x: "
          f"{'ok' if ratio >= 5 else 'MISSED'}")
    print(f"  block latency (submit -> receipts) median {wall['block_latency_ms']['median']} ms, "
          f"p95 {wall['block_latency_ms']['p95']} ms")
    slow = sorted(wall["step_seconds"].items(), key=lambda kv: -kv[1])[:4]
    print("  slowest steps: " + ", ".join(f"{result['steps'][int(k) - 1]['do']} {v:.1f} s" for k, v in slow))
    return 0 if result["summary"]["verdict"] == "PASS" else 1


if __name__ == "__main__":
    raise SystemExit(main())
