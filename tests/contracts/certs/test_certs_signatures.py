"""CertificateRegistry EIP-712 issuance (`issueWithSig`, `issueBatchWithSig`): accepted once, relayed by anyone;
rejected on another chain id, another contract, another domain, after the deadline, from a non-accredited
signer, for a tampered request and for a malleated (high-s) signature, each with its named error."""

from __future__ import annotations

import pytest
from certs_helpers import (
    ISSUER_NAME,
    SCHEMA_DIPLOMA,
    SECP256K1_N,
    ZERO32,
    Roles,
    Status,
    doc,
    malleate,
    sign_batch,
    sign_certificate,
    subject,
    typed_request,
    verify,
)
from eth_account.messages import encode_typed_data

from pilotkit.contracts.handle import ContractHandle
from pilotkit.merkle import MerkleTree, leaf
from pilotkit.testing.assertions import assert_event, reverts

CERT = doc("signed-certificate-1")
REQUEST = (CERT, subject("trainee-1"), 0, SCHEMA_DIPLOMA)


@pytest.fixture
def deadline(chain) -> int:
    return chain.time() + 3600


@pytest.fixture(scope="module")
def other_reg(deploy, roles: Roles) -> ContractHandle:
    """A second registry with the same admin and issuer: a signature for one must not work on the other."""
    registry = deploy("CertificateRegistry", roles.admin.address, sender=roles.admin)
    registry.accreditIssuer(roles.issuer.address, ISSUER_NAME, sender=roles.admin)
    return registry


def test_signed_certificate_is_accepted_once(reg, roles, chain_id, deadline) -> None:
    sig = sign_certificate(roles.issuer, REQUEST, deadline, chain_id, reg.address)
    result = reg.issueWithSig(REQUEST, roles.issuer.address, deadline, sig, sender=roles.relayer)
    assert_event(result, "CertificateIssued", docHash=CERT, issuer=roles.issuer, subject=subject("trainee-1"),
                 schemaId=SCHEMA_DIPLOMA, expiresAt=0, root=leaf(CERT))
    v = verify(reg, roles.issuer.address, CERT)
    assert (v.status, v.issuer) == (Status.Valid, roles.issuer.address)  # the signer, not the relayer
    assert tuple(reg.certificateDetails(roles.issuer.address, CERT)) == (subject("trainee-1"), SCHEMA_DIPLOMA)
    with reverts("AlreadyIssued", root=leaf(CERT)):
        reg.issueWithSig(REQUEST, roles.issuer.address, deadline, sig, sender=roles.relayer)
    with reverts("AlreadyIssued", root=leaf(CERT)):
        reg.issueWithSig(REQUEST, roles.issuer.address, deadline, sig, sender=roles.stranger)


def test_signed_batch_is_accepted_once(reg, roles, chain, chain_id, deadline) -> None:
    tree = MerkleTree.from_documents([doc(f"signed-batch-{i}") for i in range(6)])
    expires = chain.time() + 86_400
    request = (tree.root, expires, SCHEMA_DIPLOMA)
    sig = sign_batch(roles.issuer, request, deadline, chain_id, reg.address)
    result = reg.issueBatchWithSig(request, roles.issuer.address, deadline, sig, sender=roles.relayer)
    assert_event(result, "BatchIssued", root=tree.root, issuer=roles.issuer, schemaId=SCHEMA_DIPLOMA,
                 expiresAt=expires)
    v = verify(reg, roles.issuer.address, doc("signed-batch-3"), tree.proof(3))
    assert (v.status, v.issuer, v.expires_at) == (Status.Valid, roles.issuer.address, expires)
    with reverts("AlreadyIssued", root=tree.root):
        reg.issueBatchWithSig(request, roles.issuer.address, deadline, sig, sender=roles.relayer)


def test_signature_matches_an_independently_computed_digest(reg, roles, chain_id, deadline) -> None:
    """The contract's domain and type hash agree with eth-account's EIP-712 encoding (signing the raw digest)."""
    message = {"docHash": CERT, "subject": REQUEST[1], "expiresAt": 0, "schemaId": SCHEMA_DIPLOMA,
               "deadline": deadline}
    signable = encode_typed_data(full_message=typed_request("IssueCertificate", message, chain_id, reg.address))
    digest = b"\x19" + signable.version + signable.header + signable.body
    from eth_utils import keccak

    sig = bytes(roles.issuer.sign_message_hash(keccak(digest)).signature)
    reg.issueWithSig(REQUEST, roles.issuer.address, deadline, sig, sender=roles.relayer)
    assert verify(reg, roles.issuer.address, CERT).status is Status.Valid


