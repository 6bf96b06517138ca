"""pilotkit.cash_claims: pure-Python properties of the builders, then agreement with CashProgramme itself
(cap verification in setClaimCap, claims with full and cap proofs, list batches, EIP-712 digests)."""

from __future__ import annotations

import hashlib
import hmac
import logging
import math

import pytest
from eth_abi import encode
from eth_utils import keccak
from hypothesis import given, settings
from hypothesis import strategies as st

from pilotkit.cash_claims import (
    BatchTree,
    ClaimTree,
    batch_leaf,
    beneficiary_id,
    cap_root,
    claim_leaf,
    claim_typed_data,
    spend_typed_data,
    typed_data_digest,
)
from pilotkit.merkle import process_proof

SECRET = b"a programme secret of 32 bytes!!"
USDC = 10**6
DAY = 86_400
ZERO32 = bytes(32)

# ----------------------------------------------------------------------------------------------------------------
# Keyed-hash ids
# ----------------------------------------------------------------------------------------------------------------


def test_beneficiary_id_is_hmac_sha256_of_the_canonical_identifier() -> None:
    expected = hmac.new(SECRET, b"KE-12345678", hashlib.sha256).digest()
    assert beneficiary_id(SECRET, "KE-12345678") == expected
    assert beneficiary_id(SECRET, "  KE-12345678\n") == expected  # surrounding whitespace is not identity
    assert beneficiary_id(SECRET, "Jos\u00e9") == beneficiary_id(SECRET, "Jose\u0301")  # NFC: one person, one id
    assert len(expected) == 32


def test_beneficiary_id_depends_on_the_secret() -> None:
    assert beneficiary_id(SECRET, "KE-1") != beneficiary_id(b"another programme secret 32 b!!", "KE-1")
    assert beneficiary_id(SECRET, "KE-1") != keccak(text="KE-1")


@pytest.mark.parametrize(
    ("secret", "identifier", "error"),
    [
        (b"short", "KE-1", ValueError),
        (SECRET, "", ValueError),
        (SECRET, "   ", ValueError),
        (SECRET, b"KE-1", TypeError),
        ("a str secret of more than 16 chars", "KE-1", ValueError),
    ],
)
def test_beneficiary_id_rejections(secret, identifier, error) -> None:
    with pytest.raises(error):
        beneficiary_id(secret, identifier)


