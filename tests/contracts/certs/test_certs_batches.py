"""Certificate batches by Merkle root at scale: issuing 10 or 10,000 documents costs the same gas; documents in
the batch verify with their proofs, anything else reads Unknown. Also records the gas of the main operations."""

from __future__ import annotations

import pytest
from certs_helpers import SCHEMA_DIPLOMA, ZERO32, Roles, Status, calldata_gas, doc, verify

from pilotkit.contracts.handle import ContractHandle
from pilotkit.merkle import MerkleTree

INTRINSIC_TX_GAS = 21_000


def _docs(n: int, tag: str) -> list[bytes]:
    return [doc(f"{tag}-{i}") for i in range(n)]


@pytest.fixture(scope="module")
def small() -> tuple[list[bytes], MerkleTree]:
    docs = _docs(10, "small")
    return docs, MerkleTree.from_documents(docs)


@pytest.fixture(scope="module")
def large() -> tuple[list[bytes], MerkleTree]:
    docs = _docs(10_000, "large")
    return docs, MerkleTree.from_documents(docs)


def _execution_gas(reg: ContractHandle, result, function: str, *args) -> int:
    """Gas used minus the intrinsic cost (21,000 + calldata bytes), i.e. what the contract itself spent.

    The only thing that can differ between two batch issuances is the root in the calldata: a zero byte costs
    4 gas and a non-zero byte 16 (EIP-2028), so two roots may differ by up to 32 * 12 gas before any code runs.
    Subtracting the exact calldata cost leaves the execution gas, which must be identical. (EIP-7623's calldata
    floor on Prague only applies when execution is tiny; here execution is far above it, as the check shows.)
    """
    data = bytes.fromhex(reg.encode(function, *args)[2:])
    execution = result.gas_used - INTRINSIC_TX_GAS - calldata_gas(data)
    assert execution > 10 * len(data)  # far above the EIP-7623 floor, so gas_used = intrinsic + execution
    return execution


def test_batch_gas_does_not_depend_on_batch_size(reg, roles: Roles, chain, small, large) -> None:
    (_, tree10), (_, tree10k) = small, large
    assert (len(tree10), len(tree10k), tree10k.depth) == (10, 10_000, 14)
    expires = chain.time() + 365 * 86_400
    r10 = reg.issueBatch(tree10.root, expires, SCHEMA_DIPLOMA, sender=roles.issuer)
    r10k = reg.issueBatch(tree10k.root, expires, SCHEMA_DIPLOMA, sender=roles.issuer)
    e10 = _execution_gas(reg, r10, "issueBatch", tree10.root, expires, SCHEMA_DIPLOMA)
    e10k = _execution_gas(reg, r10k, "issueBatch", tree10k.root, expires, SCHEMA_DIPLOMA)
    assert e10 == e10k, (e10, e10k)
    # Total gas differs at most by the calldata price of the root's zero bytes.
    assert abs(r10.gas_used - r10k.gas_used) <= 32 * 12
    print(f"\ngas issueBatch: 10 docs {r10.gas_used} (execution {e10}), 10,000 docs {r10k.gas_used} "
          f"(execution {e10k})")


