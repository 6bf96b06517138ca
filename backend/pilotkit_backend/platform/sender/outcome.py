"""Turning node answers into job outcomes: estimation results, receipt summaries, decoded reverts, effect checks."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pilotkit.contracts.reverts import ContractRevert, ErrorDecoder
from pilotkit_backend.platform.sender.rpc import RpcBatcher, RpcReply


@dataclass(frozen=True)
class Estimate:
    """Gas for a call, or the revert it would hit, or a problem worth retrying (`transient`)."""

    gas: int | None = None
    revert: dict[str, Any] | None = None
    transient: str | None = None


def is_revert(reply: RpcReply) -> bool:
    """A JSON-RPC error that is an EVM revert (code 3, or a message saying so)."""
    if reply.ok:
        return False
    code = (reply.error or {}).get("code")
    return code == 3 or "revert" in reply.message.lower()


def revert_bytes(reply: RpcReply) -> bytes:
    data = reply.data
    if isinstance(data, dict):  # some nodes nest it: {"data": "0x..."} / {"result": "0x..."}
        data = data.get("data") or data.get("result")
    if isinstance(data, str) and data.startswith("0x"):
        try:
            return bytes.fromhex(data[2:])
        except ValueError:
            return b""
    return b""


def error_info(revert: ContractRevert) -> dict[str, Any]:
    """A decoded revert as JSON: {"name", "args", "signature"} (integers as decimal strings)."""
    return {"name": revert.error_name, "args": {k: _json_value(v) for k, v in revert.values.items()},
            "signature": revert.signature or None}


def estimate_outcome(reply: RpcReply, decoder: ErrorDecoder, gas_multiplier: float) -> Estimate:
    if reply.ok:
        return Estimate(gas=int(int(str(reply.result), 16) * gas_multiplier))
    if is_revert(reply):
        return Estimate(revert=error_info(decoder.decode(revert_bytes(reply))))
    return Estimate(transient=_short(reply.message))


def replay_failure(rpc: RpcBatcher, decoder: ErrorDecoder, call: dict[str, Any], block: int) -> dict[str, Any]:
    """Why a mined transaction reverted: the call replayed at the end of its block (then at the block before)."""
    for tag in (hex(block), hex(max(block - 1, 0))):
        reply = rpc.call("eth_call", [call, tag])
        if is_revert(reply):
            return error_info(decoder.decode(revert_bytes(reply)))
    return {"name": "UnknownRevert", "args": {}, "signature": None}


def receipt_summary(receipt: dict[str, Any]) -> dict[str, Any]:
    """The parts of a raw JSON-RPC receipt a caller needs."""
    return {
        "tx_hash": receipt["transactionHash"],
        "block_number": int(receipt["blockNumber"], 16),
        "block_hash": receipt["blockHash"],
        "status": int(receipt.get("status", "0x1"), 16),
        "gas_used": int(receipt["gasUsed"], 16),
        "effective_gas_price": int(receipt["effectiveGasPrice"], 16) if receipt.get("effectiveGasPrice") else None,
    }


def effect_present(rpc: RpcBatcher, check: dict[str, Any]) -> bool | None:
    """Run a job's effect check (a view call whose answer equals `expect` once the effect is on chain).

    Returns None when the check cannot be run (a revert or a node error): the effect is then unknown.
    """
    reply = rpc.call("eth_call", [{"to": check["to"], "data": check["data"]}, "latest"])
    if not reply.ok or not isinstance(reply.result, str):
        return None
    expect = str(check.get("expect", "0x" + "00" * 31 + "01"))
    if expect == "nonzero":
        digits = reply.result.lower().removeprefix("0x")
        return bool(digits) and any(c != "0" for c in digits)
    return _hex_equal(reply.result, expect)


def _hex_equal(a: str, b: str) -> bool:
    return a.lower().removeprefix("0x") == b.lower().removeprefix("0x")


def _json_value(value: Any) -> Any:
    if isinstance(value, bool) or value is None or isinstance(value, str | float):
        return value
    if isinstance(value, int):  # Solidity integers are up to 256 bits: decimal strings for every JSON reader
        return str(value)
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return str(value)


def _short(message: str, limit: int = 300) -> str:
    return message if len(message) <= limit else message[: limit - 1] + "…"
