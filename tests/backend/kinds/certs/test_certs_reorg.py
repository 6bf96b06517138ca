"""A reorged-out issuance is not shown as done: while its re-broadcast waits unmined, the certificate list,
its detail and its verdict say what the chain says (not issued); once it is mined again, valid again."""

from __future__ import annotations

import time
from typing import Any

from _certs_support import base, doc, issue, register
from _domain_support import Service


def _until(what: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not what():
        assert time.monotonic() < deadline, "condition not reached"
        time.sleep(0.05)


def test_a_reorged_out_issuance_is_not_shown_as_issued(service: Service) -> None:
    registry = register(service)
    issuer, auditor = service.key("issuer"), service.key("auditor")
    body = issue(service, issuer, registry, doc("reorg-1"))
    detail_path = f"{base(registry)}/certificates/{doc('reorg-1')}"
    handle = service.chain.contracts["CertificateRegistry"]
    issuer_address = service.chain.signer("issuer").address

    def listed() -> set[str]:
        items = service.get(f"{base(registry)}/certificates?limit=100", auditor).json()["items"]
        return {i["state"] for i in items if i["doc_hash"] == doc("reorg-1")}

    assert service.get(detail_path, issuer).json()["verdict"]["status"] == "valid" and listed() == {"valid"}
    control = service.chain.control
    control.set_automine(False)
    try:
        control.call("anvil_reorg", [1, []])
        assert handle.certificateDetails(issuer_address, bytes.fromhex(doc("reorg-1")[2:]))[0] == b"\0" * 32
        _until(lambda: service.get(f"/v1/jobs/{body['job_id']}", issuer).json()["status"] == "sent")
        detail = service.get(detail_path, issuer)
        assert detail.json()["verdict"]["status"] == "unknown" and not detail.json()["verdict"]["valid"], detail.text
        assert listed() == {"pending"}  # the stored issuance follows its job, back in flight
    finally:
        control.set_automine(True)
    control.mine(1)
    assert service.wait(body["job_id"], issuer)["status"] == "confirmed"
    _until(lambda: service.get(detail_path, issuer).json()["verdict"]["status"] == "valid" and listed() == {"valid"})
