"""Batched JSON-RPC over IPC or HTTP(S) for the indexer: raw dicts in, raw dicts out, no web3 formatting.

Transport errors never quote the endpoint (remote urls often embed API keys).
"""

from __future__ import annotations

import http.client
import itertools
import json
import socket
import threading
from typing import Any, Protocol
from urllib.parse import urlsplit

from pilotkit import safejson
from pilotkit.chain.rpc import RpcError
from pilotkit.errors import NetworkError

#: Phrases providers use when a log query is too big (Geth, Erigon, Besu, Alchemy, Infura, QuickNode, Anvil).
_TOO_BIG = (
    "too many", "more than", "limit", "exceed", "too large", "range", "response size", "timeout", "timed out",
    "query returned", "max results",
)
#: ...unless it is about the request rate or quota, which a smaller range would only make worse.
_THROTTLED = ("rate limit", "rate exceeded", "request rate", "too many requests", "daily", "quota", "capacity")


class ResponseTooLarge(NetworkError):
    """The transport refused a response for its size (e.g. HTTP 413 or a provider payload cap)."""


def is_too_big(exc: BaseException) -> bool:
    """True when a failed eth_getLogs should be retried over a smaller block range."""
    if isinstance(exc, ResponseTooLarge):
        return True
    if isinstance(exc, RpcError):
        text = str(exc).lower()
        if any(marker in text for marker in _THROTTLED):
            return False
        return exc.code == -32005 or any(marker in text for marker in _TOO_BIG)
    return False


class BatchRpc(Protocol):
    """What the indexer needs from a node connection."""

    def call(self, method: str, params: list[Any]) -> Any: ...

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]: ...

    def close(self) -> None: ...


class JsonRpcClient:
    """One persistent connection (Unix socket or keep-alive HTTP); thread-safe by serialising requests."""

    def __init__(self, url: str | None = None, ipc_path: str | None = None, timeout: float = 60.0) -> None:
        if not url and not ipc_path:
            raise ValueError("JsonRpcClient needs a url or an ipc_path")
        self.url = url
        self.ipc_path = ipc_path
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._lock = threading.Lock()
        self._sock: socket.socket | None = None
        self._http: http.client.HTTPConnection | None = None

    def call(self, method: str, params: list[Any]) -> Any:
        """One request; a JSON-RPC error raises `RpcError`."""
        request = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params}
        reply = self._exchange(request, method)
        if not isinstance(reply, dict):
            raise NetworkError(f"{method}: malformed JSON-RPC reply")
        if "error" in reply:
            raise RpcError(method, reply["error"])
        return reply.get("result")

    def batch(self, calls: list[tuple[str, list[Any]]]) -> list[Any]:
        """Several requests in one round trip; results in order, a failed item comes back as its `RpcError`."""
        if not calls:
            return []
        first = next(self._ids)
        requests = [{"jsonrpc": "2.0", "id": first + i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
        self._ids = itertools.count(first + len(calls))
        replies = self._exchange(requests, calls[0][0])
        if not isinstance(replies, list):
            if isinstance(replies, dict) and "error" in replies:  # some servers answer a whole batch with one error
                raise RpcError(calls[0][0], replies["error"])
            raise NetworkError("malformed JSON-RPC batch reply")
        by_id = {reply.get("id"): reply for reply in replies if isinstance(reply, dict)}
        results: list[Any] = []
        for request, (method, _params) in zip(requests, calls, strict=True):
            reply = by_id.get(request["id"])
            if reply is None:
                results.append(NetworkError(f"{method}: no reply in batch"))
            elif "error" in reply:
                results.append(RpcError(method, reply["error"]))
            else:
                results.append(reply.get("result"))
        return results

    def _exchange(self, payload: Any, method: str) -> Any:
        body = json.dumps(payload, separators=(",", ":")).encode()
        with self._lock:
            if self.ipc_path:
                return self._ipc(body, method)
            return self._post(body, method)

    def _ipc(self, body: bytes, method: str) -> Any:
        try:
            if self._sock is None:
                sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                sock.settimeout(self.timeout)
                sock.connect(str(self.ipc_path))
                self._sock = sock
            self._sock.sendall(body)
            chunks: list[bytes] = []
            while True:
                chunk = self._sock.recv(1 << 20)
                if not chunk:
                    raise OSError("connection closed")
                chunks.append(chunk)
                # Only try to parse when the data so far could be a complete JSON document.
                if chunk.rstrip()[-1:] in (b"}", b"]"):
                    try:
                        return safejson.loads(b"".join(chunks))
                    except safejson.JSONTooDeep as exc:
                        raise OSError(f"the node answered with {exc}") from None
                    except json.JSONDecodeError:
                        continue
        except OSError as exc:
            self._close_socket()
            raise NetworkError(f"{method} over IPC failed: {type(exc).__name__}: {exc}") from None

    def _post(self, body: bytes, method: str) -> Any:
        assert self.url is not None
        parts = urlsplit(self.url)
        path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
        for attempt in (1, 2):
            try:
                if self._http is None:
                    factory = http.client.HTTPSConnection if parts.scheme == "https" else http.client.HTTPConnection
                    self._http = factory(parts.hostname or "127.0.0.1", parts.port, timeout=self.timeout)
                self._http.request("POST", path, body, {"Content-Type": "application/json"})
                response = self._http.getresponse()
                data = response.read()
                if response.status == 413:
                    raise ResponseTooLarge(f"{method}: HTTP 413 (response too large)")
                if response.status >= 400 and not data.lstrip().startswith((b"{", b"[")):
                    raise NetworkError(f"{method}: HTTP {response.status}")
                return safejson.loads(data)
            except safejson.JSONTooDeep as exc:
                self._close_http()
                raise NetworkError(f"{method}: the node answered with {exc}") from None
            except (http.client.HTTPException, OSError) as exc:
                self._close_http()
                if attempt == 2:  # a stale keep-alive connection gets one fresh retry
                    raise NetworkError(f"{method} over HTTP failed: {type(exc).__name__}") from None
            except json.JSONDecodeError:
                self._close_http()
                raise NetworkError(f"{method}: the node answered with malformed JSON") from None
        raise AssertionError("unreachable")

    def _close_socket(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _close_http(self) -> None:
        if self._http is not None:
            self._http.close()
            self._http = None

    def close(self) -> None:
        with self._lock:
            self._close_socket()
            self._close_http()

    def __repr__(self) -> str:
        return f"JsonRpcClient({'ipc' if self.ipc_path else 'http'})"
