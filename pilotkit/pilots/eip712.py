"""EIP-712 digests for the replay's relayed operations, computed directly (eth-account's generic encoder costs
about a millisecond per message; a replay signs thousands). Checked against pilotkit.cash_claims in tests."""

from __future__ import annotations

from eth_abi import encode
from eth_utils import keccak

_DOMAIN_TYPE = keccak(text="EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")
CLAIM_TYPE = keccak(text="Claim(uint256 roundId,uint256 index,uint256 amount,uint256 deadline)")
SPEND_TYPE = keccak(text="Spend(uint256 index,address merchant,uint256 amount,uint256 nonce,uint256 deadline)")
ISSUE_CERTIFICATE_TYPE = keccak(
    text="IssueCertificate(bytes32 docHash,bytes32 subject,uint64 expiresAt,bytes32 schemaId,uint256 deadline)"
)


def domain_separator(name: str, version: str, chain_id: int, contract: str) -> bytes:
    return keccak(encode(["bytes32", "bytes32", "bytes32", "uint256", "address"],
                         [_DOMAIN_TYPE, keccak(text=name), keccak(text=version), chain_id, contract]))


def digest(separator: bytes, type_hash: bytes, types: list[str], values: list[object]) -> bytes:
    struct = keccak(encode(["bytes32", *types], [type_hash, *values]))
    return keccak(b"\x19\x01" + separator + struct)
