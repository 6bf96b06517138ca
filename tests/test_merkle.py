"""pilotkit.merkle: pure-Python checks, then agreement with the CertificateRegistry's own leaf and verify."""

from __future__ import annotations

import pytest
from eth_utils import keccak

from pilotkit.merkle import MerkleTree, hash_pair, leaf, process_proof, to_bytes32, verify_proof


def _docs(n: int, tag: str = "doc") -> list[bytes]:
    return [keccak(text=f"{tag}-{i}") for i in range(n)]


def test_leaf_is_double_keccak_of_the_document_hash() -> None:
    doc = _docs(1)[0]
    assert leaf(doc) == keccak(keccak(doc))
    assert leaf("0x" + doc.hex()) == leaf(doc)


def test_to_bytes32_rejects_wrong_sizes() -> None:
    with pytest.raises(ValueError):
        to_bytes32(b"\x01" * 31)
    with pytest.raises(ValueError):
        to_bytes32("0x1234")


def test_hash_pair_is_commutative() -> None:
    a, b = _docs(2)
    assert hash_pair(a, b) == hash_pair(b, a) == keccak(min(a, b) + max(a, b))


def test_empty_tree_is_rejected() -> None:
    with pytest.raises(ValueError):
        MerkleTree([])


def test_single_leaf_tree_has_the_leaf_as_root_and_an_empty_proof() -> None:
    tree = MerkleTree.from_documents(_docs(1))
    assert tree.root == leaf(_docs(1)[0])
    assert tree.proof(0) == []
    assert tree.depth == 0


@pytest.mark.parametrize("size", [2, 3, 4, 5, 7, 8, 9, 16, 17, 100])
def test_every_proof_folds_to_the_root(size: int) -> None:
    tree = MerkleTree.from_documents(_docs(size))
    assert len(tree) == size
    for i, leaf_hash in enumerate(tree.leaves):
        proof = tree.proof(i)
        assert len(proof) <= tree.depth
        assert verify_proof(leaf_hash, proof, tree.root)
        assert process_proof(leaf_hash, tree.hex_proof(i)) == tree.root


def test_three_leaf_tree_shape() -> None:
    a, b, c = (leaf(d) for d in _docs(3))
    tree = MerkleTree([a, b, c])
    assert tree.root == hash_pair(hash_pair(a, b), c)
    assert tree.proof(2) == [hash_pair(a, b)]
    assert tree.proof(0) == [b, c]


def test_proof_index_out_of_range() -> None:
    tree = MerkleTree.from_documents(_docs(3))
    with pytest.raises(IndexError):
        tree.proof(3)
    with pytest.raises(IndexError):
        tree.proof(-1)


def test_wrong_leaf_or_proof_does_not_verify() -> None:
    tree = MerkleTree.from_documents(_docs(8))
    assert not verify_proof(tree.leaves[1], tree.proof(0), tree.root)
    assert not verify_proof(leaf(keccak(text="outsider")), tree.proof(0), tree.root)


# --- against the contract ------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def registry(deploy, accounts):
    reg = deploy("CertificateRegistry", accounts[0].address)
    reg.accreditIssuer(accounts[1].address, "did:example:issuer")
    return reg


def test_leaf_matches_the_contract(registry) -> None:
    for doc in _docs(5, "contract-leaf"):
        assert registry.leafOf(doc) == leaf(doc)  # view results are raw web3 values: bytes


@pytest.mark.parametrize("size", [1, 2, 3, 10, 33])
def test_contract_verifies_python_proofs(registry, accounts, size: int) -> None:
    docs = _docs(size, f"tree{size}")
    tree = MerkleTree.from_documents(docs)
    registry.issueBatch(tree.root, 0, b"\x00" * 32, sender=accounts[1])
    for i, doc in enumerate(docs):
        result = registry.verify(accounts[1].address, doc, tree.proof(i))
        assert result[0] == 1, (i, result)  # Status.Valid
        assert result[6] == tree.root
    outsider = keccak(text="not in the batch")
    assert registry.verify(accounts[1].address, outsider, tree.proof(0))[0] == 0  # Unknown
