"""Issuing and status changes through the API on a real Anvil: validation, contract refusals, idempotency,
stored batches and their proofs, nothing written on a refusal."""

from __future__ import annotations

import time

from _certs_support import ZERO32, act, base, doc, issue, issue_batch, register, verdict
from _domain_support import Service
from pilotkit_backend.kinds.certs.models import CertDocument, CertRecord
from pilotkit_backend.platform.models.jobs import Job
from sqlalchemy import func, select

from pilotkit.merkle import leaf, verify_proof


def _counts(service: Service) -> tuple[int, int, int]:
    with service.app.state.session_factory() as session:
        return tuple(session.execute(select(func.count()).select_from(t)).scalar_one()  # type: ignore[return-value]
                     for t in (CertRecord, CertDocument, Job))


def test_single_issue_stores_hashes_only_and_matches_the_chain(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    body = issue(service, issuer, registry, doc("d1"), subject="  Amina   Otieno ", schema_id="diploma:v1")
    again = issue(service, issuer, registry, doc("d2"), subject="Amina Otieno", schema_id=body["schema_id"])
    assert body["subject_hash"] == again["subject_hash"] != ZERO32  # canonical form: trimmed, spaces collapsed
    handle = service.chain.contracts["CertificateRegistry"]
    subject, schema = handle.certificateDetails(service.chain.signer("issuer").address, bytes.fromhex(doc("d1")[2:]))
    assert "0x" + subject.hex() == body["subject_hash"] and "0x" + schema.hex() == body["schema_id"]
    assert body["root"] == "0x" + leaf(doc("d1")).hex()
    with service.app.state.session_factory() as session:
        rows = session.execute(select(CertRecord)).scalars().all()
        assert {r.subject for r in rows} == {body["subject_hash"]}
        assert all("Amina" not in str(vars(r)) for r in rows)
    page = service.get(f"{base(registry)}/certificates?limit=1", service.key("auditor")).json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = service.get(f"{base(registry)}/certificates?cursor={page['next_cursor']}", service.key("verifier")).json()
    assert [i["doc_hash"] for i in page["items"] + rest["items"]] == [doc("d2"), doc("d1")]
    assert {i["state"] for i in rest["items"]} == {"valid"}
    detail = service.get(f"{base(registry)}/certificates/{doc('d1')}", issuer).json()
    assert detail["verdict"]["status"] == "valid" and detail["issuances"][0]["subject_hash"] == body["subject_hash"]


def test_validation_errors_name_the_problem_and_write_nothing(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    url = f"{base(registry)}/certificates"
    before = _counts(service)
    cases = [
        ({"schema_id": "x"}, "exactly one of doc_hash and document"),
        ({"doc_hash": doc("a"), "document": "YQ==", "schema_id": "x"}, "exactly one"),
        ({"doc_hash": "0x1234", "schema_id": "x"}, "doc_hash must be 0x followed by 64 hex digits"),
        ({"doc_hash": "0x" + "zz" * 32, "schema_id": "x"}, "doc_hash must be 0x"),
        ({"doc_hash": ZERO32, "schema_id": "x"}, "doc_hash must not be zero"),
        ({"document": "not base64!", "schema_id": "x"}, "document must be base64"),
        ({"doc_hash": doc("a"), "schema_id": ""}, "schema_id"),
        ({"doc_hash": doc("a"), "schema_id": ZERO32}, "schema_id must not be zero"),
        ({"doc_hash": doc("a"), "schema_id": "x", "expires_at": "2030-01-01T00:00:00"}, "time zone"),
        ({"doc_hash": doc("a"), "schema_id": "x", "subject": "   "}, "subject must be 1 to 128"),
        ({"doc_hash": doc("a"), "schema_id": "x", "subject": "a\x00b"}, "printable"),
        ({"doc_hash": doc("a"), "schema_id": "x", "color": "red"}, "color"),
    ]
    for body, words in cases:
        response = service.post(url, issuer, body)
        assert response.status_code == 422, (body, response.text)
        assert words in response.text, (words, response.text)
        assert "Amina" not in response.text
    past = service.post(url, issuer, {"doc_hash": doc("a"), "schema_id": "x", "expires_at": "2001-01-01T00:00:00Z"})
    assert past.status_code == 422 and past.json()["contract_error"] == "InvalidExpiry"
    batch_url = f"{base(registry)}/batches"
    assert service.post(batch_url, issuer, {"doc_hashes": [], "schema_id": "x"}).status_code == 422
    repeat = service.post(batch_url, issuer, {"doc_hashes": [doc("a"), doc("b"), doc("a")], "schema_id": "x"})
    assert repeat.status_code == 422 and "doc_hashes[2] repeats doc_hashes[0]" in repeat.json()["detail"]
    bad = service.post(batch_url, issuer, {"doc_hashes": [doc("a"), "0x12"], "schema_id": "x"})
    assert bad.status_code == 422 and "doc_hashes[1]" in bad.json()["detail"]
    too_many = service.post(batch_url, issuer, {"doc_hashes": [doc("a")] * 10_001, "schema_id": "x"})
    assert too_many.status_code == 422
    assert _counts(service) == before


def test_contract_refusals_are_named_and_nothing_is_queued(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    issue(service, issuer, registry, doc("once"))
    before = _counts(service)
    again = service.post(f"{base(registry)}/certificates", issuer, {"doc_hash": doc("once"), "schema_id": "x"})
    assert again.status_code == 409 and again.json()["title"] == "AlreadyIssued"
    reinstate = service.post(f"{base(registry)}/certificates/{doc('once')}/reinstate", issuer, None)
    assert reinstate.status_code == 409 and reinstate.json()["contract_error"] == "InvalidStatusTransition"
    self_replace = service.post(f"{base(registry)}/certificates/{doc('once')}/supersede", issuer,
                                {"replacement": doc("once")})
    assert self_replace.status_code == 422
    unknown = service.post(f"{base(registry)}/certificates/{doc('never')}/revoke", issuer, {"reason_code": 1})
    assert unknown.status_code == 404
    reason = service.post(f"{base(registry)}/certificates/{doc('once')}/revoke", issuer, {"reason_code": 256})
    assert reason.status_code == 422 and "reason_code" in reason.text
    no_batch = service.post(f"{base(registry)}/batches/{doc('x')}/revoke", issuer, {"reason_code": 1})
    assert no_batch.status_code == 404
    assert _counts(service) == before


def test_idempotent_issue_replays_and_refuses_a_different_body(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    url = f"{base(registry)}/certificates"
    body = {"doc_hash": doc("idem"), "schema_id": "x", "subject": "S-1"}
    first = service.post(url, issuer, body, idem="issue-idem-1")
    assert first.status_code == 202
    second = service.post(url, issuer, body, idem="issue-idem-1")
    assert second.status_code == 202 and second.json() == first.json()
    assert second.headers.get("Idempotent-Replayed") == "true"
    other = service.post(url, issuer, {**body, "schema_id": "y"}, idem="issue-idem-1")
    assert other.status_code == 422
    assert service.post(url, issuer, body, idem=None).status_code == 400
    service.confirmed(first, issuer)
    assert _counts(service)[0] == 1


def test_a_failed_issuance_can_be_issued_again(service: Service) -> None:
    """A job that ended without effect leaves its stored issuance behind; a new request replaces it, while a
    request still in flight or on chain is refused."""
    from pilotkit_backend.db.types import utcnow

    registry = register(service)
    issuer = service.key("issuer")
    url = f"{base(registry)}/certificates"
    first = service.post(url, issuer, {"doc_hash": doc("on chain"), "schema_id": "x"})
    pending = service.post(url, issuer, {"doc_hash": doc("on chain"), "schema_id": "x"})
    assert pending.status_code == 409  # in flight (ours) or mined (AlreadyIssued): never queued twice
    service.confirmed(first, issuer)
    with service.app.state.session_factory() as session:  # an issuance whose job failed, never on chain
        now = utcnow()
        job = Job(kind="certs.issue", chain_id=service.chain.chain_id, signer=service.chain.signer("issuer").address,
                  to_address=registry, calldata="0x", value="0", status="failed", created_at=now, updated_at=now,
                  expires_at=now)
        session.add(job)
        session.flush()
        session.add(CertRecord(chain_id=service.chain.chain_id, registry_address=registry, kind="single",
                               root="0x" + leaf(doc("retry")).hex(), doc_hash=doc("retry"), subject=ZERO32,
                               schema_id=ZERO32, expires_at=0, leaf_count=1, issuer=job.signer, job_id=job.id))
        session.commit()
    again = service.post(url, issuer, {"doc_hash": doc("retry"), "schema_id": "x"})
    service.confirmed(again, issuer)
    with service.app.state.session_factory() as session:
        rows = session.execute(select(CertRecord).where(CertRecord.doc_hash == doc("retry"))).scalars().all()
        assert [r.job_id for r in rows] == [again.json()["job_id"]]
    assert verdict(service, registry, doc("retry"))["status"] == "valid"


def test_batch_is_stored_with_proofs_served_by_page(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    hashes = [doc(f"member {i}") for i in range(10_000)]  # the largest batch; above the inline-proof limit
    started = time.perf_counter()
    response = service.post(f"{base(registry)}/batches", issuer, {"doc_hashes": hashes, "schema_id": "cohort:2026"})
    assert response.status_code == 202, response.text
    body = response.json()
    print(f"batch of 10,000 accepted in {time.perf_counter() - started:.2f} s")
    assert body["proofs"] is None and body["count"] == 10_000 and body["proofs_url"].endswith("/proofs")
    service.confirmed(response, issuer)
    auditor = service.key("auditor")
    seen: list[dict] = []
    cursor = None
    while True:
        page = service.get(body["proofs_url"], auditor, params={"limit": 1000, **({"cursor": cursor} if cursor
                                                                                   else {})}).json()
        seen += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert [i["doc_hash"] for i in seen] == hashes
    assert all(verify_proof(leaf(i["doc_hash"]), i["proof"], body["root"]) for i in seen[::997])
    one = service.get(body["proofs_url"], auditor, params={"doc_hash": hashes[9876]}).json()["items"]
    assert one[0]["position"] == 9876
    batch = service.get(f"{base(registry)}/batches/{body['root']}", auditor).json()
    assert batch["state"] == "valid" and batch["count"] == 10_000
    assert service.get(f"{base(registry)}/batches", auditor).json()["items"][0]["root"] == body["root"]
    assert verdict(service, registry, hashes[777])["status"] == "valid"
    act(service, issuer, registry, hashes[777], "suspend", {"reason_code": 6})
    assert verdict(service, registry, hashes[777])["status"] == "suspended"
    assert service.get(f"{base(registry)}/batches/{doc('nope')}", auditor).status_code == 404


def test_a_document_in_two_issuances_needs_a_root(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    shared = doc("shared")
    single = issue(service, issuer, registry, shared)
    batch = issue_batch(service, issuer, registry, [shared, doc("other")])
    url = f"{base(registry)}/certificates/{shared}/revoke"
    ambiguous = service.post(url, issuer, {"reason_code": 1})
    assert ambiguous.status_code == 422 and batch["root"] in ambiguous.json()["detail"]
    service.confirmed(service.post(url, issuer, {"reason_code": 1, "root": batch["root"]}), issuer)
    assert verdict(service, registry, shared, root=batch["root"])["status"] == "revoked"
    assert verdict(service, registry, shared, root=single["root"])["status"] == "valid"
