"""Cash beneficiaries through the API on a real Anvil: enrolment, lookup, list, detail, status changes, wallet
recovery, erasure, validation, idempotency, the role × object matrix, and no identifier in logs or responses."""

from __future__ import annotations

import logging

import pytest
from _cash_support import address_of, base, enrol, lookup, register
from _domain_support import DAY, Service
from pilotkit_backend.core.problems import ServiceUnavailable
from pilotkit_backend.kinds.cash.services.identity import (
    IdentityKeys,
    InvalidIdentifier,
    canonical_identifier,
    programme_key,
)
from sqlalchemy import text

IDENTIFIER = "KE-NID 12345678"


def test_enrol_lookup_detail_and_list(service: Service) -> None:
    programme = register(service)
    registrar, auditor = service.key("registrar"), service.key("auditor")
    wallet = address_of("amina")
    accepted = enrol(service, registrar, programme, IDENTIFIER, wallet)
    assert accepted["kind"] == "cash.enrol" and accepted["beneficiary_id"].startswith("0x")
    index = service.chain.contracts["CashProgramme"].beneficiaryIndex(bytes.fromhex(accepted["beneficiary_id"][2:]))
    assert index > 0

    found = lookup(service, registrar, programme, "  ke-nid   12345678 ")  # canonical form: same person
    assert found.status_code == 200, found.text
    body = found.json()
    assert body["index"] == index and body["status"] == "active" and body["wallet"] == wallet
    assert body["beneficiary_id"] == accepted["beneficiary_id"] and body["enrolled_at"] and body["payments"] == []
    as_auditor = lookup(service, auditor, programme, IDENTIFIER).json()
    assert as_auditor["index"] == index and as_auditor["wallet"] is None

    detail = service.get(f"{base(programme)}/{index}", registrar).json()
    assert detail["wallet"] == wallet and detail["entitlement"] == "0"
    assert service.get(f"{base(programme)}/{index + 50}", registrar).status_code == 404
    assert lookup(service, registrar, programme, "someone else").status_code == 404

    enrol(service, registrar, programme, "KE-NID 2", address_of("baraka"))
    page = service.get(f"{base(programme)}?limit=1", auditor).json()
    assert len(page["items"]) == 1 and page["items"][0]["wallet"] is None and page["next_cursor"]
    rest = service.get(f"{base(programme)}?limit=1&cursor={page['next_cursor']}", registrar).json()
    assert rest["next_cursor"] is None and rest["items"][0]["wallet"] == address_of("baraka")
    active = service.get(f"{base(programme)}?status=active", auditor).json()["items"]
    assert len(active) == 2
    assert service.get(f"{base(programme)}?status=suspended", auditor).json()["items"] == []
    assert service.get(f"{base(programme)}?cursor=nope", auditor).status_code == 400


@pytest.mark.parametrize(("body", "field"), [
    ({"identifier": "x1", "wallet": "0x1234"}, "wallet"),
    ({"identifier": "x1", "wallet": "0x" + "00" * 20}, "zero address"),
    ({"identifier": "x1", "wallet": "0xAbCdEf0123456789aBCdef0123456789abcdEf01"}, "checksum"),
    ({"identifier": "   ", "wallet": "0x" + "ab" * 20}, "empty"),
    ({"identifier": "a" * 129, "wallet": "0x" + "ab" * 20}, "longer than 128"),
    ({"identifier": "bad\x00id", "wallet": "0x" + "ab" * 20}, "unprintable"),
    ({"identifier": "", "wallet": "0x" + "ab" * 20}, "identifier"),
    ({"wallet": "0x" + "ab" * 20}, "identifier"),
    ({"identifier": 12, "wallet": "0x" + "ab" * 20}, "identifier"),
])
def test_enrol_refuses_bad_input_with_422(service: Service, body: dict, field: str) -> None:
    programme = register(service)
    response = service.post(base(programme), service.key("registrar"), body)
    assert response.status_code == 422, response.text
    assert field in response.text
    assert "bad\x00id" not in response.text and "a" * 129 not in response.text


