"""Connections: the chain id is verified before anything is sent, PoA middleware, no secret url in errors."""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import traceback
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from web3 import IPCProvider

from pilotkit.accounts.dev import dev_accounts
from pilotkit.chain.connection import connect
from pilotkit.chain.rpc import RawRpc
from pilotkit.chain.transactions import TransactionSender
from pilotkit.config import NetworkConfig
from pilotkit.errors import ChainIdMismatch, NetworkError

from ._support import DEV0, proc_state

SECRET = "s3cret-api-key-0451"


def _chain_state(node: Any) -> tuple[int, int]:
    """(block number, dev0 nonce) read without web3."""
    rpc = RawRpc(url=node.url)
    return int(rpc.call("eth_blockNumber"), 16), int(
        rpc.call("eth_getTransactionCount", [DEV0, "latest"]), 16
    )


def _rpc_network(url: str, chain_id: int = 31337, **extra: Any) -> NetworkConfig:
    return NetworkConfig(name="remote", kind="rpc", url=url, chain_id=chain_id, timeout=10, **extra)


class _Proxy:
    """A JSON-RPC relay to the session Anvil on any path; methods in `failing` get an HTTP 429.

    With `poa_blocks`, blocks carry a clique-style 97-byte extraData, like a Besu/geth PoA chain.
    """

    def __init__(self, target: str) -> None:
        self.failing: set[str] = set()
        self.poa_blocks = False
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args: object) -> None:
                return None

            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers["Content-Length"]))
                method = json.loads(body).get("method")
                if method in proxy.failing:
                    self.send_response(429)
                    self.end_headers()
                    return
                request = urllib.request.Request(
                    target, data=body, headers={"Content-Type": "application/json"}
                )
                with urllib.request.urlopen(request, timeout=10) as response:
                    data = response.read()
                if proxy.poa_blocks and method in ("eth_getBlockByNumber", "eth_getBlockByHash"):
                    reply = json.loads(data)
                    if isinstance(reply.get("result"), dict):
                        reply["result"]["extraData"] = "0x" + "ab" * 32 + "cd" * 65
                    data = json.dumps(reply).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="module")
def proxy(anvil: Any) -> Iterator[_Proxy]:
    relay = _Proxy(anvil.url)
    try:
        yield relay
    finally:
        relay.close()


# --- chain id ------------------------------------------------------------------------------------


def test_chain_id_mismatch_is_refused_before_anything_is_sent(anvil: Any) -> None:
    before = _chain_state(anvil)
    with pytest.raises(ChainIdMismatch) as caught:
        connect(_rpc_network(anvil.url, chain_id=999))
    message = str(caught.value)
    assert "answered chain id 31337 but is configured for 999" in message and "nothing was sent" in message
    assert _chain_state(anvil) == before


def test_chain_id_mismatch_with_a_given_node_leaves_that_node_running(anvil: Any) -> None:
    with pytest.raises(ChainIdMismatch):
        connect(NetworkConfig(name="local", kind="anvil", chain_id=999), node=anvil)
    assert anvil.process is not None and anvil.process.alive()


def test_cli_refuses_to_deploy_to_a_mismatched_chain(anvil: Any, compiled_project: Path) -> None:
    config = compiled_project / "pilotkit.toml"
    config.write_text(
        config.read_text() + '\n[networks.pilotnet]\nkind = "rpc"\nurl = "${PILOTNET_URL}"\nchain_id = 999\n'
    )
    before = _chain_state(anvil)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pilotkit",
            "deploy",
            "Counter",
            "1",
            "--network",
            "pilotnet",
            "--account",
            "ops",
            "--project",
            str(compiled_project),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env={**__import__("os").environ, "PILOTNET_URL": anvil.url},
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "chain id 31337 but is configured for 999" in done.stderr
    assert _chain_state(anvil) == before
    assert not (compiled_project / "deployments").exists()


# --- providers -----------------------------------------------------------------------------------


def test_rpc_network_connects_over_http_and_close_keeps_the_chain(anvil: Any) -> None:
    with connect(_rpc_network(anvil.url)) as connection:
        assert connection.chain_id == 31337 and not connection.is_local
        assert connection.endpoint == anvil.url
        assert connection.web3.eth.block_number >= 0
    assert anvil.process.alive()


