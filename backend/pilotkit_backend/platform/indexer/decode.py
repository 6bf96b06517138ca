"""Decoding raw JSON-RPC logs (hex strings) into an event name and canonical JSON args.

The result is what `EventDecoder.decode_log` yields, serialised as `canonical_json` (sorted keys, no spaces).
Events whose arguments are all static elementary types (address, bool, uintN, intN, bytesN — e.g. ERC-20
Transfer) are turned straight from hex words into JSON text, several times faster than eth_abi + json;
anything else, and any word that is not canonically padded, goes through `EventDecoder` itself, so the
results agree by construction (the tests also check them against `EventDecoder` on real logs).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from eth_hash.auto import keccak as keccak256

from pilotkit.contracts.abi import signature, type_string
from pilotkit.contracts.events import EventDecoder

RawLog = Mapping[str, Any]
_ZERO24 = "0" * 24
_FALSE = "0" * 64
_TRUE = "0" * 63 + "1"
_LETTERS = bytes(0x20 if chr(i) in "abcdef" else 0 for i in range(256))
_HIGH_NIBBLES = bytes(0x20 if chr(i) in "89abcdef" else 0 for i in range(256))


def canonical_json(value: Any) -> str:
    """Deterministic JSON text (sorted keys, no whitespace, ASCII); integers of any size stay exact."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"))


def checksum_address(lower_hex40: str) -> str:
    """EIP-55 checksum of 40 lowercase hex digits, using bytes/int operations instead of a per-digit loop.

    A letter is upper-cased (its 0x20 bit cleared) where the keccak of the address has a nibble >= 8.
    """
    raw = lower_hex40.encode()
    digest = keccak256(raw).hex()[:40].encode()
    mask = int.from_bytes(raw.translate(_LETTERS), "big") & int.from_bytes(digest.translate(_HIGH_NIBBLES), "big")
    return "0x" + (int.from_bytes(raw, "big") ^ mask).to_bytes(40, "big").decode()


class _NotCanonical(Exception):
    """A word the fast path will not judge; the log goes through EventDecoder instead."""


@dataclass(frozen=True)
class DecodedLog:
    """The decoded part of one log: `name` is None when no ABI matches (args then hold topics and data)."""

    name: str | None
    args_json: str

    @property
    def args(self) -> dict[str, Any]:
        return dict(json.loads(self.args_json))


class _Checksums:
    """A bounded cache of checksummed addresses (the same few addresses recur in most logs)."""

    def __init__(self, limit: int = 200_000) -> None:
        self._cache: dict[str, str] = {}
        self._limit = limit

    def __call__(self, lower_hex40: str) -> str:
        found = self._cache.get(lower_hex40)
        if found is None:
            if len(self._cache) >= self._limit:
                self._cache.clear()
            found = self._cache[lower_hex40] = checksum_address(lower_hex40)
        return found


Reader = Callable[[str], str]


def _word_reader(kind: str, checksum: _Checksums) -> Reader | None:
    """A converter from one 64-hex-digit word to the JSON text of EventDecoder's value, or None."""
    if kind == "address":
        def read_address(word: str) -> str:
            if word[:24] != _ZERO24:
                raise _NotCanonical
            return '"' + checksum(word[24:]) + '"'
        return read_address
    if kind == "bool":
        def read_bool(word: str) -> str:
            if word == _FALSE:
                return "false"
            if word == _TRUE:
                return "true"
            raise _NotCanonical
        return read_bool
    if kind.startswith("uint") and kind[4:].isdigit():
        bits = int(kind[4:])
        def read_uint(word: str) -> str:
            value = int(word, 16)
            if value >> bits:
                raise _NotCanonical
            return str(value)
        return read_uint
    if kind.startswith("int") and kind[3:].isdigit():
        bits = int(kind[3:])
        low, high = -(1 << (bits - 1)), 1 << (bits - 1)
        def read_int(word: str) -> str:
            value = int(word, 16)
            if value >> 255:
                value -= 1 << 256
            if not low <= value < high:
                raise _NotCanonical
            return str(value)
        return read_int
    if kind.startswith("bytes") and kind[5:].isdigit():
        size = int(kind[5:]) * 2
        padding = "0" * (64 - size)
        def read_bytes(word: str) -> str:
            if word[size:] != padding:
                raise _NotCanonical
            return '"0x' + word[:size] + '"'
        return read_bytes
    return None


def _keep_topic(word: str) -> str:
    """Dynamic indexed values (string, bytes, arrays, tuples) are only their hash: keep it as 0x-hex."""
    return '"0x' + word + '"'


def _is_hashed_topic(kind: str) -> bool:
    return kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("(")


