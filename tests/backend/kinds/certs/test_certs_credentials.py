"""W3C Verifiable Credential export and verification on a real Anvil: round trip, tampering, status changes."""

from __future__ import annotations

import copy
from typing import Any

from _certs_support import act, doc, issue, issue_batch, public, register
from _domain_support import Service
from eth_account import Account
from eth_account.messages import encode_typed_data

VERIFY = "/v1/public/credentials/verify"


def _credential(service: Service, registry: str, doc_hash: str) -> dict[str, Any]:
    response = service.get(f"{public(registry)}/certificates/{doc_hash}/credential")
    assert response.status_code == 200, response.text
    return response.json()


def _check(service: Service, credential: Any) -> dict[str, Any]:
    response = service.client.post(VERIFY, json=credential)
    assert response.status_code == 200, response.text
    return response.json()


def test_round_trip_and_shape(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    document = doc("diploma 42")
    accepted = issue(service, issuer, registry, document, subject="STU-42")
    vc = _credential(service, registry, document)
    address = service.chain.signer("issuer").address
    chain_id = service.chain.chain_id
    assert vc["@context"] == ["https://www.w3.org/ns/credentials/v2"]
    assert vc["type"] == ["VerifiableCredential", "CertificateCredential"]
    assert vc["issuer"] == {"id": f"did:pkh:eip155:{chain_id}:{address}", "name": "pilotkit issuer"}
    assert vc["credentialSubject"] == {"documentHash": document, "subjectHash": accepted["subject_hash"],
                                       "schemaId": accepted["schema_id"]}
    assert vc["credentialStatus"]["registry"] == registry and vc["credentialStatus"]["merkleProof"] == []
    assert vc["credentialStatus"]["id"].endswith(f"/v1/public/certificate-registries/{registry}/certificates/"
                                                 f"{document}")
    assert "validUntil" not in vc and vc["proof"]["type"] == "EthereumEip712Signature2021"

    # any EIP-712 library can check it from the credential alone
    message = {k: v for k, v in vc.items() if k != "proof"}
    message["proof"] = {k: v for k, v in vc["proof"].items() if k not in ("proofValue", "eip712")}
    typed = {**vc["proof"]["eip712"], "message": message}
    recovered = Account.recover_message(encode_typed_data(full_message=typed),
                                        signature=bytes.fromhex(vc["proof"]["proofValue"][2:]))
    assert recovered == address

    answer = _check(service, vc)
    assert answer["valid"] is True and answer["reasons"] == [] and answer["signer"] == address
    assert answer["status"] == "valid" and answer["issuer"]["name"] == "pilotkit issuer"


def test_tampered_credentials_are_rejected(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    document, other = doc("diploma A"), doc("diploma B")
    issue(service, issuer, registry, document, subject="STU-A")
    issue(service, issuer, registry, other)
    vc = _credential(service, registry, document)

    swapped = copy.deepcopy(vc)
    swapped["credentialSubject"]["documentHash"] = other  # a valid certificate, but not what was signed
    answer = _check(service, swapped)
    assert answer["valid"] is False and any("signature" in r for r in answer["reasons"])

    renamed = copy.deepcopy(vc)
    renamed["issuer"]["name"] = "Ministry of Truth"
    assert _check(service, renamed)["valid"] is False

    stranger = Account.create()
    forged = copy.deepcopy(vc)  # re-signed by someone else who claims to be the issuer
    forged["issuer"]["id"] = f"did:pkh:eip155:{service.chain.chain_id}:{stranger.address}"
    forged["proof"]["verificationMethod"] = f"{forged['issuer']['id']}#blockchainAccountId"
    message = {k: v for k, v in forged.items() if k != "proof"}
    message["proof"] = {k: v for k, v in forged["proof"].items() if k not in ("proofValue", "eip712")}
    forged["proof"]["proofValue"] = "0x" + stranger.sign_typed_data(
        full_message={**forged["proof"]["eip712"], "message": message}).signature.hex().removeprefix("0x")
    answer = _check(service, forged)
    assert answer["valid"] is False and answer["signer"] == stranger.address
    assert any("not the issuer of the on-chain record" in r for r in answer["reasons"])

    bad_signature = copy.deepcopy(vc)
    bad_signature["proof"]["proofValue"] = "0x1234"
    assert "the signature is malformed" in _check(service, bad_signature)["reasons"]

    extra = copy.deepcopy(vc)
    extra["credentialSubject"]["name"] = "Amina"  # unsigned members are refused, not ignored
    response = service.client.post(VERIFY, json=extra)
    assert response.status_code == 422 and "credentialSubject.name" in response.json()["detail"]
    missing = copy.deepcopy(vc)
    del missing["proof"]["proofValue"]
    assert service.client.post(VERIFY, json=missing).status_code == 422
    assert service.client.post(VERIFY, content=b"{not json").status_code == 422
    assert service.client.post(VERIFY, json=[1, 2]).status_code == 422
    assert service.client.post(VERIFY, content=b"x" * 70_000).status_code == 413

    elsewhere = copy.deepcopy(vc)
    elsewhere["credentialStatus"]["chainId"] = 1
    assert "this service checks chain" in _check(service, elsewhere)["reasons"][0]


def test_a_revoked_certificate_no_longer_verifies_and_gets_no_new_credential(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    document = doc("licence")
    issue(service, issuer, registry, document)
    vc = _credential(service, registry, document)
    act(service, issuer, registry, document, "revoke", {"reason_code": 1})
    answer = _check(service, vc)
    assert answer["valid"] is False and answer["status"] == "revoked"
    assert "the certificate is revoked (reason code 1)" in answer["reasons"]
    response = service.get(f"{public(registry)}/certificates/{document}/credential")
    assert response.status_code == 409
    assert service.get(f"{public(registry)}/certificates/{doc('nothing')}/credential").status_code == 404


def test_batch_member_credential_carries_its_proof(service: Service) -> None:
    registry = register(service)
    issuer = service.key("issuer")
    hashes = [doc(f"cohort {i}") for i in range(3)]
    batch = issue_batch(service, issuer, registry, hashes, expires_at="2099-01-01T00:00:00Z")
    vc = _credential(service, registry, hashes[1])
    assert vc["credentialStatus"]["recordKey"] == batch["root"]
    assert vc["credentialStatus"]["merkleProof"] == batch["proofs"][1]["proof"]
    assert vc["validUntil"] == "2099-01-01T00:00:00Z"
    assert _check(service, vc)["valid"] is True
    cut = copy.deepcopy(vc)
    cut["credentialStatus"]["merkleProof"] = []
    assert _check(service, cut)["valid"] is False
