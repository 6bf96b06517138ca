"""Replays run on any development chain that offers the controls they need (probed), not only the Anvil or
Ganache pilotkit starts: here an Anvil reached as a plain rpc network, left as it was found; a chain lacking a
control is refused naming it."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from pilotkit.config import NetworkConfig
from pilotkit.pilots import ReplayError
from pilotkit.project import Project

from .conftest import PILOTS, ROOT


def _with_network(network: NetworkConfig) -> Project:
    project = Project.load(ROOT)
    config = dataclasses.replace(project.config, networks={**project.config.networks, network.name: network})
    return Project(config)


def test_a_replay_runs_on_a_running_development_chain_and_leaves_it_as_found() -> None:
    from pilotkit.chain.local import AnvilNode
    from pilotkit.pilots.engine import replay_file

    with AnvilNode(accounts=1) as node:
        rpc = node.rpc()
        before = (rpc.call("eth_blockNumber"), rpc.call("eth_getBalance", ["0x" + "00" * 19 + "01", "latest"]))
        project = _with_network(NetworkConfig("devchain", "rpc", chain_id=31337, url=node.url, evm_version="prague"))
        result = replay_file(PILOTS / "wallet-recovery-drill.yaml", project=project, network="devchain")
        assert result["summary"]["verdict"] == "PASS", result["summary"]["failures"]
        assert result["chain"]["network"] == "devchain" and result["chain"]["kind"] == "anvil"
        assert (rpc.call("eth_blockNumber"), rpc.call("eth_getBalance", ["0x" + "00" * 19 + "01", "latest"])) == before
        assert rpc.call("anvil_getAutomine") is True  # automine restored
        rpc.close()


class _Chain(BaseHTTPRequestHandler):
    """A JSON-RPC chain with snapshots and mining but no control of block timestamps or balances."""

    offered = {"eth_chainId": "0x7a69", "evm_snapshot": "0x1", "evm_revert": True, "evm_mine": "0x0",
               "evm_setAutomine": True, "hardhat_mine": True}

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        request = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if request["method"] in self.offered:
            reply: dict[str, Any] = {"result": self.offered[request["method"]]}
        else:
            reply = {"error": {"code": -32601, "message": f"Method {request['method']} not found"}}
        body = json.dumps({"jsonrpc": "2.0", "id": request["id"], **reply}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture()
def lacking_chain() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Chain)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_a_chain_lacking_a_control_is_refused_naming_it(lacking_chain: str) -> None:
    from pilotkit.pilots.engine import replay_file

    project = _with_network(NetworkConfig("partial", "rpc", chain_id=31337, url=lacking_chain, evm_version="prague"))
    with pytest.raises(ReplayError) as err:
        replay_file(PILOTS / "wallet-recovery-drill.yaml", project=project, network="partial")
    message = str(err.value)
    assert "lacks what a replay needs: block timestamps (evm_setNextBlockTimestamp), balances (hardhat_setBalance)" \
        in message
    assert "remote chain" not in message
