"""Contract-handle edge cases: constructor reverts, overloaded functions, argument names that clash with helpers."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from pilotkit.chain.transactions import TransactionSender
from pilotkit.contracts.reverts import ContractRevert
from pilotkit.testing.assertions import assert_event, reverts

from ._support import copy_sample

EDGES = """// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

contract Edges {
    error ZeroStart(uint256 given);
    event Named(string name, uint256 error);
    uint256 public value;

    constructor(uint256 start) {
        if (start == 0) revert ZeroStart(start);
        value = start;
    }

    function bump() external { value += 1; }
    function bump(uint256 by) external { value += by; }
    function peek() external view returns (uint256) { return value; }
    function peek(uint256 plus) external view returns (uint256) { return value + plus; }
    function announce(string calldata name, uint256 error) external { emit Named(name, error); }
    function name() external pure returns (string memory) { return "edges"; }
    function sender() external pure returns (uint256) { return 42; }
}
"""


@pytest.fixture(scope="module")
def deployer(tmp_path_factory: pytest.TempPathFactory, anvil: object) -> Iterator[object]:
    from pilotkit.accounts.dev import dev_accounts
    from pilotkit.chain.connection import connect
    from pilotkit.deploy.deployer import Deployer
    from pilotkit.deploy.records import DeploymentRecord
    from pilotkit.project import Project

    root = copy_sample(tmp_path_factory.mktemp("edges") / "sample")
    (root / "contracts" / "Edges.sol").write_text(EDGES)
    project = Project.load(root)
    network = project.config.network("local")
    with connect(network, node=anvil) as connection:  # type: ignore[arg-type]
        record = DeploymentRecord(Path(root) / "record.json", connection.chain_id, "local")
        yield Deployer(project, connection, dev_accounts(1)[0], record=record)


def test_constructor_revert_raises_the_named_error(deployer: object) -> None:
    with reverts("ZeroStart", given=0):
        deployer.create("Edges", 0)  # type: ignore[attr-defined]
    with pytest.raises(ContractRevert, match="ZeroStart"):
        deployer.deploy("Edges", 0)  # type: ignore[attr-defined]


def test_overloads_are_routed_by_argument_count(deployer: object) -> None:
    edges = deployer.create("Edges", 5)  # type: ignore[attr-defined]
    edges.bump()
    edges.bump(10)
    assert edges.peek() == 16
    assert edges.peek(4) == 20


def test_event_and_revert_arguments_may_be_called_name_or_error(deployer: object) -> None:
    edges = deployer.create("Edges", 1)  # type: ignore[attr-defined]
    assert_event(edges.announce("clinic", 7), "Named", name="clinic", error=7)


def test_functions_named_like_handle_attributes(deployer: object) -> None:
    edges = deployer.create("Edges", 1)  # type: ignore[attr-defined]
    assert edges.name() == "edges"
    assert edges.contract_name == "Edges"
    assert edges.functions.sender() == 42
    assert isinstance(edges.sender, TransactionSender)  # the handle attribute keeps its meaning


def test_chain_reorg_replaces_blocks_and_resyncs_nonces(anvil: object) -> None:
    from pilotkit.chain.control import ChainControl

    rpc = anvil.rpc()  # type: ignore[attr-defined]
    control = ChainControl(rpc, "anvil")
    resynced: list[bool] = []
    control.on_revert(lambda: resynced.append(True))
    snapshot = control.snapshot()
    try:
        control.mine(3)
        height = control.block_number()
        before = rpc.call("eth_getBlockByNumber", [hex(height), False])["hash"]
        control.reorg(2)
        assert control.block_number() == height
        assert rpc.call("eth_getBlockByNumber", [hex(height), False])["hash"] != before
        assert resynced == [True]
    finally:
        control.revert(snapshot)
        rpc.close()


def test_window_start_keeps_a_window_inside_one_period(anvil: object) -> None:
    from pilotkit.chain.control import ChainControl

    rpc = anvil.rpc()  # type: ignore[attr-defined]
    control = ChainControl(rpc, "anvil")
    snapshot = control.snapshot()
    try:
        period = 30 * 86400
        boundary = (control.time() // period + 2) * period
        control.mine(1, timestamp=boundary - 3600)  # one hour before a period ends
        start = control.window_start(7 * 86400, period)
        assert start == boundary and start // period == (start + 7 * 86400 - 1) // period
        assert control.window_start(3600, period) == start  # room enough: no jump
    finally:
        control.revert(snapshot)
        rpc.close()
