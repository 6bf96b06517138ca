"""The indexer's log decoder gives exactly what pilotkit's EventDecoder gives, as canonical JSON."""

from __future__ import annotations

import json
import random
from typing import Any

import pytest
from eth_abi import encode
from eth_utils import keccak, to_checksum_address
from pilotkit_backend.platform.indexer.decode import LogDecoder, canonical_json, checksum_address

from pilotkit.contracts.events import EventDecoder

ADDRESS = "0x00000000000000000000000000000000000000aa"


def _param(name: str, kind: str, indexed: bool, components: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    param: dict[str, Any] = {"name": name, "type": kind, "indexed": indexed}
    if components is not None:
        param["components"] = components
    return param


ABI: list[dict[str, Any]] = [
    {"type": "event", "name": "Static", "anonymous": False, "inputs": [
        _param("who", "address", True), _param("flag", "bool", True), _param("small", "int16", True),
        _param("amount", "uint256", False), _param("delta", "int256", False), _param("tag", "bytes4", False),
        _param("id", "bytes32", False), _param("tiny", "uint8", False), _param("", "address", False)]},
    {"type": "event", "name": "Dynamic", "anonymous": False, "inputs": [
        _param("label", "string", True), _param("blob", "bytes", True), _param("list", "uint256[]", True),
        _param("note", "string", False), _param("values", "uint64[]", False),
        _param("pair", "tuple", False, [{"name": "a", "type": "address"}, {"name": "b", "type": "uint256"}])]},
    {"type": "event", "name": "Empty", "anonymous": False, "inputs": []},
    {"type": "event", "name": "Twice", "anonymous": False, "inputs": [
        _param("x", "uint256", False), _param("x", "uint256", False)]},
]


def _topic0(entry: dict[str, Any]) -> str:
    from pilotkit.contracts.abi import signature as abi_signature

    signature = abi_signature(entry)
    return "0x" + keccak(text=signature).hex()


def _log(topics: list[str], data: bytes, address: str = ADDRESS) -> dict[str, Any]:
    return {"address": address, "topics": topics, "data": "0x" + data.hex(), "logIndex": "0x3",
            "transactionHash": "0x" + "11" * 32, "blockNumber": "0x10", "blockHash": "0x" + "22" * 32}


def _web3_shape(log: dict[str, Any]) -> dict[str, Any]:
    return {"topics": [bytes.fromhex(t[2:]) for t in log["topics"]], "data": bytes.fromhex(log["data"][2:]),
            "address": log["address"], "logIndex": 3, "transactionHash": bytes.fromhex("11" * 32),
            "blockNumber": 16}


def _word(value: int) -> str:
    return "0x" + (value % 2**256).to_bytes(32, "big").hex()


def _assert_same(decoder: LogDecoder, log: dict[str, Any]) -> None:
    expected = EventDecoder([ABI]).decode_log(_web3_shape(log))
    decoded = decoder.decode(log)
    assert expected is not None
    assert decoded.name == expected.name
    assert decoded.args_json == canonical_json(expected.args)
    assert decoded.args == json.loads(canonical_json(expected.args))


def _static_log(rng: random.Random) -> dict[str, Any]:
    who = "0x" + rng.randbytes(20).hex()
    data = encode(["uint256", "int256", "bytes4", "bytes32", "uint8", "address"],
                  [rng.choice([0, 1, 2**256 - 1, rng.getrandbits(256)]), rng.choice([-(2**255), -1, 0, 2**255 - 1]),
                   rng.randbytes(4), rng.randbytes(32), rng.getrandbits(8), "0x" + rng.randbytes(20).hex()])
    return _log([_topic0(ABI[0]), "0x" + bytes(12).hex() + who[2:], _word(rng.getrandbits(1)),
                 _word(rng.randint(-(2**15), 2**15 - 1))], data)


def test_static_events_match_event_decoder() -> None:
    rng = random.Random(7)
    decoder = LogDecoder({ADDRESS: ABI})
    for _ in range(300):
        _assert_same(decoder, _static_log(rng))


def test_dynamic_and_tuple_events_match_event_decoder() -> None:
    data = encode(["string", "uint64[]", "(address,uint256)"],
                  ["héllo \"quoted\" \\ \n", [1, 2, 2**64 - 1], ("0x" + "ab" * 20, 2**255)])
    log = _log([_topic0(ABI[1]), "0x" + keccak(text="label").hex(), "0x" + keccak(b"blob").hex(),
                "0x" + "33" * 32], data)
    _assert_same(LogDecoder({ADDRESS: ABI}), log)


def test_event_without_arguments_and_duplicate_names() -> None:
    decoder = LogDecoder({ADDRESS: ABI})
    _assert_same(decoder, _log([_topic0(ABI[2])], b""))
    _assert_same(decoder, _log([_topic0(ABI[3])], encode(["uint256", "uint256"], [1, 2])))


@pytest.mark.parametrize("position,bad", [
    (1, "0x" + "01" * 32),                       # address topic with dirty high bytes
    (2, _word(2)),                               # bool topic that is neither 0 nor 1
    (3, _word(2**15)),                           # int16 topic out of range
])
def test_non_canonical_topics_fall_back_like_event_decoder(position: int, bad: str) -> None:
    log = _static_log(random.Random(1))
    log["topics"][position] = bad
    decoded = LogDecoder({ADDRESS: ABI}).decode(log)
    with pytest.raises(Exception):  # noqa: B017 - EventDecoder rejects the word (eth_abi padding errors)
        EventDecoder([ABI]).decode_log(_web3_shape(log))
    assert decoded.name is None and decoded.args["topics"] == log["topics"]


def test_non_canonical_data_and_extra_data_are_judged_by_event_decoder() -> None:
    decoder = LogDecoder({ADDRESS: ABI})
    log = _static_log(random.Random(2))
    words = bytearray(bytes.fromhex(log["data"][2:]))
    words[4 * 32 + 5] = 1  # uint8 with a dirty high byte
    log["data"] = "0x" + words.hex()
    assert EventDecoder([ABI]).decode_log(_web3_shape(log)) is None
    assert decoder.decode(log).name is None
    extra = _static_log(random.Random(3))
    extra["data"] += "00" * 32  # trailing data eth_abi tolerates
    _assert_same(decoder, extra)


def test_unknown_logs_keep_their_raw_topics_and_data() -> None:
    log = _log(["0x" + "44" * 32, "0x" + "55" * 32], b"\x01\x02")
    decoded = LogDecoder({ADDRESS: ABI}).decode(log)
    assert decoded.name is None
    assert decoded.args == {"data": "0x0102", "topics": log["topics"]}
    assert LogDecoder({ADDRESS: ABI}).decode(_log([], b"")).name is None


def test_contract_abi_first_then_shared_abis() -> None:
    renamed = json.loads(json.dumps(ABI[0]))
    for param, name in zip(renamed["inputs"], "abcdefghi", strict=True):
        param["name"] = name
    log = _static_log(random.Random(4))
    other = "0x" + "bb" * 20
    decoder = LogDecoder({ADDRESS: [renamed]}, shared=[ABI])
    assert set(decoder.decode(log).args) == set("abcdefghi")  # the emitting contract's own names
    assert "who" in decoder.decode({**log, "address": other}).args  # another address: the shared ABIs


def test_checksum_matches_eth_utils() -> None:
    rng = random.Random(5)
    for raw in [bytes(20), b"\xff" * 20, *(rng.randbytes(20) for _ in range(2000))]:
        assert checksum_address(raw.hex()) == to_checksum_address(raw)
