"""Decoding logs into named events using the project's ABIs."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from pilotkit.contracts.abi import signature, type_string
from pilotkit.contracts.reverts import typed_plain


@dataclass(frozen=True)
class Event:
    """One decoded log."""

    name: str
    args: dict[str, Any]
    address: str
    log_index: int
    tx_hash: str
    block_number: int

    def __getitem__(self, key: str) -> Any:
        return self.args[key]


class EventDecoder:
    """Maps topic0 → event ABI for every event in the given ABIs (anonymous events are skipped)."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]] = ()) -> None:
        self._events: dict[tuple[str, int], dict[str, Any]] = {}
        for abi in abis:
            self.add_abi(abi)

    def add_abi(self, abi: list[dict[str, Any]]) -> None:
        from eth_utils import keccak

        for entry in abi:
            if entry.get("type") == "event" and not entry.get("anonymous"):
                inputs = entry.get("inputs", [])
                text = signature(entry)
                indexed = sum(1 for i in inputs if i.get("indexed"))
                self._events.setdefault((keccak(text=text).hex(), indexed), entry)

    def decode_log(self, log: Any) -> Event | None:
        """Decode one receipt log; None when no known event matches."""
        from eth_abi import decode

        topics = [bytes(t) for t in log["topics"]]
        if not topics:
            return None
        entry = self._events.get((topics[0].hex(), len(topics) - 1))
        if entry is None:
            return None
        inputs = entry.get("inputs", [])
        plain_inputs = [i for i in inputs if not i.get("indexed")]
        plain_types = [type_string(i) for i in plain_inputs]
        data = bytes(log["data"])
        try:
            plain_values = iter(zip(plain_types, decode(plain_types, data), strict=True))
        except Exception:
            return None
        topic_values = iter(topics[1:])
        args: dict[str, Any] = {}
        for position, param in enumerate(inputs):
            name = param.get("name") or f"arg{position}"
            if param.get("indexed"):
                topic = next(topic_values)
                kind = type_string(param)
                if kind in ("string", "bytes") or kind.endswith("]") or kind.startswith("("):
                    args[name] = "0x" + topic.hex()  # dynamic indexed values are stored as their hash
                else:
                    args[name] = typed_plain(kind, decode([kind], topic)[0])
            else:
                kind, value = next(plain_values)
                args[name] = typed_plain(kind, value)
        return Event(
            name=entry["name"],
            args=args,
            address=log["address"],
            log_index=int(log["logIndex"]),
            tx_hash="0x" + bytes(log["transactionHash"]).hex(),
            block_number=int(log["blockNumber"]),
        )

    def decode_receipt(self, receipt: Any) -> list[Event]:
        return [event for log in receipt["logs"] if (event := self.decode_log(log)) is not None]
