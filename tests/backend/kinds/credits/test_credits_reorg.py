"""A reorged-out issuance or retirement is not shown as done: while its re-broadcast waits unmined, the batch,
the retirement list and the public record say what the chain says; once it is mined again, they show it."""

from __future__ import annotations

import time
from typing import Any

from _credits_support import batch_body, setup_credits
from _domain_support import Service


def _until(what: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def _reorg_out(service: Service, job_id: str, token: str) -> None:
    """Drop the newest block with mining held; return once the service saw the job go back to sent."""
    service.chain.control.set_automine(False)
    service.chain.control.call("anvil_reorg", [1, []])
    _until(lambda: service.get(f"/v1/jobs/{job_id}", token).json()["status"] == "sent")


def _mine_again(service: Service, job_id: str, token: str) -> None:
    service.chain.control.set_automine(True)
    service.chain.control.mine(1)
    assert service.wait(job_id, token)["status"] == "confirmed"


def test_a_reorged_out_batch_issuance_is_not_shown_as_issued(service: Service) -> None:
    c = setup_credits(service)
    project_id = c.project(external_id="VCS-REORG-1")
    issued = c.confirm("/batches", c.verifier, batch_body(project_id, 1, 500))
    assert c.get("/batches/1", c.verifier).json()["issued"] == 500
    try:
        _reorg_out(service, issued["job_id"], c.verifier)
        assert int(c.contract.batchCount()) == 0
        got = c.get("/batches/1", c.verifier)
        assert got.status_code == 404, got.text  # the batch is read from the chain: no such batch now
        assert c.get("/batches", c.verifier).json()["items"] == []
    finally:
        _mine_again(service, issued["job_id"], c.verifier)
    _until(lambda: c.get("/batches/1", c.verifier).json().get("issued") == 500)


def test_a_reorged_out_retirement_is_not_shown_as_retired(service: Service) -> None:
    c = setup_credits(service)
    project_id = c.project(external_id="VCS-REORG-2")
    c.confirm("/batches", c.verifier, batch_body(project_id, 1, 100))
    retired = c.confirm("/retirements", c.admin, {"batch_id": 1, "amount": 30, "beneficiary_name": "Town of Kisii",
                                                  "reason": "reorg test"})
    service.wait_indexed()
    assert [r["amount"] for r in c.get("/retirements", c.auditor).json()["items"]] == [30]
    public = f"/v1/public/credit-registries/{c.registry}/retirements/1"
    try:
        _reorg_out(service, retired["job_id"], c.admin)
        assert int(c.contract.retired(1)) == 0
        service.wait_indexed()
        batch = c.get("/batches/1", c.verifier).json()
        items = c.get("/retirements", c.auditor).json()["items"]
        record = service.get(public)
        assert batch["retired"] == 0 and batch["circulating"] == 100
        assert items == [] and record.status_code == 404, (items, record.text)
    finally:
        _mine_again(service, retired["job_id"], c.admin)
    service.wait_indexed()
    _until(lambda: [r["amount"] for r in c.get("/retirements", c.auditor).json()["items"]] == [30])
    body = service.get(public).json()
    assert body["beneficiary_name"] == "Town of Kisii" and body["amount"] == 30
