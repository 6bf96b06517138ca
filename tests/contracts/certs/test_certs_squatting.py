"""Review finding 1: records are issuer-scoped, so no accredited issuer can pre-empt, shadow or affect another
issuer's documents — by front-running its root, by anchoring one of its documents as a one-leaf batch, or by
re-anchoring an inner node of its revoked batch. Each test failed before the fix (records keyed by the bare root:
the second issuer's transaction reverted `AlreadyIssued` and the squatter's record answered every `verify`)."""

from __future__ import annotations

from certs_helpers import SCHEMA_DIPLOMA, ZERO32, ZERO_ADDRESS, Status, doc, sign_batch, subject, verify

from pilotkit.merkle import MerkleTree, leaf, process_proof
from pilotkit.testing.assertions import assert_event, reverts

DOCS = [doc(f"squat-{i}") for i in range(8)]


def test_front_running_a_root_neither_blocks_nor_shadows_its_issuer(reg, roles) -> None:
    tree = MerkleTree.from_documents(DOCS)
    # issuer2 saw issuer's issueBatch(root) in the mempool and got in first.
    reg.issueBatch(tree.root, 0, SCHEMA_DIPLOMA, sender=roles.issuer2)
    result = reg.issueBatch(tree.root, 0, SCHEMA_DIPLOMA, sender=roles.issuer)  # not AlreadyIssued
    assert_event(result, "BatchIssued", root=tree.root, issuer=roles.issuer)
    for i, d in enumerate(DOCS):
        mine = verify(reg, roles.issuer.address, d, tree.proof(i))
        assert (mine.status, mine.issuer, mine.root) == (Status.Valid, roles.issuer.address, tree.root)
    # The squatter can neither revoke nor suspend the issuer's record or documents...
    for call in (lambda: reg.revokeBatch(roles.issuer.address, tree.root, 1, sender=roles.issuer2),
                 lambda: reg.suspendBatch(roles.issuer.address, tree.root, 1, sender=roles.issuer2),
                 lambda: reg.revoke(roles.issuer.address, DOCS[3], tree.proof(3), 1, sender=roles.issuer2),
                 lambda: reg.suspend(roles.issuer.address, DOCS[3], tree.proof(3), 1, sender=roles.issuer2)):
        with reverts("UnauthorizedStatusChange", caller=roles.issuer2, root=tree.root):
            call()
    # ...and revoking its own copy leaves the issuer's documents valid.
    reg.revokeBatch(roles.issuer2.address, tree.root, 1, sender=roles.issuer2)
    assert verify(reg, roles.issuer2.address, DOCS[0], tree.proof(0)).status is Status.Revoked
    assert verify(reg, roles.issuer.address, DOCS[0], tree.proof(0)).status is Status.Valid


def test_a_relayed_signed_batch_cannot_be_pre_empted(reg, roles, chain, chain_id) -> None:
    tree = MerkleTree.from_documents(DOCS[:3])
    deadline = chain.time() + 3600
    request = (tree.root, 0, SCHEMA_DIPLOMA)
    sig = sign_batch(roles.issuer, request, deadline, chain_id, reg.address)
    reg.issueBatch(tree.root, 0, SCHEMA_DIPLOMA, sender=roles.issuer2)  # copied from the relayed request
    reg.issueBatchWithSig(request, roles.issuer.address, deadline, sig, sender=roles.relayer)
    assert verify(reg, roles.issuer.address, DOCS[1], tree.proof(1)).issuer == roles.issuer.address


def test_squatting_a_single_certificate_as_a_one_leaf_batch(reg, roles) -> None:
    d = doc("squat-single")
    reg.issueBatch(leaf(d), 0, SCHEMA_DIPLOMA, sender=roles.issuer2)
    reg.issue(d, subject("holder"), 0, SCHEMA_DIPLOMA, sender=roles.issuer)  # not AlreadyIssued
    assert tuple(reg.certificateDetails(roles.issuer.address, d)) == (subject("holder"), SCHEMA_DIPLOMA)
    assert tuple(reg.certificateDetails(roles.issuer2.address, d)) == (ZERO32, ZERO32)
    with reverts("UnauthorizedStatusChange", caller=roles.issuer2, root=leaf(d)):
        reg.revoke(roles.issuer.address, d, [], 1, sender=roles.issuer2)
    v = verify(reg, roles.issuer.address, d)
    assert (v.status, v.issuer) == (Status.Valid, roles.issuer.address)


def test_an_inner_node_of_a_revoked_batch_never_revives_its_documents(reg, roles) -> None:
    tree = MerkleTree.from_documents(DOCS)
    reg.issueBatch(tree.root, 0, SCHEMA_DIPLOMA, sender=roles.issuer)
    reg.revokeBatch(roles.issuer.address, tree.root, 1, sender=roles.issuer)
    full = tree.proof(5)
    short = full[:1]
    inner = process_proof(leaf(DOCS[5]), short)  # the node two levels above the leaf
    reg.issueBatch(inner, 0, SCHEMA_DIPLOMA, sender=roles.issuer2)
    assert verify(reg, roles.issuer.address, DOCS[5], full).status is Status.Revoked
    shortened = verify(reg, roles.issuer.address, DOCS[5], short)
    assert (shortened.status, shortened.issuer) == (Status.Unknown, ZERO_ADDRESS)
    # The re-anchored node reads only as the other issuer's own claim, and says so.
    theirs = verify(reg, roles.issuer2.address, DOCS[5], short)
    assert (theirs.status, theirs.issuer, theirs.root) == (Status.Valid, roles.issuer2.address, inner)