def test_replay_on_another_chain_id_is_rejected(reg, roles, chain_id, deadline) -> None:
    for wrong_chain in (chain_id + 1, 1, 11155111):
        sig = sign_certificate(roles.issuer, REQUEST, deadline, wrong_chain, reg.address)
        with reverts("InvalidSignature"):
            reg.issueWithSig(REQUEST, roles.issuer.address, deadline, sig, sender=roles.relayer)
    tree_root = doc("root-for-other-chain")
    batch_sig = sign_batch(roles.issuer, (tree_root, 0, SCHEMA_DIPLOMA), deadline, chain_id + 1, reg.address)
    with reverts("InvalidSignature"):
        reg.issueBatchWithSig((tree_root, 0, SCHEMA_DIPLOMA), roles.issuer.address, deadline, batch_sig,
                              sender=roles.relayer)


def test_replay_on_another_contract_is_rejected(reg, other_reg, roles, chain_id, deadline) -> None:
    for_other = sign_certificate(roles.issuer, REQUEST, deadline, chain_id, other_reg.address)
    for_this = sign_certificate(roles.issuer, REQUEST, deadline, chain_id, reg.address)
    with reverts("InvalidSignature"):
        reg.issueWithSig(REQUEST, roles.issuer.address, deadline, for_other, sender=roles.relayer)
    with reverts("InvalidSignature"):
        other_reg.issueWithSig(REQUEST, roles.issuer.address, deadline, for_this, sender=roles.relayer)
    # Each is valid where it was meant to be used, and only there.
    reg.issueWithSig(REQUEST, roles.issuer.address, deadline, for_this, sender=roles.relayer)
    with reverts("InvalidSignature"):
        other_reg.issueWithSig(REQUEST, roles.issuer.address, deadline, for_this, sender=roles.relayer)
    other_reg.issueWithSig(REQUEST, roles.issuer.address, deadline, for_other, sender=roles.relayer)


@pytest.mark.parametrize("domain", [{"name": "pilotkit CashProgramme"}, {"version": "2"}])
def test_signature_for_another_domain_is_rejected(reg, roles, chain_id, deadline, domain) -> None:
    sig = sign_certificate(roles.issuer, REQUEST, deadline, chain_id, reg.address, **domain)
    with reverts("InvalidSignature"):
        reg.issueWithSig(REQUEST, roles.issuer.address, deadline, sig, sender=roles.relayer)


def test_signature_after_deadline_is_rejected(reg, roles, chain, chain_id) -> None:
    deadline = chain.time() + 100
    sig = sign_certificate(roles.issuer, REQUEST, deadline, chain_id, reg.address)
    root = doc("late-root")
    batch_sig = sign_batch(roles.issuer, (root, 0, SCHEMA_DIPLOMA), deadline, chain_id, reg.address)
    chain.sleep(101)
    with reverts("DeadlineExpired", deadline=deadline):
        reg.issueWithSig(REQUEST, roles.issuer.address, deadline, sig, sender=roles.relayer)
    with reverts("DeadlineExpired", deadline=deadline):
        reg.issueBatchWithSig((root, 0, SCHEMA_DIPLOMA), roles.issuer.address, deadline, batch_sig,
                              sender=roles.relayer)
    # The deadline outranks everything else: even an expired signature for an unknown signer says DeadlineExpired.
    with reverts("DeadlineExpired", deadline=deadline):
        reg.issueWithSig(REQUEST, roles.outsider.address, deadline, b"", sender=roles.relayer)


def test_signature_at_the_deadline_second_is_accepted(reg, roles, chain, chain_id) -> None:
    deadline = chain.time() + 100
    sig = sign_certificate(roles.issuer, REQUEST, deadline, chain_id, reg.address)
    chain.set_next_timestamp(deadline)
    # An explicit gas limit skips estimation, which would run at a pending block of the node's choosing.
    result = reg.issueWithSig(REQUEST, roles.issuer.address, deadline, sig, sender=roles.relayer, gas=300_000)
    assert reg.web3.eth.get_block(result.block_number)["timestamp"] == deadline
    assert verify(reg, roles.issuer.address, CERT).status is Status.Valid


def test_non_accredited_signer_is_rejected(reg, roles, chain_id, deadline) -> None:
    own = sign_certificate(roles.outsider, REQUEST, deadline, chain_id, reg.address)
    with reverts("IssuerNotAccredited", account=roles.outsider):
        reg.issueWithSig(REQUEST, roles.outsider.address, deadline, own, sender=roles.relayer)
    # Claiming to be an accredited issuer with someone else's signature fails the signature check.
    with reverts("InvalidSignature"):
        reg.issueWithSig(REQUEST, roles.issuer.address, deadline, own, sender=roles.relayer)
    batch_sig = sign_batch(roles.outsider, (doc("r"), 0, SCHEMA_DIPLOMA), deadline, chain_id, reg.address)
    with reverts("IssuerNotAccredited", account=roles.outsider):
        reg.issueBatchWithSig((doc("r"), 0, SCHEMA_DIPLOMA), roles.outsider.address, deadline, batch_sig,
                              sender=roles.relayer)


