"""Public verification on a real Anvil: every status with its issuer, dates, reason and replacement; by upload."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from _certs_support import act, base, doc, issue, issue_batch, public, register, verdict
from _domain_support import DAY, Service


def test_valid_then_suspended_reinstated_and_revoked_with_reason(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    document = doc("diploma of Amina")
    accepted = issue(service, issuer, registry, document, subject="STU-2026-0001")
    assert accepted["doc_hash"] == document and accepted["subject_hash"].startswith("0x")

    answer = verdict(service, registry, document)  # no key at all
    assert answer["status"] == "valid" and answer["valid"] is True
    assert answer["issuer"]["address"] == service.chain.signer("issuer").address
    assert answer["issuer"]["name"] == "pilotkit issuer" and answer["issuer"]["accredited"] is True
    assert answer["issued_at"] and answer["expires_at"] is None and answer["in_batch"] is False
    assert answer["root"] == accepted["root"] and answer["proof"] == []
    assert "subject" not in str(answer.keys())  # the public answer never carries the subject's hash

    act(service, issuer, registry, document, "suspend", {"reason_code": 6})
    service.wait_indexed()
    answer = verdict(service, registry, document)
    assert answer["status"] == "suspended" and answer["valid"] is False
    assert answer["reason"] == {"code": 6, "name": "certificateHold", "label": "certificate hold (code 6)"}
    assert answer["status_changed_at"] is not None

    act(service, issuer, registry, document, "reinstate")
    assert verdict(service, registry, document)["status"] == "valid"

    act(service, issuer, registry, document, "revoke", {"reason_code": 1})
    service.wait_indexed()
    answer = verdict(service, registry, document)
    assert answer["status"] == "revoked" and answer["reason"]["name"] == "keyCompromise"
    assert answer["revoked_at"] is not None and answer["revoked_at"] >= answer["issued_at"]


def test_superseded_points_at_the_replacement(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    old, new = doc("title deed v1"), doc("title deed v2")
    issue(service, issuer, registry, old)
    issue(service, issuer, registry, new)
    act(service, issuer, registry, old, "supersede", {"replacement": new})
    answer = verdict(service, registry, old)
    assert answer["status"] == "superseded" and answer["replacement"] == new and answer["reason"] is None
    assert verdict(service, registry, new)["status"] == "valid"


def test_expired_after_its_date_on_chain_time(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    document = doc("vaccination card")
    chain_now = service.chain.context.web3.eth.get_block("latest")["timestamp"]
    expires = datetime.fromtimestamp(chain_now, UTC) + timedelta(days=30)
    issue(service, issuer, registry, document, expires_at=expires.isoformat())
    answer = verdict(service, registry, document)
    assert answer["status"] == "valid" and answer["expires_at"].startswith(expires.strftime("%Y-%m-%dT%H:%M:%S"))
    service.chain.control.sleep(31 * DAY)
    answer = verdict(service, registry, document)
    assert answer["status"] == "expired" and answer["valid"] is False


def test_unknown_document_and_unknown_registry(service: Service) -> None:
    registry = register(service)
    answer = verdict(service, registry, doc("never issued"))
    assert answer["status"] == "unknown" and answer["issuer"] is None and answer["valid"] is False
    other = service.chain.address("EcoCreditRegistry")  # registered as nothing here
    assert service.get(f"{public(other)}/certificates/{doc('x')}").status_code == 404
    assert service.get(f"{public(registry)}/certificates/0x1234").status_code == 422
    assert service.get(f"{public('nope')}/certificates/{doc('x')}").status_code == 404


def test_batch_members_verify_with_the_stored_proof_and_change_one_by_one(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    hashes = [doc(f"graduate {i}") for i in range(5)]
    batch = issue_batch(service, issuer, registry, hashes)
    assert batch["count"] == 5 and len(batch["proofs"]) == 5
    for item in batch["proofs"]:
        answer = verdict(service, registry, item["doc_hash"])
        assert answer["status"] == "valid" and answer["in_batch"] and answer["root"] == batch["root"]
        assert answer["proof"] == item["proof"]
    act(service, issuer, registry, hashes[2], "revoke", {"reason_code": 9})
    assert verdict(service, registry, hashes[2])["status"] == "revoked"
    assert verdict(service, registry, hashes[3])["status"] == "valid"  # only that member
    response = service.post(f"{base(registry)}/batches/{batch['root']}/suspend", issuer, {"reason_code": 6})
    service.confirmed(response, issuer)
    assert verdict(service, registry, hashes[3])["status"] == "suspended"
    assert verdict(service, registry, hashes[2])["status"] == "revoked"  # revoked outranks suspended


def test_upload_is_hashed_with_sha256_and_verified(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    content = b"%PDF-1.7 diploma of Amina, BSc Nursing, 2026" * 5000  # ~225 KB, several chunks
    import hashlib

    issue(service, issuer, registry, "0x" + hashlib.sha256(content).hexdigest())
    response = service.client.post(f"{public(registry)}/verify", files={"file": ("diploma.pdf", content)})
    assert response.status_code == 200, response.text
    assert response.json()["status"] == "valid"
    assert response.json()["doc_hash"] == "0x" + hashlib.sha256(content).hexdigest()
    tampered = service.client.post(f"{public(registry)}/verify", files={"file": ("diploma.pdf", content + b" ")})
    assert tampered.status_code == 200 and tampered.json()["status"] == "unknown"
    # issuing from the document itself hashes it the same way
    other = b"training certificate"
    import base64

    response = service.post(f"{base(registry)}/certificates", issuer,
                            {"document": base64.b64encode(other).decode(), "schema_id": "training:v1"})
    service.confirmed(response, issuer)
    assert response.json()["doc_hash"] == "0x" + hashlib.sha256(other).hexdigest()
    upload = service.client.post(f"{public(registry)}/verify", files={"file": ("t.txt", other)})
    assert upload.json()["status"] == "valid"


def test_upload_refusals(service: Service) -> None:
    registry = register(service)
    url = f"{public(registry)}/verify"
    assert service.client.post(url, json={"file": "x"}).status_code == 415
    no_file = service.client.post(url, files={"other": ("a.txt", b"abc")})
    assert no_file.status_code == 422 and "'file'" in no_file.json()["detail"]
    two = service.client.post(url, files=[("file", ("a", b"1")), ("file", ("b", b"2"))])
    assert two.status_code == 422
    broken = service.client.post(url, content=b"--xyz\r\nnot a part", headers={
        "Content-Type": "multipart/form-data; boundary=xyz"})
    assert broken.status_code in (200, 422) and broken.status_code != 500
    huge = service.client.post(url, content=b"x" * 10, headers={
        "Content-Type": "multipart/form-data; boundary=xyz", "Content-Length": str(10**9)})
    assert huge.status_code == 413


def test_on_postgresql_batch_storage_subject_key_and_status_dates(pg_service: Service) -> None:
    """Where the database matters: bulk document rows, the generated subject key, the JSON-text event match."""
    service = pg_service
    registry = register(service)
    issuer = service.key("issuer")
    hashes = [doc(f"pg member {i}") for i in range(300)]
    batch = issue_batch(service, issuer, registry, hashes)
    first = issue(service, issuer, registry, doc("pg single"), subject="P-1")
    second = issue(service, issuer, registry, doc("pg single 2"), subject="P-1")
    assert first["subject_hash"] == second["subject_hash"]
    act(service, issuer, registry, hashes[150], "revoke", {"reason_code": 4})
    service.wait_indexed()
    answer = verdict(service, registry, hashes[150])
    assert answer["status"] == "revoked" and answer["root"] == batch["root"] and answer["revoked_at"]
    assert verdict(service, registry, hashes[151])["status"] == "valid"


def test_a_document_anchored_by_two_issuers_names_each_issuer(service: Service) -> None:
    """Review finding 1: another accredited issuer that anchors the service's document first (a one-leaf batch
    of it) neither blocks the service's issuance nor answers for it; the verdict lists each issuer's own status
    and `?issuer=` picks whose record decides."""
    from pilotkit.accounts.dev import dev_accounts
    from pilotkit.merkle import leaf

    registry = register(service)
    handle = service.chain.contracts["CertificateRegistry"]
    squatter = dev_accounts(10)[8]
    handle.accreditIssuer(squatter.address, "did:web:squatter.example", sender=service.chain.admin)
    document = doc("diploma anchored twice")
    handle.issueBatch(leaf(document), 0, b"\x01" * 32, sender=squatter)
    issue(service, service.key("issuer"), registry, document, subject="STU-9")  # not AlreadyIssued
    own = service.chain.signer("issuer").address

    answer = verdict(service, registry, document)
    assert answer["status"] == "valid" and answer["issuer"]["address"] == own  # the latest issuance
    assert {(a["issuer"]["address"], a["status"]) for a in answer["by_issuer"]} == {
        (own, "valid"), (squatter.address, "valid")}
    handle.revokeBatch(squatter.address, leaf(document), 1, sender=squatter)  # its own copy only
    assert verdict(service, registry, document, issuer=own)["status"] == "valid"
    theirs = verdict(service, registry, document, issuer=squatter.address)
    assert (theirs["status"], theirs["issuer"]["name"]) == ("revoked", "did:web:squatter.example")
    refused = service.get(f"{public(registry)}/certificates/{document}", None, params={"issuer": "0xnope"})
    assert refused.status_code == 422, refused.text
