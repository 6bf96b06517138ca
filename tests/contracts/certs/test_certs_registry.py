"""CertificateRegistry: issuers, single and batch issuance, the status lifecycle, verify, pause and views.

Every external function, every named revert and every event; signatures are in test_certs_signatures.py,
Merkle batches at scale and their gas in test_certs_batches.py, the role matrix in test_certs_roles.py.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from certs_helpers import (
    ADMIN_ROLE,
    DOMAIN_NAME,
    DOMAIN_VERSION,
    ISSUER2_NAME,
    ISSUER_NAME,
    ISSUER_ROLE,
    PAUSER_ROLE,
    SCHEMA_DIPLOMA,
    ZERO32,
    ZERO_ADDRESS,
    Roles,
    Status,
    doc,
    sign_batch,
    sign_certificate,
    subject,
    verify,
)

from pilotkit.contracts.abi import interface_id
from pilotkit.contracts.handle import ContractHandle
from pilotkit.merkle import MerkleTree, leaf
from pilotkit.testing.assertions import assert_event, assert_no_event, reverts

DIPLOMA = doc("diploma-2024-0001")


def _block_time(reg: ContractHandle, result) -> int:
    return int(reg.web3.eth.get_block(result.block_number)["timestamp"])


@pytest.fixture
def single(reg: ContractHandle, roles: Roles) -> bytes:
    """DIPLOMA issued singly by `issuer`, never expiring; returns its record key."""
    reg.issue(DIPLOMA, subject("graduate-1"), 0, SCHEMA_DIPLOMA, sender=roles.issuer)
    return leaf(DIPLOMA)


@pytest.fixture
def batch(reg: ContractHandle, roles: Roles) -> MerkleTree:
    """A 5-document batch issued by `issuer`, never expiring."""
    tree = MerkleTree.from_documents([doc(f"transcript-{i}") for i in range(5)])
    reg.issueBatch(tree.root, 0, SCHEMA_DIPLOMA, sender=roles.issuer)
    return tree


def _doc_in(i: int) -> bytes:
    return doc(f"transcript-{i}")


# --- deployment, constants, interfaces -------------------------------------------------------------------------


def test_constructor_constants_and_domain(reg: ContractHandle, roles: Roles, chain_id: int) -> None:
    assert reg.hasRole(ADMIN_ROLE, roles.admin.address)
    assert reg.DEFAULT_ADMIN_ROLE() == ADMIN_ROLE
    assert reg.ISSUER_ROLE() == ISSUER_ROLE
    assert reg.PAUSER_ROLE() == PAUSER_ROLE
    assert reg.MAX_NAME_LENGTH() == 256
    assert reg.getRoleAdmin(ISSUER_ROLE) == ADMIN_ROLE
    from eth_utils import keccak

    assert reg.ISSUE_CERTIFICATE_TYPEHASH() == keccak(
        text="IssueCertificate(bytes32 docHash,bytes32 subject,uint64 expiresAt,bytes32 schemaId,uint256 deadline)")
    assert reg.ISSUE_BATCH_TYPEHASH() == keccak(
        text="IssueBatch(bytes32 root,uint64 expiresAt,bytes32 schemaId,uint256 deadline)")
    fields, name, version, domain_chain, contract, salt, extensions = reg.eip712Domain()
    assert (fields, name, version, domain_chain, contract, salt, list(extensions)) == (
        b"\x0f", DOMAIN_NAME, DOMAIN_VERSION, chain_id, reg.address, ZERO32, [])
    assert not reg.paused()


def test_constructor_rejects_zero_admin(deploy) -> None:
    with reverts("ZeroAddress"):
        deploy("CertificateRegistry", ZERO_ADDRESS)


def test_supports_interfaces(reg: ContractHandle, pilot_deployer) -> None:
    own = interface_id(pilot_deployer.store.get("ICertificateRegistry").abi)
    for interface_id_ in (bytes.fromhex("01ffc9a7"), bytes.fromhex("7965db0b"), own):
        assert reg.supportsInterface(interface_id_), interface_id_.hex()
    assert not reg.supportsInterface(bytes.fromhex("ffffffff"))


# --- issuers ----------------------------------------------------------------------------------------------------


def test_accredit_issuer_grants_role_and_names(reg, roles) -> None:
    result = reg.accreditIssuer(roles.outsider.address, "did:key:z6Mk-training-centre", sender=roles.admin)
    granted = assert_event(result, "RoleGranted", role=ISSUER_ROLE, account=roles.outsider, sender=roles.admin)
    # Workaround: assert_event(result, name, **args) cannot match an event argument called `name` (see report).
    (named,) = result.events_named("IssuerAccredited")
    assert named.args == {"issuer": roles.outsider.address, "name": "did:key:z6Mk-training-centre"}
    assert granted.log_index < named.log_index
    assert reg.isAccredited(roles.outsider.address)
    assert reg.issuerName(roles.outsider.address) == "did:key:z6Mk-training-centre"
    renamed = reg.accreditIssuer(roles.outsider.address, "Training Centre", sender=roles.admin)
    assert_no_event(renamed, "RoleGranted")
    assert [e.args for e in renamed.events_named("IssuerAccredited")] == [
        {"issuer": roles.outsider.address, "name": "Training Centre"}]
    assert reg.issuerName(roles.outsider.address) == "Training Centre"
    reg.accreditIssuer(roles.stranger.address, "n" * 256, sender=roles.admin)  # the limit itself is accepted


def test_accredit_issuer_reverts(reg, roles) -> None:
    with reverts("ZeroAddress"):
        reg.accreditIssuer(ZERO_ADDRESS, "x", sender=roles.admin)
    with reverts("InvalidIssuerName"):
        reg.accreditIssuer(roles.outsider.address, "", sender=roles.admin)
    with reverts("InvalidIssuerName"):
        reg.accreditIssuer(roles.outsider.address, "n" * 257, sender=roles.admin)


def test_plain_grant_of_issuer_role_needs_a_name(reg, roles) -> None:
    with reverts("InvalidIssuerName"):
        reg.grantRole(ISSUER_ROLE, roles.outsider.address, sender=roles.admin)
    # A withdrawn issuer keeps its name, so a plain grant re-accredits it.
    reg.withdrawAccreditation(roles.issuer2.address, sender=roles.admin)
    result = reg.grantRole(ISSUER_ROLE, roles.issuer2.address, sender=roles.admin)
    assert_event(result, "RoleGranted", role=ISSUER_ROLE, account=roles.issuer2, sender=roles.admin)
    assert reg.isAccredited(roles.issuer2.address)


def test_withdraw_accreditation(reg, roles, single) -> None:
    result = reg.withdrawAccreditation(roles.issuer.address, sender=roles.admin)
    assert_event(result, "RoleRevoked", role=ISSUER_ROLE, account=roles.issuer, sender=roles.admin)
    assert_event(result, "IssuerAccreditationWithdrawn", issuer=roles.issuer)
    assert not reg.isAccredited(roles.issuer.address)
    assert reg.issuerName(roles.issuer.address) == ISSUER_NAME  # past records still display it
    # Its records keep their status; it can neither issue nor change them; the admin still can.
    assert verify(reg, roles.issuer.address, DIPLOMA).status is Status.Valid
    assert verify(reg, roles.issuer.address, DIPLOMA).issuer == roles.issuer.address
    with reverts("AccessControlUnauthorizedAccount", account=roles.issuer, neededRole=ISSUER_ROLE):
        reg.issue(doc("after-withdrawal"), ZERO32, 0, SCHEMA_DIPLOMA, sender=roles.issuer)
    with reverts("UnauthorizedStatusChange", caller=roles.issuer, root=single):
        reg.revoke(roles.issuer.address, DIPLOMA, [], 1, sender=roles.issuer)
    reg.revoke(roles.issuer.address, DIPLOMA, [], 1, sender=roles.admin)
    with reverts("IssuerNotAccredited", account=roles.issuer):
        reg.withdrawAccreditation(roles.issuer.address, sender=roles.admin)
    with reverts("IssuerNotAccredited", account=roles.stranger):
        reg.withdrawAccreditation(roles.stranger.address, sender=roles.admin)


# --- single issuance ----------------------------------------------------------------------------------------------


def test_issue_single_certificate(reg, roles, chain) -> None:
    expires = chain.time() + 365 * 86_400
    result = reg.issue(DIPLOMA, subject("graduate-1"), expires, SCHEMA_DIPLOMA, sender=roles.issuer)
    assert_event(result, "CertificateIssued", docHash=DIPLOMA, issuer=roles.issuer, subject=subject("graduate-1"),
                 schemaId=SCHEMA_DIPLOMA, expiresAt=expires, root=leaf(DIPLOMA))
    issued_at = _block_time(reg, result)
    rec, replacement = reg.record(roles.issuer.address, leaf(DIPLOMA))
    assert tuple(rec) == (roles.issuer.address, issued_at, expires, Status.Valid, 0)
    assert replacement == ZERO32
    assert tuple(reg.certificateDetails(roles.issuer.address, DIPLOMA)) == (subject("graduate-1"), SCHEMA_DIPLOMA)
    v = verify(reg, roles.issuer.address, DIPLOMA)
    assert (v.status, v.issuer, v.issued_at, v.expires_at, v.reason_code, v.replacement, v.root) == (
        Status.Valid, roles.issuer.address, issued_at, expires, 0, ZERO32, leaf(DIPLOMA))


def test_issue_without_subject_and_at_max_expiry(reg, roles) -> None:
    reg.issue(doc("land-title-77"), ZERO32, 2**40 - 1, SCHEMA_DIPLOMA, sender=roles.issuer)
    assert verify(reg, roles.issuer.address, doc("land-title-77")).expires_at == 2**40 - 1


def test_issue_reverts(reg, roles, chain, single) -> None:
    with reverts("ZeroHash"):
        reg.issue(ZERO32, ZERO32, 0, SCHEMA_DIPLOMA, sender=roles.issuer)
    now = chain.time()  # the latest block: the next one is at or after it, so this expiry is never in the future
    with reverts("InvalidExpiry", expiresAt=now):
        reg.issue(doc("x"), ZERO32, now, SCHEMA_DIPLOMA, sender=roles.issuer)
    with reverts("InvalidExpiry", expiresAt=now - 1000):
        reg.issue(doc("x"), ZERO32, now - 1000, SCHEMA_DIPLOMA, sender=roles.issuer)
    with reverts("InvalidExpiry", expiresAt=2**40):
        reg.issue(doc("x"), ZERO32, 2**40, SCHEMA_DIPLOMA, sender=roles.issuer)
    # An issuer issues a document once, ever (another issuer's record of it is its own: see the squatting tests).
    with reverts("AlreadyIssued", root=single):
        reg.issue(DIPLOMA, subject("someone-else"), 0, SCHEMA_DIPLOMA, sender=roles.issuer)
    with reverts("AlreadyIssued", root=single):
        reg.issueBatch(single, 0, SCHEMA_DIPLOMA, sender=roles.issuer)  # the one-leaf tree of DIPLOMA


# --- batch issuance -----------------------------------------------------------------------------------------------


def test_issue_batch(reg, roles, chain) -> None:
    docs = [doc(f"vaccination-{i}") for i in range(7)]
    tree = MerkleTree.from_documents(docs)
    expires = chain.time() + 86_400
    result = reg.issueBatch(tree.root, expires, SCHEMA_DIPLOMA, sender=roles.issuer2)
    assert_event(result, "BatchIssued", root=tree.root, issuer=roles.issuer2, schemaId=SCHEMA_DIPLOMA,
                 expiresAt=expires)
    issued_at = _block_time(reg, result)
    rec, _ = reg.record(roles.issuer2.address, tree.root)
    assert tuple(rec) == (roles.issuer2.address, issued_at, expires, Status.Valid, 0)
    assert tuple(reg.record(roles.issuer.address, tree.root)[0])[0] == ZERO_ADDRESS  # not the other issuer's
    for i, d in enumerate(docs):
        v = verify(reg, roles.issuer2.address, d, tree.proof(i))
        assert (v.status, v.issuer, v.issued_at, v.expires_at, v.root) == (
            Status.Valid, roles.issuer2.address, issued_at, expires, tree.root)
    # batch details live in the event only
    assert tuple(reg.certificateDetails(roles.issuer.address, docs[0])) == (ZERO32, ZERO32)


def test_issue_batch_reverts(reg, roles, chain, batch) -> None:
    with reverts("ZeroHash"):
        reg.issueBatch(ZERO32, 0, SCHEMA_DIPLOMA, sender=roles.issuer)
    with reverts("InvalidExpiry", expiresAt=chain.time()):
        reg.issueBatch(doc("root"), chain.time(), SCHEMA_DIPLOMA, sender=roles.issuer)
    with reverts("AlreadyIssued", root=batch.root):
        reg.issueBatch(batch.root, 0, SCHEMA_DIPLOMA, sender=roles.issuer)


# --- status lifecycle: single certificates --------------------------------------------------------------------------


def test_revoke_single_is_final(reg, roles, single) -> None:
    result = reg.revoke(roles.issuer.address, DIPLOMA, [], 4, sender=roles.issuer)
    assert_event(result, "DocumentRevoked", root=single, docHash=DIPLOMA, by=roles.issuer, reasonCode=4)
    rec, _ = reg.record(roles.issuer.address, single)
    assert (rec[3], rec[4]) == (Status.Revoked, 4)
    v = verify(reg, roles.issuer.address, DIPLOMA)
    assert (v.status, v.reason_code, v.issuer) == (Status.Revoked, 4, roles.issuer.address)
    me, admin = roles.issuer.address, roles.admin
    for call, requested in ((lambda: reg.revoke(me, DIPLOMA, [], 5, sender=admin), Status.Revoked),
                            (lambda: reg.suspend(me, DIPLOMA, [], 5, sender=admin), Status.Suspended),
                            (lambda: reg.reinstate(me, DIPLOMA, [], sender=admin), Status.Valid),
                            (lambda: reg.supersede(me, DIPLOMA, [], doc("v2"), sender=admin), Status.Superseded),
                            (lambda: reg.revokeBatch(me, single, 5, sender=admin), Status.Revoked),
                            (lambda: reg.suspendBatch(me, single, 5, sender=admin), Status.Suspended),
                            (lambda: reg.reinstateBatch(me, single, sender=admin), Status.Valid),
                            (lambda: reg.supersedeBatch(me, single, doc("v2"), sender=admin), Status.Superseded)):
        with reverts("InvalidStatusTransition", current=Status.Revoked, requested=requested):
            call()
    assert verify(reg, roles.issuer.address, DIPLOMA).status is Status.Revoked


def test_suspend_and_reinstate_single(reg, roles, single) -> None:
    suspended = reg.suspend(roles.issuer.address, DIPLOMA, [], 9, sender=roles.issuer)
    assert_event(suspended, "DocumentSuspended", root=single, docHash=DIPLOMA, by=roles.issuer, reasonCode=9)
    v = verify(reg, roles.issuer.address, DIPLOMA)
    assert (v.status, v.reason_code) == (Status.Suspended, 9)
    with reverts("InvalidStatusTransition", current=Status.Suspended, requested=Status.Suspended):
        reg.suspend(roles.issuer.address, DIPLOMA, [], 9, sender=roles.issuer)
    reinstated = reg.reinstate(roles.issuer.address, DIPLOMA, [], sender=roles.issuer)
    assert_event(reinstated, "DocumentReinstated", root=single, docHash=DIPLOMA, by=roles.issuer)
    v = verify(reg, roles.issuer.address, DIPLOMA)
    assert (v.status, v.reason_code) == (Status.Valid, 0)
    with reverts("InvalidStatusTransition", current=Status.Valid, requested=Status.Valid):
        reg.reinstate(roles.issuer.address, DIPLOMA, [], sender=roles.issuer)


def test_supersede_single_then_revoke_keeps_replacement(reg, roles, single) -> None:
    with reverts("InvalidReplacement", replacement=ZERO32):
        reg.supersede(roles.issuer.address, DIPLOMA, [], ZERO32, sender=roles.issuer)
    with reverts("InvalidReplacement", replacement=DIPLOMA):
        reg.supersede(roles.issuer.address, DIPLOMA, [], DIPLOMA, sender=roles.issuer)
    reg.suspend(roles.issuer.address, DIPLOMA, [], 2, sender=roles.issuer)  # Suspended -> Superseded is allowed
    result = reg.supersede(roles.issuer.address, DIPLOMA, [], doc("diploma-v2"), sender=roles.issuer)
    assert_event(result, "DocumentSuperseded", root=single, docHash=DIPLOMA, by=roles.issuer,
                 replacement=doc("diploma-v2"))
    assert reg.record(roles.issuer.address, single)[1] == doc("diploma-v2")
    v = verify(reg, roles.issuer.address, DIPLOMA)
    assert (v.status, v.replacement, v.reason_code) == (Status.Superseded, doc("diploma-v2"), 0)
    with reverts("InvalidStatusTransition", current=Status.Superseded, requested=Status.Superseded):
        reg.supersede(roles.issuer.address, DIPLOMA, [], doc("diploma-v3"), sender=roles.issuer)
    with reverts("InvalidStatusTransition", current=Status.Superseded, requested=Status.Suspended):
        reg.suspend(roles.issuer.address, DIPLOMA, [], 1, sender=roles.issuer)
    with reverts("InvalidStatusTransition", current=Status.Superseded, requested=Status.Valid):
        reg.reinstate(roles.issuer.address, DIPLOMA, [], sender=roles.issuer)
    reg.revoke(roles.issuer.address, DIPLOMA, [], 6, sender=roles.issuer)
    v = verify(reg, roles.issuer.address, DIPLOMA)
    assert (v.status, v.reason_code, v.replacement) == (Status.Revoked, 6, doc("diploma-v2"))


def test_status_change_of_unknown_document(reg, roles) -> None:
    unknown = doc("never-issued")
    for call in (lambda: reg.revoke(roles.issuer.address, unknown, [], 1, sender=roles.admin),
                 lambda: reg.suspend(roles.issuer.address, unknown, [], 1, sender=roles.issuer),
                 lambda: reg.reinstate(roles.issuer.address, unknown, [], sender=roles.issuer),
                 lambda: reg.supersede(roles.issuer.address, unknown, [], doc("x"), sender=roles.issuer)):
        with reverts("RecordNotFound", root=leaf(unknown)):
            call()
    for call in (lambda: reg.revokeBatch(roles.issuer.address, unknown, 1, sender=roles.admin),
                 lambda: reg.suspendBatch(roles.issuer.address, unknown, 1, sender=roles.admin),
                 lambda: reg.reinstateBatch(roles.issuer.address, unknown, sender=roles.admin),
                 lambda: reg.supersedeBatch(roles.issuer.address, unknown, doc("x"), sender=roles.admin)):
        with reverts("RecordNotFound", root=unknown):
            call()


# --- status lifecycle: batches (record level and document level) -----------------------------------------------------


def test_record_level_changes(reg, roles, batch) -> None:
    root = batch.root
    suspended = reg.suspendBatch(roles.issuer.address, root, 3, sender=roles.issuer)
    assert_event(suspended, "BatchSuspended", root=root, by=roles.issuer, reasonCode=3)
    assert all(verify(reg, roles.issuer.address, _doc_in(i), batch.proof(i)).status is Status.Suspended
               for i in range(5))
    with reverts("InvalidStatusTransition", current=Status.Suspended, requested=Status.Suspended):
        reg.suspendBatch(roles.issuer.address, root, 3, sender=roles.issuer)
    reinstated = reg.reinstateBatch(roles.issuer.address, root, sender=roles.issuer)
    assert_event(reinstated, "BatchReinstated", root=root, by=roles.issuer)
    with reverts("InvalidStatusTransition", current=Status.Valid, requested=Status.Valid):
        reg.reinstateBatch(roles.issuer.address, root, sender=roles.issuer)
    with reverts("InvalidReplacement", replacement=ZERO32):
        reg.supersedeBatch(roles.issuer.address, root, ZERO32, sender=roles.issuer)
    with reverts("InvalidReplacement", replacement=root):
        reg.supersedeBatch(roles.issuer.address, root, root, sender=roles.issuer)
    superseded = reg.supersedeBatch(roles.issuer.address, root, doc("corrected-root"), sender=roles.issuer)
    assert_event(superseded, "BatchSuperseded", root=root, by=roles.issuer, replacement=doc("corrected-root"))
    v = verify(reg, roles.issuer.address, _doc_in(2), batch.proof(2))
    assert (v.status, v.replacement) == (Status.Superseded, doc("corrected-root"))
    revoked = reg.revokeBatch(roles.issuer.address, root, 12, sender=roles.issuer)
    assert_event(revoked, "BatchRevoked", root=root, by=roles.issuer, reasonCode=12)
    v = verify(reg, roles.issuer.address, _doc_in(4), batch.proof(4))
    assert (v.status, v.reason_code, v.replacement) == (Status.Revoked, 12, doc("corrected-root"))
    with reverts("InvalidStatusTransition", current=Status.Revoked, requested=Status.Revoked):
        reg.revokeBatch(roles.issuer.address, root, 12, sender=roles.admin)


def test_record_level_change_on_a_single_certificate_key(reg, roles, single) -> None:
    result = reg.revokeBatch(roles.issuer.address, single, 2, sender=roles.issuer)
    assert_event(result, "BatchRevoked", root=single, by=roles.issuer, reasonCode=2)
    assert verify(reg, roles.issuer.address, DIPLOMA).status is Status.Revoked


def test_document_level_changes_inside_a_batch(reg, roles, batch) -> None:
    root = batch.root
    result = reg.revoke(roles.issuer.address, _doc_in(1), batch.proof(1), 7, sender=roles.issuer)
    assert_event(result, "DocumentRevoked", root=root, docHash=_doc_in(1), by=roles.issuer, reasonCode=7)
    assert tuple(reg.documentOverride(roles.issuer.address, root, _doc_in(1))) == (Status.Revoked, 7, ZERO32)
    assert reg.record(roles.issuer.address, root)[0][3] == Status.Valid  # the record itself is untouched
    v = verify(reg, roles.issuer.address, _doc_in(1), batch.proof(1))
    assert (v.status, v.reason_code, v.root) == (Status.Revoked, 7, root)
    assert verify(reg, roles.issuer.address, _doc_in(0), batch.proof(0)).status is Status.Valid

    result = reg.suspend(roles.issuer.address, _doc_in(2), batch.proof(2), 8, sender=roles.issuer)
    assert_event(result, "DocumentSuspended", root=root, docHash=_doc_in(2), by=roles.issuer, reasonCode=8)
    result = reg.reinstate(roles.issuer.address, _doc_in(2), batch.proof(2), sender=roles.issuer)
    assert_event(result, "DocumentReinstated", root=root, docHash=_doc_in(2), by=roles.issuer)
    assert tuple(reg.documentOverride(roles.issuer.address, root, _doc_in(2))) == (Status.Valid, 8, ZERO32)
    result = reg.supersede(roles.issuer.address, _doc_in(3), batch.proof(3), doc("transcript-3-v2"),
                           sender=roles.issuer)
    assert_event(result, "DocumentSuperseded", root=root, docHash=_doc_in(3), by=roles.issuer,
                 replacement=doc("transcript-3-v2"))
    v = verify(reg, roles.issuer.address, _doc_in(3), batch.proof(3))
    assert (v.status, v.replacement) == (Status.Superseded, doc("transcript-3-v2"))
    with reverts("InvalidStatusTransition", current=Status.Revoked, requested=Status.Suspended):
        reg.suspend(roles.issuer.address, _doc_in(1), batch.proof(1), 1, sender=roles.issuer)
    with reverts("InvalidStatusTransition", current=Status.Valid, requested=Status.Valid):
        reg.reinstate(roles.issuer.address, _doc_in(0), batch.proof(0), sender=roles.issuer)
    with reverts("InvalidReplacement", replacement=_doc_in(0)):
        reg.supersede(roles.issuer.address, _doc_in(0), batch.proof(0), _doc_in(0), sender=roles.issuer)
    # A proof that does not lead to a record: the folded root is reported.
    from pilotkit.merkle import process_proof

    wrong = batch.proof(0)
    with reverts("RecordNotFound", root=process_proof(leaf(_doc_in(1)), wrong)):
        reg.revoke(roles.issuer.address, _doc_in(1), wrong, 1, sender=roles.issuer)


def test_overrides_are_per_root(reg, roles, batch) -> None:
    """The same document under another issuer's root is not affected by this issuer's override."""
    other = MerkleTree.from_documents([_doc_in(0), doc("other-1")])
    reg.issueBatch(other.root, 0, SCHEMA_DIPLOMA, sender=roles.issuer2)
    reg.revoke(roles.issuer.address, _doc_in(0), batch.proof(0), 1, sender=roles.issuer)
    assert verify(reg, roles.issuer.address, _doc_in(0), batch.proof(0)).status is Status.Revoked
    v = verify(reg, roles.issuer2.address, _doc_in(0), other.proof(0))
    assert (v.status, v.issuer) == (Status.Valid, roles.issuer2.address)
    with reverts("UnauthorizedStatusChange", caller=roles.issuer, root=other.root):
        reg.revoke(roles.issuer2.address, _doc_in(0), other.proof(0), 1, sender=roles.issuer)
    with reverts("RecordNotFound", root=other.root):  # the issuer has no record under the other's root
        reg.revoke(roles.issuer.address, _doc_in(0), other.proof(0), 1, sender=roles.issuer)


def test_record_reinstate_leaves_document_overrides(reg, roles, batch) -> None:
    reg.suspend(roles.issuer.address, _doc_in(0), batch.proof(0), 5, sender=roles.issuer)
    reg.suspendBatch(roles.issuer.address, batch.root, 6, sender=roles.issuer)
    v = verify(reg, roles.issuer.address, _doc_in(0), batch.proof(0))
    assert (v.status, v.reason_code) == (Status.Suspended, 5)  # the document's own suspension decides
    assert verify(reg, roles.issuer.address, _doc_in(1), batch.proof(1)).reason_code == 6
    reg.reinstateBatch(roles.issuer.address, batch.root, sender=roles.issuer)
    assert verify(reg, roles.issuer.address, _doc_in(0), batch.proof(0)).status is Status.Suspended
    assert verify(reg, roles.issuer.address, _doc_in(1), batch.proof(1)).status is Status.Valid


@pytest.mark.parametrize(("doc_action", "record_action", "expected", "reason", "replacement"), [
    ("suspend", "revoke", Status.Revoked, 22, ZERO32),
    ("revoke", "supersede", Status.Revoked, 11, ZERO32),
    ("supersede", "suspend", Status.Superseded, 0, doc("doc-replacement")),
    ("suspend", "supersede", Status.Superseded, 0, doc("record-replacement")),
    (None, "suspend", Status.Suspended, 22, ZERO32),
])
def test_verify_precedence(reg, roles, batch, doc_action, record_action, expected, reason, replacement) -> None:
    """Revoked > Superseded > Suspended, document before record at each level."""
    d, proof = _doc_in(0), batch.proof(0)
    if record_action == "supersede":
        reg.supersedeBatch(roles.issuer.address, batch.root, doc("record-replacement"), sender=roles.issuer)
    if doc_action == "suspend":
        reg.suspend(roles.issuer.address, d, proof, 11, sender=roles.issuer)
    elif doc_action == "revoke":
        reg.revoke(roles.issuer.address, d, proof, 11, sender=roles.issuer)
    elif doc_action == "supersede":
        reg.supersede(roles.issuer.address, d, proof, doc("doc-replacement"), sender=roles.issuer)
    if record_action == "revoke":
        reg.revokeBatch(roles.issuer.address, batch.root, 22, sender=roles.issuer)
    elif record_action == "suspend":
        reg.suspendBatch(roles.issuer.address, batch.root, 22, sender=roles.issuer)
    v = verify(reg, roles.issuer.address, d, proof)
    assert (v.status, v.reason_code, v.replacement) == (expected, reason, replacement)
    # A document-level revoke decides with the document's own data: the record's replacement is not mixed in.


# --- verify: every status, explicitly ---------------------------------------------------------------------------------


def test_verify_unknown(reg, roles, batch) -> None:
    v = verify(reg, roles.issuer.address, doc("forged"))
    assert v == verify(reg, roles.issuer.address, doc("forged"), [])
    assert (v.status, v.issuer, v.issued_at, v.expires_at, v.reason_code, v.replacement, v.root) == (
        Status.Unknown, ZERO_ADDRESS, 0, 0, 0, ZERO32, ZERO32)
    assert verify(reg, roles.issuer.address, doc("forged"), batch.proof(0)).status is Status.Unknown
    assert verify(reg, roles.issuer.address, _doc_in(0)).status is Status.Unknown  # a batch document needs its proof


def test_verify_valid_and_expired_with_time_travel(reg, roles, chain) -> None:
    expires = chain.time() + 1000
    reg.issue(DIPLOMA, ZERO32, expires, SCHEMA_DIPLOMA, sender=roles.issuer)
    assert verify(reg, roles.issuer.address, DIPLOMA).status is Status.Valid
    chain.mine(1, timestamp=expires - 1)
    assert verify(reg, roles.issuer.address, DIPLOMA).status is Status.Valid
    chain.mine(1, timestamp=expires)  # expired from this second on
    v = verify(reg, roles.issuer.address, DIPLOMA)
    assert (v.status, v.expires_at, v.issuer) == (Status.Expired, expires, roles.issuer.address)
    # Suspension and revocation outrank expiry.
    reg.suspend(roles.issuer.address, DIPLOMA, [], 3, sender=roles.issuer)
    assert verify(reg, roles.issuer.address, DIPLOMA).status is Status.Suspended
    reg.revoke(roles.issuer.address, DIPLOMA, [], 4, sender=roles.issuer)
    v = verify(reg, roles.issuer.address, DIPLOMA)
    assert (v.status, v.reason_code) == (Status.Revoked, 4)


def test_verify_expired_batch(reg, roles, chain) -> None:
    tree = MerkleTree.from_documents([doc("course-a"), doc("course-b")])
    expires = chain.time() + 500
    reg.issueBatch(tree.root, expires, SCHEMA_DIPLOMA, sender=roles.issuer)
    chain.sleep(600)
    assert verify(reg, roles.issuer.address, doc("course-b"), tree.proof(1)).status is Status.Expired


def test_verify_suspended_revoked_superseded(reg, roles, batch) -> None:
    reg.suspend(roles.issuer.address, _doc_in(0), batch.proof(0), 31, sender=roles.issuer)
    reg.revoke(roles.issuer.address, _doc_in(1), batch.proof(1), 32, sender=roles.issuer)
    reg.supersede(roles.issuer.address, _doc_in(2), batch.proof(2), doc("replacement-2"), sender=roles.issuer)
    got = [verify(reg, roles.issuer.address, _doc_in(i), batch.proof(i)) for i in range(4)]
    assert [(v.status, v.reason_code, v.replacement) for v in got] == [
        (Status.Suspended, 31, ZERO32),
        (Status.Revoked, 32, ZERO32),
        (Status.Superseded, 0, doc("replacement-2")),
        (Status.Valid, 0, ZERO32),
    ]
    assert all(v.issuer == roles.issuer.address and v.root == batch.root for v in got)


# --- authorisation of status changes ----------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["issuer2", "pauser", "relayer", "stranger"])
def test_only_the_issuer_or_admin_changes_status(reg, roles, single, batch, who: str) -> None:
    caller = getattr(roles, who)
    calls = [
        (lambda: reg.revoke(roles.issuer.address, DIPLOMA, [], 1, sender=caller), single),
        (lambda: reg.suspend(roles.issuer.address, DIPLOMA, [], 1, sender=caller), single),
        (lambda: reg.supersede(roles.issuer.address, DIPLOMA, [], doc("n"), sender=caller), single),
        (lambda: reg.revoke(roles.issuer.address, _doc_in(0), batch.proof(0), 1, sender=caller), batch.root),
        (lambda: reg.suspend(roles.issuer.address, _doc_in(0), batch.proof(0), 1, sender=caller), batch.root),
        (lambda: reg.supersede(roles.issuer.address, _doc_in(0), batch.proof(0), doc("n"), sender=caller), batch.root),
        (lambda: reg.revokeBatch(roles.issuer.address, batch.root, 1, sender=caller), batch.root),
        (lambda: reg.suspendBatch(roles.issuer.address, batch.root, 1, sender=caller), batch.root),
        (lambda: reg.supersedeBatch(roles.issuer.address, batch.root, doc("n"), sender=caller), batch.root),
    ]
    for call, root in calls:
        with reverts("UnauthorizedStatusChange", caller=caller, root=root):
            call()
    reg.suspend(roles.issuer.address, DIPLOMA, [], 1, sender=roles.issuer)
    reg.suspend(roles.issuer.address, _doc_in(0), batch.proof(0), 1, sender=roles.issuer)
    reg.suspendBatch(roles.issuer.address, batch.root, 1, sender=roles.issuer)
    for call, root in ((lambda: reg.reinstate(roles.issuer.address, DIPLOMA, [], sender=caller), single),
                       (lambda: reg.reinstate(roles.issuer.address, _doc_in(0), batch.proof(0), sender=caller),
                        batch.root),
                       (lambda: reg.reinstateBatch(roles.issuer.address, batch.root, sender=caller), batch.root)):
        with reverts("UnauthorizedStatusChange", caller=caller, root=root):
            call()


def test_admin_oversees_every_record(reg, roles, single, batch) -> None:
    result = reg.suspend(roles.issuer.address, DIPLOMA, [], 1, sender=roles.admin)
    assert_event(result, "DocumentSuspended", by=roles.admin)
    reg.reinstate(roles.issuer.address, DIPLOMA, [], sender=roles.admin)
    reg.supersede(roles.issuer.address, _doc_in(0), batch.proof(0), doc("n"), sender=roles.admin)
    reg.suspendBatch(roles.issuer.address, batch.root, 1, sender=roles.admin)
    reg.reinstateBatch(roles.issuer.address, batch.root, sender=roles.admin)
    reg.supersedeBatch(roles.issuer.address, batch.root, doc("n2"), sender=roles.admin)
    result = reg.revokeBatch(roles.issuer.address, batch.root, 9, sender=roles.admin)
    assert_event(result, "BatchRevoked", root=batch.root, by=roles.admin, reasonCode=9)


# --- pause ------------------------------------------------------------------------------------------------------------


def test_pause(reg, roles, chain, chain_id, single, batch) -> None:
    paused = reg.pause(sender=roles.pauser)
    assert_event(paused, "Paused", account=roles.pauser)
    assert reg.paused()
    with reverts("EnforcedPause"):
        reg.pause(sender=roles.pauser)
    deadline = chain.time() + 3600
    request = (doc("paused-doc"), ZERO32, 0, SCHEMA_DIPLOMA)
    sig = sign_certificate(roles.issuer, request, deadline, chain_id, reg.address)
    batch_request = (doc("paused-root"), 0, SCHEMA_DIPLOMA)
    batch_sig = sign_batch(roles.issuer, batch_request, deadline, chain_id, reg.address)
    for call in (lambda: reg.issue(doc("paused-doc"), ZERO32, 0, SCHEMA_DIPLOMA, sender=roles.issuer),
                 lambda: reg.issueBatch(doc("paused-root"), 0, SCHEMA_DIPLOMA, sender=roles.issuer),
                 lambda: reg.issueWithSig(request, roles.issuer.address, deadline, sig, sender=roles.relayer),
                 lambda: reg.issueBatchWithSig(batch_request, roles.issuer.address, deadline, batch_sig,
                                               sender=roles.relayer),
                 lambda: reg.suspend(roles.issuer.address, DIPLOMA, [], 1, sender=roles.issuer),
                 lambda: reg.revoke(roles.issuer.address, _doc_in(0), batch.proof(0), 1, sender=roles.issuer),
                 lambda: reg.revokeBatch(roles.issuer.address, batch.root, 1, sender=roles.issuer)):
        with reverts("EnforcedPause"):
            call()
    # Verify works; the admin handles incidents and accredits during the pause.
    assert verify(reg, roles.issuer.address, DIPLOMA).status is Status.Valid
    reg.revoke(roles.issuer.address, DIPLOMA, [], 1, sender=roles.admin)
    reg.suspendBatch(roles.issuer.address, batch.root, 2, sender=roles.admin)
    reg.withdrawAccreditation(roles.issuer2.address, sender=roles.admin)
    reg.accreditIssuer(roles.issuer2.address, ISSUER2_NAME, sender=roles.admin)
    with reverts("AccessControlUnauthorizedAccount", account=roles.pauser, neededRole=ADMIN_ROLE):
        reg.unpause(sender=roles.pauser)
    resumed = reg.unpause(sender=roles.admin)
    assert_event(resumed, "Unpaused", account=roles.admin)
    with reverts("ExpectedPause"):
        reg.unpause(sender=roles.admin)
    reg.issueWithSig(request, roles.issuer.address, deadline, sig, sender=roles.relayer)  # still valid after
    assert verify(reg, roles.issuer.address, doc("paused-doc")).status is Status.Valid


# --- views and roles -------------------------------------------------------------------------------------------------


def test_views_for_unknown_keys(reg, roles) -> None:
    rec, replacement = reg.record(roles.issuer.address, doc("nothing"))
    assert tuple(rec) == (ZERO_ADDRESS, 0, 0, Status.Unknown, 0) and replacement == ZERO32
    nothing = doc("nothing")
    assert tuple(reg.documentOverride(roles.issuer.address, nothing, nothing)) == (Status.Unknown, 0, ZERO32)
    assert tuple(reg.certificateDetails(roles.issuer.address, doc("nothing"))) == (ZERO32, ZERO32)
    assert reg.issuerName(roles.stranger.address) == ""
    assert not reg.isAccredited(roles.stranger.address)
    assert reg.issuerName(roles.issuer2.address) == ISSUER2_NAME
    assert reg.leafOf(DIPLOMA) == leaf(DIPLOMA)


def test_roles_grant_revoke_renounce(reg, roles) -> None:
    granted = reg.grantRole(PAUSER_ROLE, roles.relayer.address, sender=roles.admin)
    assert_event(granted, "RoleGranted", role=PAUSER_ROLE, account=roles.relayer, sender=roles.admin)
    revoked = reg.revokeRole(PAUSER_ROLE, roles.relayer.address, sender=roles.admin)
    assert_event(revoked, "RoleRevoked", role=PAUSER_ROLE, account=roles.relayer, sender=roles.admin)
    with reverts("AccessControlBadConfirmation"):
        reg.renounceRole(ISSUER_ROLE, roles.issuer.address, sender=roles.issuer2)
    renounced = reg.renounceRole(ISSUER_ROLE, roles.issuer2.address, sender=roles.issuer2)
    assert_event(renounced, "RoleRevoked", role=ISSUER_ROLE, account=roles.issuer2, sender=roles.issuer2)
    assert not reg.isAccredited(roles.issuer2.address)


def test_every_abi_function_is_exercised_by_this_folder(reg) -> None:
    """Fails when a function is added to the contract without a test in tests/contracts/certs."""
    sources = "\n".join(p.read_text() for p in Path(__file__).parent.glob("*.py"))
    missing = [entry["name"] for entry in reg.abi if entry.get("type") == "function"
               and not re.search(rf"(\.{entry['name']}\(|\"{entry['name']}\")", sources)]
    assert not missing, f"functions without a test: {missing}"