def test_batch_documents_verify_with_proofs_and_others_are_unknown(reg, roles, small, large) -> None:
    (docs10, tree10), (docs10k, tree10k) = small, large
    reg.issueBatch(tree10.root, 0, SCHEMA_DIPLOMA, sender=roles.issuer)
    reg.issueBatch(tree10k.root, 0, SCHEMA_DIPLOMA, sender=roles.issuer2)
    for i, d in enumerate(docs10):
        v = verify(reg, roles.issuer.address, d, tree10.proof(i))
        assert (v.status, v.issuer, v.root) == (Status.Valid, roles.issuer.address, tree10.root)
    sample = sorted({0, 1, 2, 511, 512, 4095, 4096, 5000, 8191, 8192, 9998, 9999} | set(range(37, 10_000, 997)))
    for i in sample:
        v = verify(reg, roles.issuer2.address, docs10k[i], tree10k.proof(i))
        assert (v.status, v.issuer, v.root) == (Status.Valid, roles.issuer2.address, tree10k.root), i
        assert verify(reg, roles.issuer.address, docs10k[i], tree10k.proof(i)).status is Status.Unknown, i
    # Not in the batch, or with the wrong proof, or without a proof: Unknown, with every field zero.
    outsiders = _docs(5, "not-in-any-batch")
    for n, d in enumerate(outsiders):
        assert verify(reg, roles.issuer.address, d, tree10k.proof(n * 1000)).status is Status.Unknown
        assert verify(reg, roles.issuer.address, d, tree10.proof(n)).status is Status.Unknown
    assert verify(reg, roles.issuer.address, docs10k[5], tree10k.proof(6)).status is Status.Unknown
    assert verify(reg, roles.issuer.address, docs10k[5], tree10k.proof(5)[:-1]).status is Status.Unknown
    assert verify(reg, roles.issuer.address, docs10k[5], []).status is Status.Unknown
    assert verify(reg, roles.issuer.address, docs10[0], tree10k.proof(0)).status is Status.Unknown
    unknown = verify(reg, roles.issuer.address, outsiders[0], tree10.proof(0))
    assert (unknown.issuer, unknown.root, unknown.issued_at) == ("0x" + "00" * 20, ZERO32, 0)


def test_document_revoked_deep_inside_a_large_batch(reg, roles, large) -> None:
    docs, tree = large
    reg.issueBatch(tree.root, 0, SCHEMA_DIPLOMA, sender=roles.issuer)
    result = reg.revoke(roles.issuer.address, docs[7777], tree.proof(7777), 5, sender=roles.issuer)
    v = verify(reg, roles.issuer.address, docs[7777], tree.proof(7777))
    assert (v.status, v.reason_code) == (Status.Revoked, 5)
    assert verify(reg, roles.issuer.address, docs[7776], tree.proof(7776)).status is Status.Valid
    assert verify(reg, roles.issuer.address, docs[7778], tree.proof(7778)).status is Status.Valid
    print(f"\ngas revoke (document in a 10,000 batch, 14-step proof): {result.gas_used}")


def test_gas_figures(reg, roles: Roles, chain, large) -> None:
    """Gas of the main certificate operations (printed; loose ceilings catch gross regressions only)."""
    docs, tree = large
    single = reg.issue(doc("gas-single"), doc("gas-subject"), chain.time() + 86_400, SCHEMA_DIPLOMA,
                       sender=roles.issuer)
    batch = reg.issueBatch(tree.root, 0, SCHEMA_DIPLOMA, sender=roles.issuer)
    revoke_single = reg.revoke(roles.issuer.address, doc("gas-single"), [], 1, sender=roles.issuer)
    revoke_doc = reg.revoke(roles.issuer.address, docs[1234], tree.proof(1234), 1, sender=roles.issuer)
    revoke_batch = reg.revokeBatch(roles.issuer.address, tree.root, 2, sender=roles.issuer)
    verify_single = reg.estimate_gas("verify", roles.issuer.address, doc("gas-single"), [])
    verify_deep = reg.estimate_gas("verify", roles.issuer.address, docs[4321], tree.proof(4321))
    figures = {
        "issue (single)": single.gas_used,
        "issueBatch (any size)": batch.gas_used,
        "revoke (single)": revoke_single.gas_used,
        "revoke (document in 10,000 batch)": revoke_doc.gas_used,
        "revokeBatch": revoke_batch.gas_used,
        "verify (single, eth_estimateGas)": verify_single,
        "verify (10,000 batch, 14-step proof, eth_estimateGas)": verify_deep,
    }
    print("\n" + "\n".join(f"gas {name}: {gas}" for name, gas in figures.items()))
    ceilings = {"issue (single)": 125_000, "issueBatch (any size)": 66_000, "revoke (single)": 48_000,
                "revoke (document in 10,000 batch)": 85_000, "revokeBatch": 46_000,
                "verify (single, eth_estimateGas)": 36_000,
                "verify (10,000 batch, 14-step proof, eth_estimateGas)": 55_000}
    for name, ceiling in ceilings.items():
        assert figures[name] <= ceiling, (name, figures[name])
