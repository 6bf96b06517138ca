"""JSON-RPC batches through a web3 provider: many estimates, broadcasts or receipt look-ups in one round trip.

Each call in a batch succeeds or fails on its own (`RpcReply`); a transport failure fails the whole batch
with `RpcTransportError`, whose message never quotes the endpoint (RPC urls often embed API keys).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pilotkit.errors import NetworkError

#: Node answers that mean "this exact transaction, or one at its nonce, is already there": check receipts.
ALREADY_SUBMITTED = (
    "already known", "transaction already imported", "already imported", "nonce too low", "nonce is too low",
    "replacement transaction underpriced", "known transaction", "alreadyknown",
)
#: Node answers that mean "sign it again with higher fees".
#: Checked after ALREADY_SUBMITTED ("replacement transaction underpriced" contains "transaction underpriced").
FEE_TOO_LOW = ("less than block base fee", "fee cap less than", "max fee per gas less than", "transaction underpriced",
               "gas price too low")
#: Answers that name a missing method (no batch support, no eth_getBlockReceipts, ...).
_UNSUPPORTED = ("method not found", "not supported", "does not exist", "unsupported")

MAX_BATCH = 200


class RpcTransportError(NetworkError):
    """The node could not be reached or answered something that is not JSON-RPC."""


@dataclass(frozen=True)
class RpcReply:
    """One call's outcome: `result`, or an `error` object ({code, message, data})."""

    result: Any = None
    error: dict[str, Any] | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    @property
    def message(self) -> str:
        return str((self.error or {}).get("message", ""))

    @property
    def data(self) -> Any:
        return (self.error or {}).get("data")

    def mentions(self, markers: Sequence[str]) -> bool:
        text = self.message.lower()
        return any(marker in text for marker in markers)


class RpcBatcher:
    """Sends lists of calls as JSON-RPC batches (falling back to one call at a time if batches fail)."""

    def __init__(self, web3: Any, max_batch: int = MAX_BATCH) -> None:
        self.provider = web3.provider
        self.max_batch = max_batch
        self._batches_work = hasattr(self.provider, "make_batch_request")

    def call(self, method: str, params: list[Any]) -> RpcReply:
        return self.many([(method, params)])[0]

    def many(self, calls: Sequence[tuple[str, list[Any]]]) -> list[RpcReply]:
        replies: list[RpcReply] = []
        for start in range(0, len(calls), self.max_batch):
            chunk = calls[start:start + self.max_batch]
            replies += self._batch(chunk) if self._batches_work and len(chunk) > 1 else [self._one(c) for c in chunk]
        return replies

    def _batch(self, calls: Sequence[tuple[str, list[Any]]]) -> list[RpcReply]:
        try:
            responses = self.provider.make_batch_request(list(calls))
        except Exception as exc:
            raise RpcTransportError(f"JSON-RPC batch of {len(calls)} failed: {type(exc).__name__}") from None
        if not isinstance(responses, list) or len(responses) != len(calls):
            error = responses.get("error") if isinstance(responses, dict) else None
            if isinstance(error, dict) and any(m in str(error.get("message", "")).lower() for m in _UNSUPPORTED):
                self._batches_work = False
                return [self._one(call) for call in calls]
            raise RpcTransportError(f"JSON-RPC batch of {len(calls)} got a malformed answer")
        return [_reply(response) for response in responses]

    def _one(self, call: tuple[str, list[Any]]) -> RpcReply:
        try:
            response = self.provider.make_request(call[0], call[1])
        except NetworkError as exc:
            raise RpcTransportError(str(exc)) from None
        except Exception as exc:
            raise RpcTransportError(f"{call[0]} failed: {type(exc).__name__}") from None
        return _reply(response)


def _reply(response: Any) -> RpcReply:
    if not isinstance(response, dict):
        raise RpcTransportError("JSON-RPC answer is not an object")
    error = response.get("error")
    if error is not None:
        return RpcReply(error=error if isinstance(error, dict) else {"message": str(error)})
    return RpcReply(result=response.get("result"))