def test_local_network_with_a_running_node_uses_ipc_and_does_not_stop_it(anvil: Any) -> None:
    with connect(NetworkConfig(name="local", kind="anvil", chain_id=31337), node=anvil) as connection:
        assert connection.is_local and connection.endpoint == anvil.ipc_path
        assert isinstance(connection.web3.provider, IPCProvider)  # (depth-limited: pilotkit.safejson)
        assert connection.web3.eth.chain_id == 31337
    assert anvil.process.alive()


def test_connect_starts_and_stops_its_own_local_node() -> None:
    connection = connect(NetworkConfig(name="local", kind="anvil", chain_id=31337))
    assert connection.node is not None and connection.node.process is not None
    pid = connection.node.process.pid
    assert connection.web3.eth.chain_id == 31337
    connection.close()
    assert proc_state(pid) is None


def _has_poa_middleware(connection: Any) -> bool:
    from web3.middleware import ExtraDataToPOAMiddleware

    return any(entry[0] is ExtraDataToPOAMiddleware for entry in connection.web3.middleware_onion.middleware)


def test_poa_flag_injects_the_extradata_middleware_without_breaking_calls(proxy: _Proxy) -> None:
    from web3.exceptions import ExtraDataLengthError

    url = f"http://127.0.0.1:{proxy.port}/"
    proxy.poa_blocks = True
    try:
        with connect(_rpc_network(url)) as plain:
            assert not _has_poa_middleware(plain)
            with pytest.raises(ExtraDataLengthError):
                plain.web3.eth.get_block("latest")  # what a PoA chain does to a plain connection
        with connect(_rpc_network(url, poa=True)) as connection:
            assert _has_poa_middleware(connection)
            block = connection.web3.eth.get_block("latest")
            assert block["number"] == connection.web3.eth.block_number
            assert len(block["proofOfAuthorityData"]) == 97
            signer, receiver = dev_accounts(2)
            web3: Any = connection.web3
            balance = web3.eth.get_balance(receiver.address)
            # fees() reads the latest block, so a transaction exercises the middleware too
            _, receipt = TransactionSender(connection).send(signer, {"to": receiver.address, "value": 12345})
            assert receipt["status"] == 1
            assert web3.eth.get_balance(receiver.address) == balance + 12345
    finally:
        proxy.poa_blocks = False


# --- secrets in urls -----------------------------------------------------------------------------


def _all_text(exc: BaseException) -> str:
    return str(exc) + repr(exc) + "".join(traceback.format_exception(exc))


@pytest.mark.parametrize(
    "url",
    [
        f"http://127.0.0.1:1/{SECRET}",
        f"http://127.0.0.1:1/v3/{SECRET}",
        f"http://127.0.0.1:1/rpc?apikey={SECRET}",
        f"http://operator:{SECRET}@127.0.0.1:1",
    ],
    ids=["path", "nested-path", "query", "userinfo"],
)
def test_unreachable_url_error_does_not_show_the_secret(url: str) -> None:
    with pytest.raises(NetworkError) as caught:
        connect(_rpc_network(url))
    assert "cannot reach network 'remote' at http://127.0.0.1:1" in str(caught.value)
    assert SECRET not in _all_text(caught.value)


def test_secret_from_an_environment_variable_is_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PK_TEST_RPC_KEY", SECRET)
    with pytest.raises(NetworkError) as caught:
        connect(_rpc_network("http://127.0.0.1:1/v3/${PK_TEST_RPC_KEY}"))
    assert SECRET not in _all_text(caught.value)


def test_connection_repr_hides_credentials(anvil: Any) -> None:
    url = anvil.url.replace("http://", f"http://operator:{SECRET}@")
    with connect(_rpc_network(url)) as connection:
        assert SECRET not in repr(connection) and SECRET not in connection.endpoint
        assert f"127.0.0.1:{anvil.port}" in repr(connection)


@pytest.mark.parametrize("failing", ["eth_sendRawTransaction", "eth_estimateGas"])
def test_http_errors_during_a_session_do_not_show_the_secret(proxy: _Proxy, failing: str) -> None:
    signer, receiver = dev_accounts(2)
    with connect(_rpc_network(f"http://127.0.0.1:{proxy.port}/v3/{SECRET}")) as connection:
        proxy.failing = {failing}
        try:
            with pytest.raises(NetworkError) as caught:
                TransactionSender(connection).send(signer, {"to": receiver.address, "value": 1})
        finally:
            proxy.failing = set()
    assert f"{failing} to http://127.0.0.1:{proxy.port}/" in str(caught.value) and "429" in str(caught.value)
    assert SECRET not in _all_text(caught.value)
