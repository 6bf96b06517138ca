"""`GET /v1/signers` and the signers' `/health` warnings, on a real Anvil with the service's roles granted."""

from __future__ import annotations

from pathlib import Path

from _domain_support import Service, ServiceChain, register_contract, running_service, sqlite_url
from pilotkit_backend.platform.bootstrap import role_id


def _register_all(service: Service) -> dict[str, str]:
    admin = service.key("admin")
    return {
        "programme": register_contract(service, "programme", "CashProgramme", "cash", admin),
        "credits": register_contract(service, "credits", "EcoCreditRegistry", "credits", admin),
        "certificates": register_contract(service, "certificates", "CertificateRegistry", "certs", admin),
    }


def test_signers_show_addresses_roles_balances_and_nonces(service: Service) -> None:
    addresses = _register_all(service)
    response = service.get("/v1/signers", service.key("auditor"))
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["chain_id"] == service.chain.chain_id and body["warnings"] == []
    by_address = {s["address"]: s for s in body["signers"]}
    disburser = by_address[service.chain.signer("disburser").address]
    assert disburser["signing_roles"] == ["disburser"] and int(disburser["balance_wei"]) > 0
    assert disburser["roles"] == [{"contract": addresses["programme"], "kind": "programme", "label": "cash",
                                   "role": "DISBURSER_ROLE", "held": True}]
    assert disburser["nonce"]["chain_latest"] <= disburser["nonce"]["chain_pending"] and disburser["nonce"]["in_sync"]
    issuer = by_address[service.chain.signer("issuer").address]
    assert [(r["kind"], r["role"], r["held"]) for r in issuer["roles"]] == [("certificates", "ISSUER_ROLE", True)]
    assert all(s["missing_roles"] == 0 for s in body["signers"])
    assert "private" not in response.text.lower() and "pk_" not in response.text
    health = service.get("/health").json()
    assert health["status"] == "ok" and "warnings" not in health


def test_signers_access(service: Service) -> None:
    addresses = _register_all(service)
    assert service.get("/v1/signers").status_code == 401
    for scope in ("registrar", "disburser", "approver", "issuer", "verifier", "merchant"):
        refused = service.get("/v1/signers", service.key(scope))
        assert refused.status_code == 403 and refused.headers["content-type"] == "application/problem+json"
    assert service.get("/v1/signers", service.key("admin")).status_code == 200
    bound = service.key("auditor", bind=f"registry:{addresses['certificates']}")
    roles = [r for s in service.get("/v1/signers", bound).json()["signers"] for r in s["roles"]]
    assert {r["contract"] for r in roles} == {addresses["certificates"]}
    assert service.client.post("/v1/signers", headers=service.auth(service.key("admin"))).status_code == 405


def test_a_missing_role_and_low_gas_money_are_warnings(service_chain: ServiceChain, tmp_path: Path) -> None:
    snapshot = service_chain.control.snapshot()
    try:
        with running_service(service_chain, sqlite_url(tmp_path), signer_low_balance_wei=10**40) as service:
            address = register_contract(service, "programme", "CashProgramme", "cash")
            pauser = service_chain.signer("pauser").address
            programme = service_chain.contracts["CashProgramme"]
            programme.revokeRole(role_id("PAUSER_ROLE"), pauser)
            body = service.get("/v1/signers", service.key("admin")).json()
            state = next(s for s in body["signers"] if s["address"] == pauser)
            assert state["missing_roles"] == 1 and state["low_balance"]
            assert {"contract": address, "kind": "programme", "label": "cash", "role": "PAUSER_ROLE",
                    "held": False} in state["roles"]
            health = service.get("/health")
            assert health.status_code == 200 and health.json()["status"] == "ok"
            warnings = health.json()["warnings"]
            assert any(f"lacks PAUSER_ROLE on programme {address}" in w for w in warnings)
            assert any("low on gas money" in w for w in warnings)
    finally:
        service_chain.control.revert(snapshot)
