"""Off-chain builders for `CashProgramme` (contracts/cash): beneficiary ids, Merkle trees, EIP-712 messages.

Everything here matches the contract bit for bit (tests/test_cash_claims.py checks it against the contract):

- `beneficiary_id(secret, raw_identifier)`: the keyed-hash id (HMAC-SHA-256, see contracts/common/KeyedHash.sol).
- `claim_leaf(index, amount)`: `keccak256(bytes.concat(keccak256(abi.encode(index, amount))))` (MerkleClaim).
- `batch_leaf(indexes, amounts)`: `keccak256(bytes.concat(keccak256(abi.encode(indexes, amounts))))` (ListPush).
- `ClaimTree`: a MerkleClaim round's tree in the "Merkle cap" shape that `setClaimCap` expects: one subtree per
  residue `index % cap_size` (leaves in index order), then pairwise levels over the `cap_size` subtree roots.
  `proof(i)` goes up to the root (always accepted), `cap_proof(i)` only up to cap node `i % cap_size` (accepted
  once the cap is set: shorter calldata), `cap_chunks()` are the `setClaimCap` calls.
- `BatchTree`: a ListPush round's tree over whole batches.
- `claim_typed_data` / `spend_typed_data`: EIP-712 messages for `claimFor` / `spendFor`, ready for
  `Signer.sign_typed_data`.

Trees use OpenZeppelin's sorted-pair hashing through `pilotkit.merkle.MerkleTree`.

    tree = ClaimTree({1: 25_000_000, 2: 25_000_000, 7: 10_000_000}, cap_size=2)
    programme.proposeRound((MERKLE_CLAIM, budget, cap, opens, closes, tree.root, funder, plan), sender=disburser)
    for offset, nodes in tree.cap_chunks():
        programme.setClaimCap(round_id, tree.cap_size, offset, nodes, sender=disburser)
    programme.claim(round_id, 7, 10_000_000, tree.cap_proof(7), sender=wallet_of_7)
"""

from __future__ import annotations

import hashlib
import hmac
import unicodedata
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from pilotkit.merkle import MerkleTree, hash_pair

__all__ = [
    "DOMAIN_NAME",
    "DOMAIN_VERSION",
    "MAX_BATCH",
    "MAX_CLAIM_CAP",
    "BatchTree",
    "ClaimTree",
    "batch_leaf",
    "beneficiary_id",
    "cap_root",
    "claim_leaf",
    "claim_typed_data",
    "domain",
    "spend_typed_data",
    "typed_data_digest",
]

DOMAIN_NAME = "pilotkit CashProgramme"
DOMAIN_VERSION = "1"
MAX_CLAIM_CAP = 1024  # CashProgramme.MAX_CLAIM_CAP
MAX_BATCH = 250  # CashProgramme.MAX_BATCH: most cap nodes per setClaimCap call
_ZERO32 = bytes(32)
_U256 = 1 << 256

