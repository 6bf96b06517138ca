"""Revert data → named Python exceptions.

Every custom error a project's contracts declare becomes an exception class of the same name
(`revert_class("RoundClosed")`), created once per process, so tests and apps can write
`except vault.errors.InsufficientDeposit as err: err.values["available"]`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pilotkit.contracts.abi import selector, signature, type_string
from pilotkit.errors import PilotkitError

ERROR_STRING_SELECTOR = "08c379a0"
PANIC_SELECTOR = "4e487b71"
PANIC_CODES = {
    0x01: "assertion failed",
    0x11: "arithmetic overflow or underflow",
    0x12: "division or modulo by zero",
    0x21: "invalid enum value",
    0x22: "corrupt storage byte array",
    0x31: "pop from an empty array",
    0x32: "array index out of bounds",
    0x41: "out of memory",
    0x51: "call to an uninitialised function",
}


class ContractRevert(PilotkitError):
    """A contract call or transaction reverted. Subclasses are named after the contract's error."""

    error_name = "ContractRevert"

    def __init__(self, values: dict[str, Any] | None = None, *, data: bytes = b"", signature: str = "",
                 function: str | None = None, tx_hash: str | None = None) -> None:
        self.values = values or {}
        self.data = data
        self.signature = signature
        self.function = function
        self.tx_hash = tx_hash
        shown = ", ".join(f"{k}={_show(v)}" for k, v in self.values.items())
        where = f" in {function}" if function else ""
        super().__init__(f"{self.error_name}({shown}){where}")


class RevertString(ContractRevert):
    """`revert("reason")` / `require(cond, "reason")`."""

    error_name = "Error"

    @property
    def reason(self) -> str:
        return str(self.values.get("reason", ""))


class Panic(ContractRevert):
    """A Solidity panic (overflow, division by zero, failed assert, ...)."""

    error_name = "Panic"


class UnknownRevert(ContractRevert):
    """Revert data that matches no known error (or an empty revert)."""

    error_name = "UnknownRevert"


_CLASSES: dict[str, type[ContractRevert]] = {}


def revert_class(name: str) -> type[ContractRevert]:
    """The exception class for a custom error name (one class per name per process)."""
    if name == "Error":
        return RevertString
    if name == "Panic":
        return Panic
    cls = _CLASSES.get(name)
    if cls is None:
        cls = type(name, (ContractRevert,), {"error_name": name, "__module__": __name__,
                                              "__doc__": f"The contract reverted with {name}."})
        _CLASSES[name] = cls
    return cls


class ErrorDecoder:
    """Maps 4-byte selectors to ABI error entries gathered from any number of ABIs."""

    def __init__(self, abis: Iterable[list[dict[str, Any]]] = ()) -> None:
        self._errors: dict[str, dict[str, Any]] = {}
        for abi in abis:
            self.add_abi(abi)

    def add_abi(self, abi: list[dict[str, Any]]) -> None:

        for entry in abi:
            if entry.get("type") == "error":
                self._errors.setdefault(selector(entry).hex(), {**entry, "signature": signature(entry)})

    def decode(self, data: bytes, function: str | None = None, tx_hash: str | None = None) -> ContractRevert:
        """Build the named exception for raw revert data."""
        from eth_abi import decode

        selector, body = data[:4].hex(), data[4:]
        try:
            if selector == ERROR_STRING_SELECTOR:
                (reason,) = decode(["string"], body)
                return RevertString({"reason": reason}, data=data, signature="Error(string)", function=function,
                                    tx_hash=tx_hash)
            if selector == PANIC_SELECTOR:
                (code,) = decode(["uint256"], body)
                return Panic({"code": code, "meaning": PANIC_CODES.get(code, "unknown panic")}, data=data,
                             signature="Panic(uint256)", function=function, tx_hash=tx_hash)
            entry = self._errors.get(selector)
            if entry is not None:
                inputs = entry.get("inputs", [])
                decoded = decode([type_string(i) for i in inputs], body)
                values = {(i.get("name") or f"arg{n}"): typed_plain(type_string(i), v)
                          for n, (i, v) in enumerate(zip(inputs, decoded, strict=True))}
                return revert_class(entry["name"])(values, data=data, signature=entry["signature"],
                                                   function=function, tx_hash=tx_hash)
        except Exception:  # malformed data: fall through to an UnknownRevert that keeps the raw bytes
            pass
        return UnknownRevert({"data": "0x" + data.hex()} if data else {}, data=data, function=function,
                             tx_hash=tx_hash)




def typed_plain(kind: str, value: Any) -> Any:
    """A decoded ABI value in plain Python: checksummed addresses, bytes as 0x-hex."""
    if kind == "address" and isinstance(value, str):
        from eth_utils import to_checksum_address

        return to_checksum_address(value)
    if kind.endswith("]") and isinstance(value, (list, tuple)):
        inner = kind[: kind.rindex("[")]
        return [typed_plain(inner, v) for v in value]
    return _plain(value)


def _plain(value: Any) -> Any:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    return value


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)
