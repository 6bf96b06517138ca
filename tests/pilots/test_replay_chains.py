"""Replays run on any development chain that offers the controls they need (probed), not only the Anvil or
Ganache pilotkit starts: here an Anvil reached as a plain rpc network, left as it was found; a chain lacking a
control is refused naming it."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from typing import Any

import pytest
from _json_rpc_stub import json_rpc_stub

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


#: a JSON-RPC chain with snapshots and mining but no control of block timestamps or balances
OFFERED = {"eth_chainId": "0x7a69", "evm_snapshot": "0x1", "evm_revert": True, "evm_mine": "0x0",
           "evm_setAutomine": True, "hardhat_mine": True}


def _lacking(request: dict[str, Any]) -> dict[str, Any]:
    if request["method"] in OFFERED:
        return {"result": OFFERED[request["method"]]}
    return {"error": {"code": -32601, "message": f"Method {request['method']} not found"}}


@pytest.fixture()
def lacking_chain() -> Iterator[str]:
    with json_rpc_stub(_lacking) as url:
        yield url


def test_a_chain_lacking_a_control_is_refused_naming_it(lacking_chain: str) -> None:
    from pilotkit.pilots.engine import replay_file

    project = _with_network(NetworkConfig("partial", "rpc", chain_id=31337, url=lacking_chain, evm_version="prague"))
    with pytest.raises(ReplayError) as err:
        replay_file(PILOTS / "wallet-recovery-drill.yaml", project=project, network="partial")
    message = str(err.value)
    assert "lacks what a replay needs: block timestamps (evm_setNextBlockTimestamp), balances (hardhat_setBalance)" \
        in message
    assert "remote chain" not in message