def test_enrol_refuses_the_programme_itself_duplicates_and_bound_wallets(service: Service) -> None:
    programme = register(service)
    registrar = service.key("registrar")
    itself = service.post(base(programme), registrar, {"identifier": "p1", "wallet": programme})
    assert itself.status_code == 422 and "programme" in itself.json()["detail"]
    enrol(service, registrar, programme, "P1", address_of("w1"))
    again = service.post(base(programme), registrar, {"identifier": " p1 ", "wallet": address_of("w2")})
    assert again.status_code == 409 and again.json()["title"] == "BeneficiaryAlreadyEnrolled"
    same_wallet = service.post(base(programme), registrar, {"identifier": "p2", "wallet": address_of("w1")})
    assert same_wallet.status_code == 409 and same_wallet.json()["title"] == "WalletAlreadyBound"
    assert service.post(base("0x" + "12" * 20), registrar, {"identifier": "p3", "wallet": address_of("w3")}
                        ).status_code == 404  # not registered
    with service.app.state.session_factory() as session:
        jobs = session.execute(text("SELECT count(*) FROM jobs WHERE kind = 'cash.enrol'")).scalar_one()
    assert jobs == 1  # the refusals queued nothing


def test_enrol_is_idempotent(service: Service) -> None:
    programme = register(service)
    registrar = service.key("registrar")
    body = {"identifier": "idem person", "wallet": address_of("idem")}
    answers = [service.post(base(programme), registrar, body, idem="enrol-idem-1") for _ in range(5)]
    assert {a.status_code for a in answers} == {202}
    assert len({a.json()["job_id"] for a in answers}) == 1
    assert all(a.headers.get("Idempotent-Replayed") == "true" for a in answers[1:])
    service.confirmed(answers[0], registrar)
    other = service.post(base(programme), registrar, {**body, "wallet": address_of("idem2")}, idem="enrol-idem-1")
    assert other.status_code == 422 and "idempotency-key-reused" in other.json()["type"]
    assert service.post(base(programme), registrar, body, idem=None).status_code == 400
    assert service.chain.contracts["CashProgramme"].beneficiaryCount() == 1


