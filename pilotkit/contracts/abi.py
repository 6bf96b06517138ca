"""ABI helpers: canonical type strings, signatures, selectors and ERC-165 interface ids."""

from __future__ import annotations

from typing import Any


def type_string(param: dict[str, Any]) -> str:
    """The canonical ABI type of a parameter, tuples spelled out as in selectors: `(address,uint256)[]`."""
    kind = str(param["type"])
    if kind.startswith("tuple"):
        return "(" + ",".join(type_string(c) for c in param.get("components", [])) + ")" + kind[len("tuple"):]
    return kind


def signature(entry: dict[str, Any]) -> str:
    """`name(type,...)` of a function, event or error ABI entry."""
    return f"{entry['name']}({','.join(type_string(i) for i in entry.get('inputs', []))})"


def selector(entry: dict[str, Any]) -> bytes:
    """The first four bytes of keccak256 of the signature (functions and errors)."""
    from eth_utils import keccak

    return keccak(text=signature(entry))[:4]


def interface_id(abi: list[dict[str, Any]]) -> bytes:
    """The ERC-165 interface id of an ABI: the XOR of its functions' selectors."""
    value = 0
    for entry in abi:
        if entry.get("type") == "function":
            value ^= int.from_bytes(selector(entry), "big")
    return value.to_bytes(4, "big")
