"""Gas regression guard: runs benchmarks/gas.py's measurement (same sizes as the committed snapshot, on a private
Anvil, ~15 s) and fails when any operation costs more gas than `benchmarks/gas_snapshot.json` records, or when
the issue's absolute targets are missed.

After an intended change: `.venv/bin/python benchmarks/gas.py --write` and commit the new snapshot.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

REPO = Path(__file__).resolve().parents[1]
NOT_GAS = ("_proof_hashes", "_zero_bytes")  # counts recorded next to the gas figures
CALLDATA_ZERO_BYTE_SAVING = 16 - 4  # a zero calldata byte costs 4 gas, a non-zero one 16


def _gas_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("pilotkit_gas_benchmark", REPO / "benchmarks" / "gas.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up here
    spec.loader.exec_module(module)
    return module


GAS = _gas_module()


@pytest.fixture(scope="module")
def snapshot() -> dict[str, int]:
    return dict(json.loads(GAS.SNAPSHOT.read_text())["gas"])


@pytest.fixture(scope="module")
def measured() -> dict[str, int]:
    return dict(GAS.run())


def test_snapshot_covers_every_measurement(measured: dict[str, int], snapshot: dict[str, int]) -> None:
    assert set(measured) == set(snapshot), "run `benchmarks/gas.py --write` after adding or renaming operations"


def test_no_operation_costs_more_than_the_snapshot(measured: dict[str, int], snapshot: dict[str, int]) -> None:
    grown = {
        key: (snapshot[key], measured[key])
        for key in snapshot
        if not key.endswith(NOT_GAS) and key in measured and measured[key] > snapshot[key]
    }
    assert not grown, "gas grew beyond the snapshot (snapshot, now): " + ", ".join(
        f"{key} {before:,} -> {now:,} (+{now - before:,})" for key, (before, now) in grown.items()
    )


def test_proofs_are_no_longer_than_in_the_snapshot(measured: dict[str, int], snapshot: dict[str, int]) -> None:
    for key in (k for k in snapshot if k.endswith("_proof_hashes")):
        assert measured[key] <= snapshot[key], key


def test_issue_targets(measured: dict[str, int]) -> None:
    assert measured["push_batch_200_fresh_per_beneficiary"] <= 30_000
    assert measured["push_batch_200_holder_per_beneficiary"] <= 13_000
    assert measured["claim_100k_cap1024_median"] <= 80_000
    for key, target in GAS.TARGETS.items():
        assert measured[key] <= target, key


def test_a_cap_makes_claims_cheaper(measured: dict[str, int]) -> None:
    assert measured["claim_100k_cap1024_proof_hashes"] == 7
    assert measured["claim_100k_nocap_proof_hashes"] == 17
    assert measured["claim_100k_cap1024_median"] < measured["claim_100k_nocap_median"]


def test_certificate_batch_gas_does_not_depend_on_the_batch_size(measured: dict[str, int]) -> None:
    """10 and 10,000 documents cost the same, up to the calldata price of the roots' zero bytes."""
    small, large = measured["cert_issue_batch_10"], measured["cert_issue_batch_10000"]
    zero_small, zero_large = (
        measured["cert_issue_batch_10_root_zero_bytes"],
        measured["cert_issue_batch_10000_root_zero_bytes"],
    )
    assert large - small == CALLDATA_ZERO_BYTE_SAVING * (zero_small - zero_large)