def test_suspend_reinstate_remove_and_erase(service: Service, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    programme = register(service)
    registrar, auditor = service.key("registrar"), service.key("auditor")
    wallet = address_of("erase-me")
    enrol(service, registrar, programme, IDENTIFIER, wallet)
    index = lookup(service, registrar, programme, IDENTIFIER).json()["index"]
    path = f"{base(programme)}/{index}"
    service.confirmed(service.post(f"{path}/suspend", registrar, {"reason_code": 7}), registrar)
    assert service.get(path, auditor).json()["status"] == "suspended"
    assert service.get(f"{base(programme)}?status=suspended", auditor).json()["items"][0]["index"] == index
    again = service.post(f"{path}/suspend", registrar, {"reason_code": 7})
    assert again.status_code == 409 and again.json()["title"] == "InvalidBeneficiaryStatus"
    assert service.post(f"{path}/suspend", registrar, {"reason_code": 70000}).status_code == 422
    service.confirmed(service.post(f"{path}/reinstate", registrar), registrar)
    assert service.get(path, auditor).json()["status"] == "active"

    early = service.client.delete(f"{path}/personal-data", headers=service.auth(registrar))
    assert early.status_code == 409 and "remove" in early.json()["detail"]
    service.confirmed(service.post(f"{path}/remove", registrar, {"reason_code": 3}), registrar)
    assert service.get(f"{base(programme)}?status=removed", auditor).json()["items"][0]["index"] == index
    receipt = service.client.delete(f"{path}/personal-data", headers=service.auth(registrar))
    assert receipt.status_code == 200, receipt.text
    assert receipt.json()["index"] == index and receipt.json()["erased"] == ["wallet"]

    assert lookup(service, registrar, programme, IDENTIFIER).status_code == 404  # as if unknown
    assert service.get(path, registrar).status_code == 404
    refused = service.post(base(programme), registrar, {"identifier": IDENTIFIER, "wallet": address_of("new")})
    assert refused.status_code == 409  # never re-linked
    assert service.get(base(programme), registrar).json()["items"] == []
    with service.app.state.session_factory() as session:
        stored = session.execute(text("SELECT wallet, erased_at FROM cash_beneficiaries")).one()
        dump = "\n".join(str(r) for r in session.execute(text("SELECT * FROM cash_beneficiaries")))
    assert stored[0] is None and stored[1] is not None
    assert wallet.lower() not in dump.lower()
    for secret in (IDENTIFIER, IDENTIFIER.casefold()):
        assert secret not in dump and secret not in caplog.text and secret not in receipt.text


def test_wallet_recovery_request_execute_and_cancel(service: Service) -> None:
    programme = register(service)
    registrar = service.key("registrar")
    enrol(service, registrar, programme, "lost phone", address_of("old"))
    enrol(service, registrar, programme, "other", address_of("other"))
    path = f"{base(programme)}/1"
    assert service.post(f"{path}/wallet-recovery", registrar, {"new_wallet": "nope"}).status_code == 422
    taken = service.post(f"{path}/wallet-recovery", registrar, {"new_wallet": address_of("other")})
    assert taken.status_code == 409
    service.confirmed(service.post(f"{path}/wallet-recovery", registrar, {"new_wallet": address_of("new")}),
                      registrar)
    pending = service.get(path, registrar).json()["pending_recovery"]
    assert pending["new_wallet"] == address_of("new") and pending["executable_at"] > 0
    assert service.get(path, service.key("auditor")).json()["pending_recovery"]["new_wallet"] is None
    assert pending["confirmed"] is False
    # Review finding 7: the registrar alone cannot redirect the money; an approver key must confirm.
    service.chain.control.sleep(3 * DAY + 1)
    unconfirmed = service.post(f"{path}/wallet-recovery/execute", registrar)
    assert unconfirmed.status_code == 409 and unconfirmed.json()["title"] == "RecoveryNotConfirmed"
    assert service.post(f"{path}/wallet-recovery/confirm", registrar).status_code == 403
    approver = service.key("approver")
    service.confirmed(service.post(f"{path}/wallet-recovery/confirm", approver), approver)
    assert service.get(path, registrar).json()["pending_recovery"]["confirmed"] is True
    again = service.post(f"{path}/wallet-recovery/confirm", approver)
    assert again.status_code == 409 and again.json()["title"] == "RecoveryAlreadyConfirmed"
    service.confirmed(service.post(f"{path}/wallet-recovery/execute", registrar), registrar)
    detail = service.get(path, registrar).json()
    assert detail["wallet"] == address_of("new") and detail["pending_recovery"] is None

    service.confirmed(service.post(f"{path}/wallet-recovery", registrar, {"new_wallet": address_of("newer")}),
                      registrar)
    early = service.post(f"{path}/wallet-recovery/execute", registrar)
    assert early.status_code == 409 and early.json()["title"] == "RecoveryNotConfirmed"
    service.confirmed(service.post(f"{path}/wallet-recovery/cancel", registrar), registrar)
    assert service.get(path, registrar).json()["pending_recovery"] is None
    none = service.post(f"{path}/wallet-recovery/cancel", registrar)
    assert none.status_code == 409 and none.json()["title"] == "NoPendingRecovery"


# ------------------------------------------------------------------------------------------------ access matrix

READ, WRITE = "read", "write"
SCOPES = ["registrar", "disburser", "approver", "merchant", "issuer", "verifier", "auditor", "admin"]
ENDPOINTS = [  # (method, path suffix, body, who may)
    ("POST", "", {"identifier": "matrix new", "wallet": "0x" + "cd" * 20}, {"registrar"}),
    ("POST", "/lookup", {"identifier": "matrix person"}, {"registrar", "auditor"}),
    ("GET", "", None, {"registrar", "auditor"}),
    ("GET", "/1", None, {"registrar", "auditor"}),
    ("POST", "/1/suspend", {"reason_code": 1}, {"registrar"}),
    ("POST", "/1/wallet-recovery/cancel", None, {"registrar"}),
    ("POST", "/1/wallet-recovery/confirm", None, {"approver"}),
    ("DELETE", "/1/personal-data", None, {"registrar"}),
]


def test_role_by_endpoint_by_object_matrix(service: Service) -> None:
    programme = register(service)
    other = register(service, "VoucherProgramme")
    registrar = service.key("registrar")
    enrol(service, registrar, programme, "matrix person", address_of("matrix"))
    failures = []
    for scope in SCOPES:
        for binding, label in ((f"programme:{programme}", "bound here"), (f"programme:{other}", "bound elsewhere"),
                               (None, "unbound")):
            token = service.key(scope, bind=binding)
            for method, suffix, body, allowed in ENDPOINTS:
                url = base(programme) + suffix
                if method == "GET":
                    status = service.get(url, token).status_code
                elif method == "DELETE":
                    status = service.client.delete(url, headers=service.auth(token)).status_code
                else:
                    status = service.post(url, token, body).status_code
                if scope not in allowed:
                    expected = {403}
                elif label == "bound elsewhere":
                    expected = {404}
                else:  # allowed: the request itself may still be refused by the chain or the rules
                    expected = {200, 202, 404, 409, 422} - {404 if suffix in ("", "/lookup") and method == "POST"
                                                            else -1}
                if status not in expected:
                    failures.append((scope, label, method, suffix, status))
    assert failures == []
    assert service.get(base(programme)).status_code == 401


# ------------------------------------------------------------------------------------------------ identity


def test_canonical_identifiers() -> None:
    assert canonical_identifier("  Ab\tC  d ") == "ab c d"
    assert canonical_identifier("e\u0301") == canonical_identifier("\u00e9")  # NFC
    assert canonical_identifier("STRASSE") == canonical_identifier("straße")  # case-folded
    for bad in ("", " \n ", "x" * 129, "a\u0007b", 5):
        with pytest.raises(InvalidIdentifier) as info:
            canonical_identifier(bad)  # type: ignore[arg-type]
        assert "x" * 129 not in str(info.value)


def test_programme_keys_and_master_key_rules(tmp_path) -> None:
    master = bytes(range(32))
    a = programme_key(master, 1, "0x" + "ab" * 20)
    assert a == programme_key(master, 1, "0x" + "AB" * 20)
    assert a != programme_key(master, 2, "0x" + "ab" * 20) != programme_key(master, 1, "0x" + "cd" * 20)
    from pilotkit_backend.db.engine import make_engine, make_session_factory
    from pilotkit_backend.db.migrate import upgrade_database

    url = f"sqlite:///{tmp_path / 'id.db'}"
    upgrade_database(url)
    factory = make_session_factory(make_engine(url))
    with pytest.raises(ServiceUnavailable, match="PILOTKIT_API_IDENTITY_KEY"):
        IdentityKeys(None, factory).master(is_local=False)
    with pytest.raises(ServiceUnavailable, match="PILOTKIT_API_IDENTITY_KEY") as short:
        IdentityKeys("ab" * 16 + "zz", factory).master(is_local=False)
    assert "ab" * 16 not in str(short.value)
    with pytest.raises(ServiceUnavailable, match="shorter"):
        IdentityKeys("ab" * 31, factory).master(is_local=False)
    assert IdentityKeys("ab" * 32, factory).master(is_local=False) == bytes.fromhex("ab" * 32)
    generated = IdentityKeys(None, factory).master(is_local=True)
    assert len(generated) == 32 and IdentityKeys(None, factory).master(is_local=True) == generated  # kept
    identity = IdentityKeys(None, factory).for_programme(1, "0x" + "ab" * 20, True)
    assert generated.hex() not in repr(identity)