def test_signature_of_a_withdrawn_issuer_is_rejected(reg, roles, chain_id, deadline) -> None:
    """Accreditation is checked when the signature is used, not when it was made."""
    sig = sign_certificate(roles.issuer2, REQUEST, deadline, chain_id, reg.address)
    reg.withdrawAccreditation(roles.issuer2.address, sender=roles.admin)
    with reverts("IssuerNotAccredited", account=roles.issuer2):
        reg.issueWithSig(REQUEST, roles.issuer2.address, deadline, sig, sender=roles.relayer)


def test_malleated_high_s_signature_is_rejected(reg, roles, chain_id, deadline) -> None:
    sig = sign_certificate(roles.issuer, REQUEST, deadline, chain_id, reg.address)
    high_s = malleate(sig)
    assert int.from_bytes(high_s[32:64], "big") > SECP256K1_N // 2
    with reverts("InvalidSignature"):
        reg.issueWithSig(REQUEST, roles.issuer.address, deadline, high_s, sender=roles.relayer)
    root = doc("malleable-root")
    batch_high_s = malleate(sign_batch(roles.issuer, (root, 0, SCHEMA_DIPLOMA), deadline, chain_id, reg.address))
    with reverts("InvalidSignature"):
        reg.issueBatchWithSig((root, 0, SCHEMA_DIPLOMA), roles.issuer.address, deadline, batch_high_s,
                              sender=roles.relayer)
    # The rejected twin did not consume anything: the canonical signature still works, once.
    reg.issueWithSig(REQUEST, roles.issuer.address, deadline, sig, sender=roles.relayer)
    with reverts("AlreadyIssued", root=leaf(CERT)):
        reg.issueWithSig(REQUEST, roles.issuer.address, deadline, sig, sender=roles.relayer)


@pytest.mark.parametrize("tamper", ["docHash", "subject", "expiresAt", "schemaId", "deadline"])
def test_tampered_request_is_rejected(reg, roles, chain_id, deadline, tamper: str) -> None:
    sig = sign_certificate(roles.issuer, REQUEST, deadline, chain_id, reg.address)
    request, used_deadline = list(REQUEST), deadline
    if tamper == "docHash":
        request[0] = doc("swapped")
    elif tamper == "subject":
        request[1] = subject("someone-else")
    elif tamper == "expiresAt":
        request[2] = deadline + 10
    elif tamper == "schemaId":
        request[3] = ZERO32
    else:
        used_deadline = deadline + 1
    with reverts("InvalidSignature"):
        reg.issueWithSig(tuple(request), roles.issuer.address, used_deadline, sig, sender=roles.relayer)


def test_malformed_signatures_are_rejected(reg, roles, chain_id, deadline) -> None:
    sig = sign_certificate(roles.issuer, REQUEST, deadline, chain_id, reg.address)
    bad_v = sig[:64] + bytes([29])
    for bad in (b"", sig[:64], sig + b"\x00", bad_v, b"\x00" * 65):
        with reverts("InvalidSignature"):
            reg.issueWithSig(REQUEST, roles.issuer.address, deadline, bad, sender=roles.relayer)


def test_certificate_signature_does_not_authorise_a_batch(reg, roles, chain_id, deadline) -> None:
    """Type separation: the same fields signed as IssueCertificate are no IssueBatch authorisation."""
    cert_sig = sign_certificate(roles.issuer, (CERT, ZERO32, 0, SCHEMA_DIPLOMA), deadline, chain_id, reg.address)
    with reverts("InvalidSignature"):
        reg.issueBatchWithSig((CERT, 0, SCHEMA_DIPLOMA), roles.issuer.address, deadline, cert_sig,
                              sender=roles.relayer)


def test_signed_issuance_validates_like_direct_issuance(reg, roles, chain, chain_id, deadline) -> None:
    sig = sign_certificate(roles.issuer, (ZERO32, ZERO32, 0, SCHEMA_DIPLOMA), deadline, chain_id, reg.address)
    with reverts("ZeroHash"):
        reg.issueWithSig((ZERO32, ZERO32, 0, SCHEMA_DIPLOMA), roles.issuer.address, deadline, sig,
                         sender=roles.relayer)
    past = chain.time() - 1
    request = (doc("expired-on-arrival"), ZERO32, past, SCHEMA_DIPLOMA)
    sig = sign_certificate(roles.issuer, request, deadline, chain_id, reg.address)
    with reverts("InvalidExpiry", expiresAt=past):
        reg.issueWithSig(request, roles.issuer.address, deadline, sig, sender=roles.relayer)
