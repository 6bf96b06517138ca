"""A minimal JSON-RPC client over HTTP or IPC with no web3 import (used for readiness and control)."""

from __future__ import annotations

import itertools
import json
import socket
import urllib.error
import urllib.request
from typing import Any

from pilotkit import safejson
from pilotkit.errors import NetworkError


class RpcError(NetworkError):
    """The node answered a JSON-RPC call with an error object."""

    def __init__(self, method: str, error: dict[str, Any]) -> None:
        self.method = method
        self.code = error.get("code")
        self.data = error.get("data")
        super().__init__(f"{method} failed: {error.get('message', error)}")


class RawRpc:
    """Send JSON-RPC requests to one endpoint; an IPC path is used when given (it is faster)."""

    def __init__(self, url: str | None = None, ipc_path: str | None = None, timeout: float = 30.0) -> None:
        if not url and not ipc_path:
            raise ValueError("RawRpc needs a url or an ipc_path")
        self.url = url
        self.ipc_path = ipc_path
        self.timeout = timeout
        self._ids = itertools.count(1)
        self._sock: socket.socket | None = None
        self._buffer = b""

    def call(self, method: str, params: list[Any] | None = None) -> Any:
        request = {"jsonrpc": "2.0", "id": next(self._ids), "method": method, "params": params or []}
        reply = self._send_ipc(request) if self.ipc_path else self._send_http(request)
        if "error" in reply:
            raise RpcError(method, reply["error"])
        return reply.get("result")

    def _send_http(self, request: dict[str, Any]) -> dict[str, Any]:
        assert self.url is not None
        body = json.dumps(request).encode()
        http = urllib.request.Request(self.url, data=body, headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(http, timeout=self.timeout) as response:
                return safejson.loads(response.read())  # type: ignore[no-any-return]
        except (urllib.error.URLError, OSError, ValueError) as exc:
            raise NetworkError(f"{request['method']} to {self.url} failed: {exc}") from None

    def _send_ipc(self, request: dict[str, Any]) -> dict[str, Any]:
        try:
            if self._sock is None:
                self._sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                self._sock.settimeout(self.timeout)
                self._sock.connect(str(self.ipc_path))
            self._sock.sendall(json.dumps(request).encode())
            while True:
                reply = self._take_reply()
                if reply is not None:
                    return reply
                chunk = self._sock.recv(1 << 20)
                if not chunk:
                    raise OSError("connection closed")
                self._buffer += chunk
        except OSError as exc:
            self.close()
            raise NetworkError(f"{request['method']} over IPC {self.ipc_path} failed: {exc}") from None

    def _take_reply(self) -> dict[str, Any] | None:
        """The first complete JSON object in the buffer, if any; parsed only when the buffer can end one.

        Replies are not length-framed, so a partial reply is only re-parsed once a chunk ends in `}` or a
        newline (not on every chunk), which keeps large replies linear rather than quadratic.
        """
        stripped = self._buffer.rstrip()
        if not stripped.endswith(b"}"):
            return None
        text = self._buffer.decode("utf-8", "replace").lstrip()
        try:
            safejson.check_depth(text)
        except safejson.JSONTooDeep as exc:
            self._buffer = b""
            raise OSError(f"the node answered with {exc}") from None
        try:
            obj, end = json.JSONDecoder().raw_decode(text)
        except json.JSONDecodeError:
            return None
        self._buffer = text[end:].encode()
        return obj if isinstance(obj, dict) else None

    def close(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._buffer = b""