class _FastEvent:
    """One event ABI entry compiled into word readers and a JSON template with the keys pre-sorted."""

    def __init__(self, entry: dict[str, Any], checksum: _Checksums) -> None:
        self.name: str = entry["name"]
        self.supported = True
        names: list[str] = []
        topic_readers: list[Reader] = []
        data_readers: list[Reader] = []
        sources: list[tuple[bool, int]] = []  # per input: (from a topic?, index among topics or data words)
        for position, param in enumerate(entry.get("inputs", [])):
            names.append(param.get("name") or f"arg{position}")
            kind = type_string(param)
            reader = _keep_topic if param.get("indexed") and _is_hashed_topic(kind) else _word_reader(kind, checksum)
            if reader is None:
                self.supported = False
                continue
            target = topic_readers if param.get("indexed") else data_readers
            sources.append((bool(param.get("indexed")), len(target)))
            target.append(reader)
        if len(set(names)) != len(names):  # duplicate names collapse in a dict: leave those to EventDecoder
            self.supported = False
        self.topic_readers = topic_readers
        self.data_readers = data_readers
        self.data_len = 64 * len(data_readers)
        order = sorted(range(len(names)), key=lambda i: names[i]) if self.supported else []
        self.plan = [(("{" if rank == 0 else ",") + json.dumps(names[i]) + ":", sources[i]) for rank, i in
                     enumerate(order)]

    def to_json(self, topics: list[str], data: str) -> str:
        """Args as canonical JSON from lowercase hex topics and data (no 0x); raises _NotCanonical to defer."""
        if len(data) != self.data_len:
            raise _NotCanonical
        from_topics = [reader(topic[2:]) for reader, topic in zip(self.topic_readers, topics[1:], strict=True)]
        from_data = [reader(data[i * 64:i * 64 + 64]) for i, reader in enumerate(self.data_readers)]
        parts = []
        for prefix, (indexed, index) in self.plan:
            parts.append(prefix)
            parts.append(from_topics[index] if indexed else from_data[index])
        parts.append("}" if parts else "{}")
        return "".join(parts)


class _AbiDecoder:
    """Fast entries plus the EventDecoder for one ABI (or several)."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]], checksum: _Checksums) -> None:
        abis = list(abis)
        self.slow = EventDecoder(abis)
        self.fast: dict[tuple[str, int], _FastEvent | None] = {}
        for abi in abis:
            for entry in abi:
                if entry.get("type") != "event" or entry.get("anonymous"):
                    continue
                inputs = entry.get("inputs", [])
                text = signature(entry)
                key = ("0x" + keccak256(text.encode()).hex(), sum(1 for i in inputs if i.get("indexed")))
                if key not in self.fast:  # the first ABI entry wins, as in EventDecoder
                    compiled = _FastEvent(entry, checksum)
                    self.fast[key] = compiled if compiled.supported else None


class LogDecoder:
    """Decodes logs per contract address with that contract's ABI first, then the shared (project) ABIs."""

    def __init__(self, contract_abis: Mapping[str, list[dict[str, Any]]],
                 shared: Iterable[list[dict[str, Any]]] = ()) -> None:
        self._checksum = _Checksums()
        self._per_address = {address.lower(): _AbiDecoder([abi], self._checksum)
                             for address, abi in contract_abis.items()}
        shared = list(shared)
        self._shared = _AbiDecoder(shared, self._checksum) if shared else None

    def checksum(self, address: str) -> str:
        """Checksummed form of a 0x address (cached)."""
        return self._checksum(address[2:].lower())

    def decode(self, log: RawLog) -> DecodedLog:
        """Name and canonical JSON args of one raw log (hex-string fields, as eth_getLogs returns them)."""
        topics = [topic.lower() for topic in log["topics"]]
        data = str(log["data"])[2:].lower()
        if topics:
            key = (topics[0], len(topics) - 1)
            for decoder in (self._per_address.get(str(log["address"]).lower()), self._shared):
                if decoder is None or key not in decoder.fast:
                    continue
                fast = decoder.fast[key]
                if fast is not None:
                    try:
                        return DecodedLog(fast.name, fast.to_json(topics, data))
                    except _NotCanonical:
                        pass
                event = _slow_decode(decoder.slow, log)
                if event is not None:
                    return event
        return DecodedLog(None, canonical_json({"data": "0x" + data, "topics": topics}))


def _slow_decode(decoder: EventDecoder, log: RawLog) -> DecodedLog | None:
    shaped = {
        "topics": [bytes.fromhex(topic[2:]) for topic in log["topics"]],
        "data": bytes.fromhex(str(log["data"])[2:]),
        "address": log["address"],
        "logIndex": int(log["logIndex"], 16),
        "transactionHash": bytes.fromhex(str(log["transactionHash"])[2:]),
        "blockNumber": int(log["blockNumber"], 16),
    }
    try:
        event = decoder.decode_log(shaped)
    except Exception:  # a malformed indexed word: EventDecoder raises where a bad data part returns None
        return None
    return None if event is None else DecodedLog(event.name, canonical_json(event.args))