def test_beneficiary_id_never_shows_the_identifier(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    raw = "national-id 1987-0042-SECRET"
    beneficiary_id(SECRET, raw)
    with pytest.raises(ValueError) as failure:
        beneficiary_id(b"short", raw)
    assert raw not in str(failure.value)
    assert raw not in caplog.text


# ----------------------------------------------------------------------------------------------------------------
# Leaves and trees (pure)
# ----------------------------------------------------------------------------------------------------------------


def test_leaves_are_double_hashed_abi_encodings() -> None:
    assert claim_leaf(7, 25 * USDC) == keccak(keccak(encode(["uint256", "uint256"], [7, 25 * USDC])))
    assert batch_leaf([1, 2], [3, 4]) == keccak(keccak(encode(["uint256[]", "uint256[]"], [[1, 2], [3, 4]])))
    with pytest.raises(ValueError):
        claim_leaf(-1, 1)
    with pytest.raises(ValueError):
        claim_leaf(1, 2**256)


AMOUNT_MAPS = st.dictionaries(st.integers(1, 5_000), st.integers(1, 10**12), min_size=1, max_size=60)
CAP_SIZES = st.sampled_from([1, 2, 4, 8, 16, 64])


@settings(max_examples=60, deadline=None)
@given(amounts=AMOUNT_MAPS, cap_size=CAP_SIZES)
def test_every_proof_reaches_the_root_and_every_cap_proof_its_cap_node(amounts: dict[int, int], cap_size: int) -> None:
    tree = ClaimTree(amounts, cap_size)
    assert len(tree) == len(amounts) and tree.indexes == sorted(amounts)
    assert cap_root(tree.cap_nodes) == tree.root
    assert len(tree.cap_nodes) == cap_size
    for index, amount in amounts.items():
        assert tree.amount(index) == amount and index in tree
        assert process_proof(claim_leaf(index, amount), tree.cap_proof(index)) == tree.cap_nodes[index % cap_size]
        assert process_proof(claim_leaf(index, amount), tree.proof(index)) == tree.root
        assert len(tree.proof(index)) == len(tree.cap_proof(index)) + int(math.log2(cap_size))
    for residue in range(cap_size):
        if not any(i % cap_size == residue for i in amounts):
            assert tree.cap_nodes[residue] == ZERO32


def test_claim_tree_without_cap_is_a_plain_tree() -> None:
    tree = ClaimTree({3: 1, 1: 2, 2: 3})
    assert tree.cap_nodes == [tree.root]
    assert tree.cap_chunks() == []
    assert tree.cap_proof(2) == tree.proof(2)


def test_claim_tree_rejections() -> None:
    for amounts, cap in (({}, 1), ({1: 1}, 3), ({1: 1}, 2048), ({1: 1}, 0), ({0: 1}, 1), ({1: 0}, 1)):
        with pytest.raises(ValueError):
            ClaimTree(amounts, cap)
    with pytest.raises(KeyError):
        ClaimTree({1: 1}).proof(2)
    with pytest.raises(ValueError):
        ClaimTree({1: 1}, 4).cap_chunks(chunk=0)
    with pytest.raises(ValueError):
        cap_root([ZERO32] * 3)


def test_cap_chunks_cover_the_cap_in_order() -> None:
    tree = ClaimTree({i: 1 for i in range(1, 2000)}, 1024)
    chunks = tree.cap_chunks()
    assert [(offset, len(nodes)) for offset, nodes in chunks] == [
        (0, 250),
        (250, 250),
        (500, 250),
        (750, 250),
        (1000, 24),
    ]
    assert [n for _, nodes in chunks for n in nodes] == tree.cap_nodes


def test_a_100k_tree_has_17_step_proofs_and_7_step_cap_proofs() -> None:
    tree = ClaimTree({i: USDC for i in range(1, 100_001)}, 1024)
    sample = range(1, 100_001, 997)
    # Subtrees of 97-98 leaves: depth 7; a leaf carried up past a level (odd tail) has a shorter proof.
    assert max(len(tree.proof(i)) for i in sample) == 17
    assert max(len(tree.cap_proof(i)) for i in sample) == 7
    assert all(len(tree.proof(i)) == len(tree.cap_proof(i)) + 10 for i in sample)


def test_batch_tree() -> None:
    batches = [([1, 2], [3, 4]), ([5], [6]), ([7, 8, 9], [1, 1, 1])]
    tree = BatchTree(batches)
    assert len(tree) == 3 and list(tree) == [([1, 2], [3, 4]), ([5], [6]), ([7, 8, 9], [1, 1, 1])]
    for number, (indexes, amounts) in enumerate(batches):
        assert process_proof(batch_leaf(indexes, amounts), tree.proof(number)) == tree.root
    bad_trees: list[list[tuple[list[int], list[int]]]] = [[], [([1], [])], [([], [])]]
    for bad in bad_trees:
        with pytest.raises(ValueError):
            BatchTree(bad)


def test_typed_data_shapes() -> None:
    programme = "0x" + "ab" * 20
    claim = claim_typed_data(1, programme, 2, 3, 4, 5)
    assert claim["primaryType"] == "Claim"
    assert claim["domain"] == {
        "name": "pilotkit CashProgramme",
        "version": "1",
        "chainId": 1,
        "verifyingContract": "0xABaBaBaBABabABabAbAbABAbABabababaBaBABaB",
    }
    assert claim["message"] == {"roundId": 2, "index": 3, "amount": 4, "deadline": 5}
    spend = spend_typed_data(1, programme, 3, programme, 4, 0, 5)
    assert spend["primaryType"] == "Spend" and spend["message"]["nonce"] == 0
    assert [f["name"] for f in spend["types"]["Spend"]] == ["index", "merchant", "amount", "nonce", "deadline"]


# ----------------------------------------------------------------------------------------------------------------
# Against the contract
# ----------------------------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def programme(deploy, accounts):
    """A direct-mode programme: dev0 admin and every role; dev1..dev5 enrolled at indexes 1..5; funded."""
    admin = accounts[0]
    token = deploy("TestStablecoin", "Test USD", "tUSD", admin.address, sender=admin)
    prog = deploy("CashProgramme", (admin.address, token.address, False, 3 * DAY, 30 * DAY, 10**12), sender=admin)
    for role in ("REGISTRAR_ROLE", "DISBURSER_ROLE"):
        prog.grantRole(keccak(text=role), admin.address, sender=admin)
    prog.grantRole(keccak(text="APPROVER_ROLE"), accounts[9].address, sender=admin)
    token.mint(admin.address, 10**15, sender=admin)
    token.approve(prog.address, 2**256 - 1, sender=admin)
    prog.enrolBatch(
        [beneficiary_id(SECRET, f"person-{i}") for i in range(1, 6)],
        [accounts[i].address for i in range(1, 6)],
        sender=admin,
    )
    return prog, token


def _round(prog, accounts, chain, kind: int, root: bytes, amount: int = 10**9) -> int:
    now = chain.window_start(DAY, period=30 * DAY)  # rounds must lie in one cap period
    admin = accounts[0]
    result = prog.proposeRound((kind, 10**12, amount, now, now + DAY, root, admin.address, ZERO32), sender=admin)
    return int(result.events_named("RoundProposed")[0]["roundId"])


@pytest.mark.parametrize(("leaves", "cap_size"), [(5, 2), (5, 4), (5, 8), (37, 16), (300, 64), (3000, 1024)])
def test_contract_accepts_the_cap_and_both_proofs(programme, accounts, chain, leaves: int, cap_size: int) -> None:
    prog, _ = programme
    tree = ClaimTree({i: i * 1_000 + 7 for i in range(1, leaves + 1)}, cap_size)
    round_id = _round(prog, accounts, chain, 2, tree.root)
    for offset, nodes in tree.cap_chunks():
        prog.setClaimCap(round_id, cap_size, offset, nodes, sender=accounts[0])
    assert int(prog.round(round_id)[13]) == cap_size
    assert [prog.claimNode(round_id, p) for p in range(min(cap_size, 8))] == tree.cap_nodes[:8]
    prog.approveRound(round_id, sender=accounts[9])
    for index in (1, 2):
        prog.claim(round_id, index, tree.amount(index), tree.cap_proof(index), sender=accounts[index])
    for index in (3, 4):
        prog.claim(round_id, index, tree.amount(index), tree.proof(index), sender=accounts[index])


def test_contract_pays_committed_list_batches(programme, accounts, chain) -> None:
    prog, token = programme
    tree = BatchTree([([1, 2], [5, 6]), ([3], [7]), ([4, 5], [8, 9])])
    round_id = _round(prog, accounts, chain, 1, tree.root)
    prog.approveRound(round_id, sender=accounts[9])
    before = token.balanceOf(accounts[4].address)
    for number, (indexes, amounts) in enumerate(tree):
        prog.payList(round_id, indexes, amounts, tree.proof(number), sender=accounts[0])
    assert token.balanceOf(accounts[4].address) == before + 8


def test_contract_digests_match(programme, accounts, web3) -> None:
    prog, _ = programme
    chain_id = int(web3.eth.chain_id)
    assert prog.claimDigest(1, 2, 3, 4) == typed_data_digest(claim_typed_data(chain_id, prog.address, 1, 2, 3, 4))
    merchant = accounts[8].address
    assert prog.spendDigest(1, merchant, 3, 4, 5) == typed_data_digest(
        spend_typed_data(chain_id, prog.address, 1, merchant, 3, 4, 5)
    )


def test_keyed_ids_enrol(programme, accounts) -> None:
    prog, _ = programme
    assert prog.beneficiaryIndex(beneficiary_id(SECRET, "person-3")) == 3
