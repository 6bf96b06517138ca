"""The certs kind replayed directly: single, relayed and batch issuance, status changes, verification."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Replayed = Callable[..., dict[str, Any]]


def test_certificate_statuses_follow_their_history(replayed: Replayed) -> None:
    result = replayed("vaccination-certificates")
    assert result["summary"]["verdict"] == "PASS", result["summary"]["failures"]
    final = result["final_state"]
    assert final["certs.issued"] >= final["certs.valid"] + final["certs.revoked"] + final["certs.superseded"]
    assert final["certs.revoked"] >= 1 and final["certs.superseded"] >= 1
    assert [i["name"] for i in result["invariants"]] == [
        "certs: every certificate verifies with the status its history gives it"]
    assert result["costs"]["served_unit"] == "certificate" and result["costs"]["served"] == final["certs.issued"]
    assert "certs.issueWithSig" in result["gas"]["by_operation"]  # relayed issuance
    assert {"status": "Revoked"} in [m["observed"] for m in result["misuse"]]


def test_certificate_batch_revocation_inside_the_batch(replayed: Replayed) -> None:
    result = replayed("university-diplomas")
    assert result["summary"]["verdict"] == "PASS", result["summary"]["failures"]
    batch = next(s for s in result["steps"] if s["do"] == "issue_certificate_batch")
    assert batch["detail"]["root"].startswith("0x") and len(batch["detail"]["root"]) == 66
    assert result["final_state"]["certs.revoked"] >= 1
