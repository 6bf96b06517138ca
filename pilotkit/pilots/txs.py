"""Fast, deterministic transaction building for replays: seed-derived keys, fixed fees, precomputed selectors.

A replay signs tens of thousands of transactions, so this module skips web3's contract machinery (about 3.6 ms
per encode) and eth-account's dict validation (about 0.4 ms per signature): calldata is a precomputed selector
plus `eth_abi.encode`, and an EIP-1559 transaction is RLP-encoded and signed with coincurve directly. The bytes
are identical to what eth-account produces (tests/pilots/test_txs.py checks it).
"""

from __future__ import annotations

from typing import Any

import coincurve
import rlp
from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import keccak, to_checksum_address

from pilotkit.contracts.abi import selector, type_string
from pilotkit.errors import PilotkitError

#: Fixed fee fields: the same on every run, so the same scenario gives the same transaction hashes.
MAX_FEE_PER_GAS = 100 * 10**9
MAX_PRIORITY_FEE_PER_GAS = 10**9


class ReplaySigner:
    """A key derived from the scenario seed and a role label. Never printed (repr shows the address only)."""

    __slots__ = ("_key", "address", "label", "raw_address")

    def __init__(self, secret: bytes, label: str) -> None:
        self._key = coincurve.PrivateKey(secret)
        self.raw_address = keccak(self._key.public_key.format(compressed=False)[1:])[-20:]
        self.address = to_checksum_address(self.raw_address)
        self.label = label

    @classmethod
    def derive(cls, seed: int, scenario: str, label: str) -> ReplaySigner:
        return cls(keccak(text=f"pilotkit replay key|{scenario}|{seed}|{label}"), label)

    def sign_digest(self, digest: bytes) -> bytes:
        """65-byte r || s || v (v = 27/28) signature of a 32-byte digest (EIP-712 messages)."""
        sig = self._key.sign_recoverable(digest, hasher=None)
        return sig[:64] + bytes([sig[64] + 27])

    def sign_tx(self, chain_id: int, nonce: int, to: bytes | None, data: bytes, gas: int) -> tuple[str, bytes]:
        """An EIP-1559 transaction with the fixed fees; returns (hash, raw bytes)."""
        fields: list[Any] = [chain_id, nonce, MAX_PRIORITY_FEE_PER_GAS, MAX_FEE_PER_GAS, gas, to or b"", 0, data, []]
        unsigned = b"\x02" + rlp.encode(fields)
        sig = self._key.sign_recoverable(keccak(unsigned), hasher=None)
        raw = b"\x02" + rlp.encode([*fields, sig[64], int.from_bytes(sig[:32], "big"),
                                    int.from_bytes(sig[32:64], "big")])
        return "0x" + keccak(raw).hex(), raw

    def __repr__(self) -> str:
        return f"ReplaySigner({self.address}, {self.label!r})"

    def __reduce__(self) -> Any:
        raise TypeError("a ReplaySigner holds a private key and cannot be pickled or copied")


class FastAbi:
    """Encode calls and decode results of one contract's ABI with precomputed selectors and type lists."""

    def __init__(self, name: str, abi: list[dict[str, Any]]) -> None:
        self.name = name
        self.functions: dict[str, list[tuple[bytes, list[str], list[str]]]] = {}
        for entry in abi:
            if entry.get("type") == "function":
                inputs = [type_string(i) for i in entry.get("inputs", [])]
                outputs = [type_string(o) for o in entry.get("outputs", [])]
                self.functions.setdefault(entry["name"], []).append((selector(entry), inputs, outputs))
        self.constructor = next(([type_string(i) for i in e.get("inputs", [])] for e in abi
                                 if e.get("type") == "constructor"), [])

    def _pick(self, function: str, count: int) -> tuple[bytes, list[str], list[str]]:
        overloads = [o for o in self.functions.get(function, []) if len(o[1]) == count]
        if len(overloads) != 1:
            raise PilotkitError(f"{self.name} has no single function {function} taking {count} argument(s)")
        return overloads[0]

    def encode(self, function: str, *args: Any) -> bytes:
        sel, inputs, _ = self._pick(function, len(args))
        return sel + abi_encode(inputs, list(args))

    def decode(self, function: str, count: int, data: bytes) -> tuple[Any, ...]:
        _, _, outputs = self._pick(function, count)
        return tuple(abi_decode(outputs, data))

    def deploy_data(self, bytecode: str, *args: Any) -> bytes:
        return bytes.fromhex(bytecode.removeprefix("0x")) + abi_encode(self.constructor, list(args))


def contract_address(sender: bytes, nonce: int) -> str:
    """The address a CREATE from `sender` at `nonce` deploys to."""
    return to_checksum_address(keccak(rlp.encode([sender, nonce]))[-20:])
