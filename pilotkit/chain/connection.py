"""Connecting to a configured network: start the local node if needed, verify the chain id."""

from __future__ import annotations

import contextlib
import logging
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any

from pilotkit.chain.local import AnvilNode, GanacheNode, LocalNode
from pilotkit.config import NetworkConfig
from pilotkit.errors import ChainIdMismatch, NetworkError

if TYPE_CHECKING:
    from web3 import Web3


class Connection:
    """A Web3 connection to one network, owning the local node it started (if any)."""

    def __init__(self, network: NetworkConfig, web3: Web3, chain_id: int, node: LocalNode | None,
                 owns_node: bool) -> None:
        self.network = network
        self.web3 = web3
        self.chain_id = chain_id
        self.node = node
        self._owns_node = owns_node

    @property
    def is_local(self) -> bool:
        return self.network.is_local

    @property
    def endpoint(self) -> str:
        return self.node.endpoint if self.node else _redact(self.network.resolved_url())

    def close(self) -> None:
        """Close the provider and stop the node if this connection started it."""
        provider = self.web3.provider
        if hasattr(provider, "disconnect"):
            with contextlib.suppress(Exception):  # a provider that cannot disconnect closes with the process
                provider.disconnect()
        if self._owns_node and self.node is not None:
            self.node.stop()

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Connection({self.network.name}, chain_id={self.chain_id}, {self.endpoint})"


def start_local_node(network: NetworkConfig, project_root: Path | None) -> LocalNode:
    """Start the node a local network describes (Anvil or Ganache)."""
    if network.kind == "anvil":
        return AnvilNode(chain_id=network.chain_id or 31337, hardfork=network.hardfork,
                         block_time=network.block_time, project_root=project_root).start()
    if network.kind == "ganache":
        return GanacheNode(chain_id=network.chain_id or 1337, hardfork=network.hardfork or "shanghai",
                           project_root=project_root).start()
    raise NetworkError(f"network '{network.name}' is not a local chain")


def ipc_provider(path: str, timeout: float) -> Any:
    """An IPCProvider whose answers are parsed with a depth limit (pilotkit.safejson)."""
    from web3 import IPCProvider

    class DepthLimitedIPCProvider(IPCProvider):
        decode_rpc_response = staticmethod(decode_node_answer)

    return DepthLimitedIPCProvider(path, timeout=int(timeout))


def decode_node_answer(raw_response: bytes) -> Any:
    """A node's JSON-RPC answer, refused (NetworkError) when nested deeper than pilotkit.safejson allows."""
    from pilotkit import safejson

    try:
        safejson.check_depth(raw_response)
    except safejson.JSONTooDeep as exc:
        raise NetworkError(f"the node answered with {exc}") from None
    import json

    return json.loads(raw_response)


def connect(network: NetworkConfig, node: LocalNode | None = None, project_root: Path | None = None) -> Connection:
    """Connect to `network`, starting its local node unless one is given; refuse a wrong chain id."""
    from web3 import Web3

    owns = False
    if network.is_local and node is None:
        node = start_local_node(network, project_root)
        owns = True
    try:
        if node is not None:
            provider = ipc_provider(node.ipc_path, network.timeout) if node.ipc_path else \
                _http_provider(node.url, network.timeout)
        else:
            provider = _http_provider(network.resolved_url(), network.timeout)
        web3 = Web3(provider)
        if network.poa:
            from web3.middleware import ExtraDataToPOAMiddleware

            web3.middleware_onion.inject(ExtraDataToPOAMiddleware, layer=0)
        try:
            chain_id = int(web3.eth.chain_id)
        except Exception as exc:
            where = node.endpoint if node else _redact(network.resolved_url())
            raise NetworkError(f"cannot reach network '{network.name}' at {where}: {type(exc).__name__}") from None
        expected = network.chain_id
        if expected is not None and chain_id != expected:
            raise ChainIdMismatch(
                f"network '{network.name}' answered chain id {chain_id} but is configured for {expected}; "
                "nothing was sent. Fix the url or chain_id in pilotkit.toml"
            )
        return Connection(network, web3, chain_id, node, owns)
    except BaseException:
        if owns and node is not None:
            node.stop()
        raise


def attach(network: NetworkConfig, endpoint: str) -> Connection:
    """A connection to a node that is already running at `endpoint` (an http(s) URL or an IPC socket path).

    The network keeps its kind (a local chain stays local: dev accounts, a git-ignored record); nothing is started
    and closing the connection stops nothing. The configured chain id is checked as by `connect`.
    """
    import dataclasses

    reached = dataclasses.replace(network, url=endpoint)
    if endpoint.startswith(("http://", "https://")):
        remote = connect(dataclasses.replace(network, kind="rpc", url=endpoint))
        return Connection(reached, remote.web3, remote.chain_id, None, False)
    from web3 import IPCProvider, Web3

    if not Path(endpoint).exists():
        raise NetworkError(f"no node at {endpoint}: pass --rpc http://HOST:PORT or the IPC socket of a running node")
    web3 = Web3(IPCProvider(endpoint, timeout=int(network.timeout)))
    try:
        chain_id = int(web3.eth.chain_id)
    except Exception as exc:
        raise NetworkError(f"cannot reach the node at {endpoint}: {type(exc).__name__}") from None
    if network.chain_id is not None and chain_id != network.chain_id:
        raise ChainIdMismatch(f"the node at {endpoint} answered chain id {chain_id}, network '{network.name}' is "
                              f"configured for {network.chain_id}; nothing was sent")
    return Connection(reached, web3, chain_id, None, False)


def _http_provider(url: str, timeout: float) -> Any:
    """An HTTPProvider whose transport errors never quote the url (requests' messages include it)."""
    from requests.exceptions import RequestException
    from web3 import HTTPProvider

    class RedactingHTTPProvider(HTTPProvider):
        decode_rpc_response = staticmethod(decode_node_answer)

        def make_request(self, method: Any, params: Any) -> Any:
            try:
                return super().make_request(method, params)
            except RequestException as exc:
                status = getattr(exc.response, "status_code", None) if exc.response is not None else None
                detail = f"HTTP {status}" if status else type(exc).__name__
                raise NetworkError(f"{method} to {_redact(url)} failed: {detail}") from None

    _install_url_filter(url)
    return RedactingHTTPProvider(url, request_kwargs={"timeout": timeout})


class _UrlRedactingFilter(logging.Filter):
    """Rewrites log records that mention a secret-bearing RPC url (web3 logs it at DEBUG)."""

    def __init__(self) -> None:
        super().__init__()
        self.secrets: dict[str, str] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret, shown in self.secrets.items():
                message = message.replace(secret, shown)
            record.msg, record.args = message, None
        return True


_URL_FILTER = _UrlRedactingFilter()


def _install_url_filter(url: str) -> None:
    """Register `url` for redaction in every web3 and urllib3 log record."""
    if _redact(url) == url:
        return
    _URL_FILTER.secrets[url] = _redact(url)
    for name in ("web3", "web3.providers.HTTPProvider", "web3._utils.http_session_manager.HTTPSessionManager",
                 "urllib3.connectionpool"):
        logger = logging.getLogger(name)
        if _URL_FILTER not in logger.filters:
            logger.addFilter(_URL_FILTER)


def _redact(url: str) -> str:
    """Hide credentials and API keys embedded in RPC URLs before they reach logs or errors."""
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    return f"{parts.scheme}://{host}/…" if parts.path not in ("", "/") or parts.query or parts.username else url
