"""Merkle trees for document batches, compatible with OpenZeppelin `MerkleProof` (sorted-pair hashing).

Leaves are double-hashed exactly as pilotkit's contracts define them:
`leaf(docHash) = keccak256(bytes.concat(keccak256(abi.encode(docHash))))`, so a leaf can never be confused with
an inner node (second-preimage safe). Pairs are hashed in sorted order, so a proof is just the list of siblings
from the leaf up, with no left/right flags:

    tree = MerkleTree.from_documents(doc_hashes)
    registry.issueBatch(tree.root, expires_at, schema_id)
    registry.verify(issuer, doc_hashes[3], tree.proof(3))   # records are per issuer

An odd node at the end of a level is carried up unchanged (no duplication), which `MerkleProof.processProof`
handles because such a node simply has no sibling at that level.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from eth_utils import keccak

__all__ = ["MerkleTree", "hash_pair", "leaf", "process_proof", "to_bytes32", "verify_proof"]


def to_bytes32(value: bytes | bytearray | str) -> bytes:
    """A 32-byte value from bytes or a 0x-hex string; anything else of the wrong size raises ValueError."""
    if isinstance(value, str):
        text = value[2:] if value[:2] in ("0x", "0X") else value
        raw = bytes.fromhex(text)
    else:
        raw = bytes(value)
    if len(raw) != 32:
        raise ValueError(f"expected 32 bytes, got {len(raw)}")
    return raw


def leaf(doc_hash: bytes | bytearray | str) -> bytes:
    """The leaf of a document hash: `keccak256(keccak256(abi.encode(bytes32 docHash)))`.

    `abi.encode` of one `bytes32` is the 32 bytes themselves, so this is keccak applied twice.
    """
    return keccak(keccak(to_bytes32(doc_hash)))


def hash_pair(a: bytes, b: bytes) -> bytes:
    """OpenZeppelin's commutative pair hash: `keccak256(min(a, b) ++ max(a, b))`."""
    return keccak(a + b) if a <= b else keccak(b + a)


def process_proof(leaf_hash: bytes | str, proof: Iterable[bytes | str]) -> bytes:
    """The root obtained by folding `proof` over `leaf_hash` (as `MerkleProof.processProof`)."""
    node = to_bytes32(leaf_hash)
    for sibling in proof:
        node = hash_pair(node, to_bytes32(sibling))
    return node


def verify_proof(leaf_hash: bytes | str, proof: Iterable[bytes | str], root: bytes | str) -> bool:
    """Whether `proof` proves `leaf_hash` under `root`."""
    return process_proof(leaf_hash, proof) == to_bytes32(root)


class MerkleTree:
    """A Merkle tree over already-hashed leaves, kept level by level (leaves first, root last)."""

    def __init__(self, leaves: Sequence[bytes | str]) -> None:
        if not leaves:
            raise ValueError("a Merkle tree needs at least one leaf")
        level = [to_bytes32(x) for x in leaves]
        self._levels: list[list[bytes]] = [level]
        while len(level) > 1:
            level = [hash_pair(level[i], level[i + 1]) if i + 1 < len(level) else level[i]
                     for i in range(0, len(level), 2)]
            self._levels.append(level)

    @classmethod
    def from_documents(cls, doc_hashes: Iterable[bytes | str]) -> MerkleTree:
        """A tree whose leaves are `leaf(d)` for each document hash, in the given order."""
        return cls([leaf(d) for d in doc_hashes])

    @property
    def root(self) -> bytes:
        """The root (for a one-leaf tree, the leaf itself)."""
        return self._levels[-1][0]

    @property
    def leaves(self) -> list[bytes]:
        """The leaves, in order."""
        return list(self._levels[0])

    @property
    def depth(self) -> int:
        """Number of levels above the leaves (the longest proof length)."""
        return len(self._levels) - 1

    def __len__(self) -> int:
        return len(self._levels[0])

    def proof(self, index: int) -> list[bytes]:
        """Siblings of leaf `index` from the bottom up; folding them with `hash_pair` gives `root`."""
        if not 0 <= index < len(self):
            raise IndexError(f"leaf index {index} out of range for {len(self)} leaves")
        proof: list[bytes] = []
        for level in self._levels[:-1]:
            sibling = index ^ 1
            if sibling < len(level):
                proof.append(level[sibling])
            index //= 2
        return proof

    def hex_proof(self, index: int) -> list[str]:
        """`proof(index)` as 0x-hex strings (handy for contract calls and JSON)."""
        return ["0x" + p.hex() for p in self.proof(index)]
