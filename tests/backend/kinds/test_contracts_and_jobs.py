"""Registering contracts, reading their indexed history, and job status — on a real Anvil, through the API."""

from __future__ import annotations

import time

from _domain_support import Service
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.job_queue import get_job
from pilotkit_backend.platform.writes import Call, submit
from sqlalchemy.orm import sessionmaker


def _register(service: Service, token: str, kind: str, alias: str, label: str = "pilot") -> dict:
    response = service.post("/v1/contracts", token, {"kind": kind, "address": service.chain.address(alias),
                                                     "label": label})
    assert response.status_code == 201, response.text
    return response.json()


def test_admin_registers_each_kind_and_bound_keys_see_only_theirs(service: Service) -> None:
    admin = service.key("admin")
    programme = _register(service, admin, "programme", "CashProgramme", "Turkana cash 2026")
    credits = _register(service, admin, "credits", "EcoCreditRegistry")
    _register(service, admin, "certificates", "CertificateRegistry")
    assert programme["binding"] == f"programme:{service.chain.address('CashProgramme')}"
    assert programme["deploy_block"] > 0 and programme["chain_id"] == service.chain.chain_id
    assert {c["kind"] for c in service.get("/v1/contracts", admin).json()} == {"programme", "credits", "certificates"}
    bound = service.key("auditor", bind=credits["binding"])
    assert [c["address"] for c in service.get("/v1/contracts", bound).json()] == [credits["address"]]


def test_registration_refusals(service: Service) -> None:
    admin = service.key("admin")
    _register(service, admin, "programme", "CashProgramme")
    programme = service.chain.address("CashProgramme")
    again = service.post("/v1/contracts", admin, {"kind": "programme", "address": programme, "label": "again"})
    assert again.status_code == 409
    wrong_kind = service.post("/v1/contracts", admin, {"kind": "programme",
                                                       "address": service.chain.address("CertificateRegistry"),
                                                       "label": "x"})
    assert wrong_kind.status_code == 422 and "not a CashProgramme" in wrong_kind.json()["detail"]
    no_code = service.post("/v1/contracts", admin, {"kind": "credits", "address": "0x" + "12" * 20, "label": "x"})
    assert no_code.status_code == 422 and "no contract" in no_code.json()["detail"]
    not_admin = service.post("/v1/contracts", service.key("registrar"),
                             {"kind": "credits", "address": service.chain.address("EcoCreditRegistry"), "label": "x"})
    assert not_admin.status_code == 403
    assert service.post("/v1/contracts", admin, {"kind": "credits", "address": "nope", "label": "x"}).status_code == 422


def test_history_is_read_from_the_index(service: Service) -> None:
    admin = service.key("admin")
    programme = _register(service, admin, "programme", "CashProgramme")
    service.wait_indexed()
    page = service.get(f"/v1/contracts/{programme['address']}/events?name=RoleGranted&limit=2", admin).json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = service.get(f"/v1/contracts/{programme['address']}/events?name=RoleGranted&cursor={page['next_cursor']}",
                       admin).json()
    # admin + registrar, disburser, approver, pauser, merchant manager
    assert len(page["items"]) + len(rest["items"]) == 6
    other = service.key("auditor", bind=f"programme:{service.chain.address('VoucherProgramme')}")
    assert service.get(f"/v1/contracts/{programme['address']}/events", other).status_code == 404
    assert service.get(f"/v1/contracts/{programme['address']}/events?cursor=bad", admin).status_code == 400


def test_job_status_is_visible_to_its_key_and_overseers_only(service: Service) -> None:
    registrar = service.key("registrar")
    chain: ChainContext = service.chain.context
    programme = service.chain.address("CashProgramme")
    factory: sessionmaker = service.app.state.session_factory
    me = service.get("/v1/me", registrar).json()["id"]
    with factory() as session:
        data = chain.encode("CashProgramme", "enrol", b"\x01" * 32, "0x" + "ab" * 20)
        job = submit(session, chain, service.app.state.settings, Call("cash.enrol", "registrar", programme, data),
                     api_key_id=me, object_address=programme, ref="test:1")
        session.commit()
        job_id = job.id
    body = service.wait(job_id, registrar)
    assert body["status"] == "confirmed" and body["tx_hash"] and body["gas_used"] > 0 and body["reorgs"] == []
    if not body["final"]:  # confirmed, watched until Anvil's finalized block (64 behind its head) passes it
        service.chain.control.mine(65)
        deadline = time.monotonic() + 10
        while not (body := service.get(f"/v1/jobs/{job_id}", registrar).json())["final"]:
            assert time.monotonic() < deadline, body
            time.sleep(0.05)
    assert body["status"] == "confirmed" and body["final"]
    assert body["object"] == programme
    assert service.get(f"/v1/jobs/{job_id}", service.key("registrar")).status_code == 404  # someone else's
    assert service.get(f"/v1/jobs/{job_id}", service.key("auditor")).status_code == 200
    assert service.get(f"/v1/jobs/{job_id}", service.key("auditor", bind=f"programme:{programme}")).status_code == 200
    elsewhere = service.key("auditor", bind=f"programme:{service.chain.address('VoucherProgramme')}")
    assert service.get(f"/v1/jobs/{job_id}", elsewhere).status_code == 404
    listed = service.get("/v1/jobs?limit=1", registrar).json()
    assert [j["id"] for j in listed["items"]] == [job_id] and listed["next_cursor"] is None
    with factory() as session:
        assert get_job(session, job_id).api_key_id == me


def test_a_refused_call_is_never_queued(service: Service) -> None:
    from pilotkit.contracts.reverts import ContractRevert

    chain: ChainContext = service.chain.context
    programme = service.chain.address("CashProgramme")
    data = chain.encode("CashProgramme", "enrol", b"\x00" * 32, "0x" + "ab" * 20)  # the zero id is invalid
    try:
        chain.preflight("registrar", programme, data)
    except ContractRevert as exc:
        assert exc.error_name == "InvalidBeneficiaryId"
    else:
        raise AssertionError("preflight should refuse the zero id")