_EIP712_DOMAIN = [
    {"name": "name", "type": "string"},
    {"name": "version", "type": "string"},
    {"name": "chainId", "type": "uint256"},
    {"name": "verifyingContract", "type": "address"},
]
_CLAIM = [
    {"name": "roundId", "type": "uint256"},
    {"name": "index", "type": "uint256"},
    {"name": "amount", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]
_SPEND = [
    {"name": "index", "type": "uint256"},
    {"name": "merchant", "type": "address"},
    {"name": "amount", "type": "uint256"},
    {"name": "nonce", "type": "uint256"},
    {"name": "deadline", "type": "uint256"},
]


# ---------------------------------------------------------------------------------------------------------------
# Keyed-hash ids
# ---------------------------------------------------------------------------------------------------------------


def beneficiary_id(secret: bytes, raw_identifier: str) -> bytes:
    """The on-chain id of a person: HMAC-SHA-256(key=secret, message=canonical identifier), 32 bytes.

    The canonical form is the identifier in Unicode NFC, stripped of surrounding whitespace, encoded as UTF-8
    (a programme that needs more normalisation, e.g. of phone numbers, does it before calling). `secret` is the
    programme's own key (at least 16 bytes, never on chain). Errors never quote the identifier.
    """
    if not isinstance(secret, (bytes, bytearray)) or len(secret) < 16:
        raise ValueError("the programme secret must be at least 16 bytes")
    if not isinstance(raw_identifier, str):
        raise TypeError("the identifier must be a str")
    canonical = unicodedata.normalize("NFC", raw_identifier).strip()
    if not canonical:
        raise ValueError("the identifier is empty")
    digest = hmac.new(bytes(secret), canonical.encode("utf-8"), hashlib.sha256).digest()
    if digest == _ZERO32:  # reserved "no id" (KeyedHash.isValid); never happens in practice
        raise ValueError("the keyed hash is the reserved zero id")
    return digest


# ---------------------------------------------------------------------------------------------------------------
# Leaves
# ---------------------------------------------------------------------------------------------------------------


def _word(value: int) -> bytes:
    if not 0 <= value < _U256:
        raise ValueError(f"{value} does not fit in uint256")
    return value.to_bytes(32, "big")


def claim_leaf(index: int, amount: int) -> bytes:
    """Leaf of a MerkleClaim round: `keccak256(keccak256(abi.encode(uint256 index, uint256 amount)))`."""
    return keccak(keccak(_word(index) + _word(amount)))


def batch_leaf(indexes: Sequence[int], amounts: Sequence[int]) -> bytes:
    """Leaf of a ListPush batch: `keccak256(keccak256(abi.encode(uint256[] indexes, uint256[] amounts)))`."""
    return keccak(keccak(abi_encode(["uint256[]", "uint256[]"], [list(indexes), list(amounts)])))


# ---------------------------------------------------------------------------------------------------------------
# Trees
# ---------------------------------------------------------------------------------------------------------------


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


class ClaimTree:
    """A MerkleClaim round's tree in the cap shape, over `{index: amount}`.

    Leaves of the indexes with residue `r = index % cap_size` form subtree `r` (in increasing index order); the
    `cap_size` subtree roots are the cap nodes, hashed pairwise (node 2j with 2j+1) up to the root. A residue
    with no index gets the zero node, which no proof can reach. With `cap_size=1` this is a plain tree over all
    leaves in index order, and `cap_proof == proof`.
    """

    def __init__(self, amounts: Mapping[int, int], cap_size: int = 1) -> None:
        if not amounts:
            raise ValueError("a claim tree needs at least one leaf")
        if not _is_power_of_two(cap_size) or cap_size > MAX_CLAIM_CAP:
            raise ValueError(f"cap size must be a power of two from 1 to {MAX_CLAIM_CAP}, got {cap_size}")
        for index, amount in amounts.items():
            if index < 1 or amount < 1:
                raise ValueError(f"indexes and amounts must be positive (index {index}, amount {amount})")
        self.cap_size = cap_size
        self._amounts = dict(amounts)
        residues: list[list[int]] = [[] for _ in range(cap_size)]
        for index in sorted(self._amounts):
            residues[index % cap_size].append(index)
        self._position: dict[int, int] = {}
        self._subtrees: list[MerkleTree | None] = []
        for members in residues:
            self._position.update((index, i) for i, index in enumerate(members))
            self._subtrees.append(MerkleTree([claim_leaf(i, self._amounts[i]) for i in members]) if members else None)
        self._top = MerkleTree([t.root if t else _ZERO32 for t in self._subtrees])

    def __len__(self) -> int:
        return len(self._amounts)

    def __contains__(self, index: object) -> bool:
        return index in self._amounts

    @property
    def root(self) -> bytes:
        """The round's root (`RoundParams.root`)."""
        return self._top.root

    @property
    def cap_nodes(self) -> list[bytes]:
        """The `cap_size` cap nodes in position order (subtree roots; zero for an empty residue)."""
        return self._top.leaves

    @property
    def indexes(self) -> list[int]:
        """The indexes in the tree, in increasing order."""
        return sorted(self._amounts)

    def amount(self, index: int) -> int:
        """The amount in `index`'s leaf."""
        return self._amounts[index]

    def leaf(self, index: int) -> bytes:
        """`claim_leaf(index, amount(index))`."""
        return claim_leaf(index, self._amounts[index])

    def cap_proof(self, index: int) -> list[bytes]:
        """Proof of `index`'s leaf up to cap node `index % cap_size` (for a round whose cap is set)."""
        if index not in self._amounts:
            raise KeyError(f"index {index} is not in the tree")
        subtree = self._subtrees[index % self.cap_size]
        assert subtree is not None
        return subtree.proof(self._position[index])

    def proof(self, index: int) -> list[bytes]:
        """Full proof of `index`'s leaf up to the root (accepted with or without a cap)."""
        return self.cap_proof(index) + self._top.proof(index % self.cap_size)

    def cap_chunks(self, chunk: int = MAX_BATCH) -> list[tuple[int, list[bytes]]]:
        """`(offset, nodes)` for each `setClaimCap(roundId, cap_size, offset, nodes)` call, in order (the last one
        completes and verifies the cap). Empty when `cap_size == 1` (no cap to set)."""
        if self.cap_size == 1:
            return []
        if not 1 <= chunk <= MAX_BATCH:
            raise ValueError(f"chunk must be 1 to {MAX_BATCH}")
        nodes = self.cap_nodes
        return [(offset, nodes[offset : offset + chunk]) for offset in range(0, self.cap_size, chunk)]


def cap_root(nodes: Sequence[bytes]) -> bytes:
    """The root a list of cap nodes hashes up to, as `setClaimCap` computes it."""
    level = list(nodes)
    if not _is_power_of_two(len(level)):
        raise ValueError("a cap has a power-of-two number of nodes")
    while len(level) > 1:
        level = [hash_pair(level[i], level[i + 1]) for i in range(0, len(level), 2)]
    return level[0]


class BatchTree:
    """A ListPush round's tree: one leaf per pre-committed batch `(indexes, amounts)`, in the given order."""

    def __init__(self, batches: Sequence[tuple[Sequence[int], Sequence[int]]]) -> None:
        if not batches:
            raise ValueError("a batch tree needs at least one batch")
        for indexes, amounts in batches:
            if len(indexes) != len(amounts) or not indexes:
                raise ValueError("each batch needs equal, non-zero numbers of indexes and amounts")
        self.batches = [(list(i), list(a)) for i, a in batches]
        self._tree = MerkleTree([batch_leaf(i, a) for i, a in self.batches])

    def __len__(self) -> int:
        return len(self.batches)

    def __iter__(self) -> Iterator[tuple[list[int], list[int]]]:
        return iter(self.batches)

    @property
    def root(self) -> bytes:
        """The round's root (`RoundParams.root`)."""
        return self._tree.root

    def proof(self, batch: int) -> list[bytes]:
        """Proof of batch number `batch` (position in the list) for `payList`."""
        return self._tree.proof(batch)


# ---------------------------------------------------------------------------------------------------------------
# EIP-712
# ---------------------------------------------------------------------------------------------------------------


def domain(chain_id: int, programme: str) -> dict[str, Any]:
    """The programme's EIP-712 domain."""
    return {
        "name": DOMAIN_NAME,
        "version": DOMAIN_VERSION,
        "chainId": int(chain_id),
        "verifyingContract": to_checksum_address(programme),
    }


def claim_typed_data(
    chain_id: int, programme: str, round_id: int, index: int, amount: int, deadline: int
) -> dict[str, Any]:
    """Typed data a beneficiary's wallet signs so a relayer can `claimFor` it."""
    return {
        "types": {"EIP712Domain": _EIP712_DOMAIN, "Claim": _CLAIM},
        "primaryType": "Claim",
        "domain": domain(chain_id, programme),
        "message": {"roundId": round_id, "index": index, "amount": amount, "deadline": deadline},
    }


def spend_typed_data(
    chain_id: int, programme: str, index: int, merchant: str, amount: int, nonce: int, deadline: int
) -> dict[str, Any]:
    """Typed data a beneficiary's wallet signs so a merchant's till can `spendFor` it (`nonce`: `nonces(wallet)`)."""
    return {
        "types": {"EIP712Domain": _EIP712_DOMAIN, "Spend": _SPEND},
        "primaryType": "Spend",
        "domain": domain(chain_id, programme),
        "message": {
            "index": index,
            "merchant": to_checksum_address(merchant),
            "amount": amount,
            "nonce": nonce,
            "deadline": deadline,
        },
    }


def typed_data_digest(full_message: dict[str, Any]) -> bytes:
    """The EIP-712 digest of typed data (what `claimDigest`/`spendDigest` return; what an ERC-1271 wallet's owner
    signs)."""
    from eth_account.messages import encode_typed_data

    signable = encode_typed_data(full_message=full_message)
    return keccak(b"\x19" + signable.version + signable.header + signable.body)
