"""The certs kind through the backend API (`--via api`): single and batch issuance, the same statuses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

Replayed = Callable[..., dict[str, Any]]


def test_certificates_through_the_api_end_in_the_same_statuses(replayed: Replayed, via_api: Replayed) -> None:
    direct, api = replayed("vaccination-certificates"), via_api("vaccination-certificates")
    assert api["summary"]["verdict"] == "PASS", api["summary"]["failures"]
    assert api["final_state"] == direct["final_state"]
    by_kind = {step["do"]: step["detail"]["via"] for step in api["steps"]}
    assert by_kind["issue_certificates"] == "api+library"  # relayed issuance (issuer's signature) stays on chain
    assert by_kind["revoke_certificate"] == by_kind["supersede_certificate"] == "api"
    assert by_kind["accredit_issuer"] == "library"
    assert [m["observed"] for m in api["misuse"]] == [m["observed"] for m in direct["misuse"]]


def test_certificate_batch_through_the_api(replayed: Replayed, via_api: Replayed) -> None:
    direct, api = replayed("university-diplomas"), via_api("university-diplomas")
    assert api["summary"]["verdict"] == "PASS", api["summary"]["failures"]
    assert api["final_state"] == direct["final_state"]
    batch = next(step for step in api["steps"] if step["do"] == "issue_certificate_batch")
    assert batch["detail"]["via"] == "api"
    assert batch["detail"]["root"] == next(s for s in direct["steps"]
                                           if s["do"] == "issue_certificate_batch")["detail"]["root"]
