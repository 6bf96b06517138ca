"""Deployments: recorded per chain, idempotent, redeployed when needed, resumed after an interruption."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from pilotkit.accounts.dev import dev_accounts
from pilotkit.accounts.signer import Signer
from pilotkit.chain.connection import Connection, connect
from pilotkit.chain.local import AnvilNode
from pilotkit.chain.transactions import TransactionSender
from pilotkit.deploy.deployer import Deployer
from pilotkit.errors import DeploymentError
from pilotkit.project import Project

from ._support import DEV0, REPO


@dataclass
class Env:
    """A compiled project connected to a chain, deploying as dev0."""

    project: Project
    connection: Connection
    signer: Signer

    @property
    def record_path(self) -> Path:
        return self.project.root / "deployments" / "local" / "local-31337.json"

    @property
    def web3(self) -> Any:
        """The connection's Web3 (untyped: tests pass plain address strings)."""
        return self.connection.web3

    def deployer(self) -> Deployer:
        """A new Deployer, as a fresh `pilotkit run` would build (its own nonce cache, record re-read)."""
        return Deployer(self.project, self.connection, self.signer)

    def nonce(self) -> int:
        return int(self.web3.eth.get_transaction_count(self.signer.address, "latest"))

    def block(self) -> int:
        return int(self.web3.eth.block_number)

    def record(self) -> dict[str, Any]:
        return json.loads(self.record_path.read_text())

    def creations_since(self, block: int) -> list[Any]:
        """Contract-creating transactions sent by the signer in blocks after `block`."""
        web3 = self.web3
        found = []
        for number in range(block + 1, self.block() + 1):
            for tx in web3.eth.get_block(number, full_transactions=True)["transactions"]:
                if tx["from"] == self.signer.address and tx["to"] is None:
                    found.append(tx)
        return found

    def has_code(self, address: str) -> bool:
        return len(self.web3.eth.get_code(address)) > 0


@pytest.fixture
def env(compiled_project: Path, anvil: Any) -> Iterator[Env]:
    project = Project.load(compiled_project)
    with connect(project.config.network("local"), node=anvil) as connection:
        yield Env(project, connection, dev_accounts(1)[0])


def _three_contracts(deployer: Deployer) -> None:
    deployer.deploy("Counter", 1)
    deployer.deploy("Vault", "a")
    deployer.deploy("Counter", 2, alias="counter2")


# --- records -------------------------------------------------------------------------------------


def test_deploy_writes_a_complete_record(env: Env) -> None:
    handle = env.deployer().deploy("Counter", 5)
    assert handle.count() == 5 and handle.owner() == DEV0

    data = env.record()
    assert (data["chainId"], data["network"], data["pending"]) == (31337, "local", {})
    entry = data["contracts"]["Counter"]
    assert entry["address"] == handle.address and env.has_code(entry["address"])
    receipt = env.web3.eth.get_transaction_receipt(entry["tx_hash"])
    assert receipt["contractAddress"] == entry["address"] and receipt["status"] == 1
    assert entry["block"] == receipt["blockNumber"]
    assert entry["deployer"] == DEV0
    assert entry["constructor_args"] == [5]
    assert entry["contract"] == "contracts/Counter.sol:Counter"
    assert entry["artifact_hash"] == env.project.artifacts("local").get("Counter").artifact_hash
    assert entry["evm_version"] == "prague"
    deployed_at = datetime.fromisoformat(entry["deployed_at"])
    assert abs((datetime.now(UTC) - deployed_at).total_seconds()) < 120


def test_same_contract_and_arguments_are_reused_without_a_transaction(env: Env) -> None:
    first = env.deployer().deploy("Counter", 5)
    nonce, record = env.nonce(), env.record_path.read_bytes()
    again = env.deployer().deploy("Counter", 5)
    assert again.address == first.address
    assert env.nonce() == nonce
    assert env.record_path.read_bytes() == record


def test_different_arguments_deploy_again(env: Env) -> None:
    first = env.deployer().deploy("Counter", 5)
    nonce = env.nonce()
    second = env.deployer().deploy("Counter", 6)
    assert second.address != first.address and second.count() == 6
    assert env.nonce() == nonce + 1
    assert env.record()["contracts"]["Counter"]["constructor_args"] == [6]
    assert env.record()["contracts"]["Counter"]["address"] == second.address


def test_changed_bytecode_deploys_again(env: Env) -> None:
    first = env.deployer().deploy("Counter", 5)
    source = env.project.root / "contracts" / "Counter.sol"
    source.write_text(
        source.read_text().rstrip().removesuffix("}")
        + "    function version() external pure returns (uint256) { return 2; }\n}\n"
    )
    project = Project.load(env.project.root)  # a new run: compiles the edit
    second = Deployer(project, env.connection, env.signer).deploy("Counter", 5)
    assert second.address != first.address and second.version() == 2
    assert (
        env.record()["contracts"]["Counter"]["artifact_hash"]
        == project.artifacts("local").get("Counter").artifact_hash
    )


def test_aliases_keep_several_instances_apart(env: Env) -> None:
    deployer = env.deployer()
    one = deployer.deploy("Counter", 1)
    two = deployer.deploy("Counter", 2, alias="counter2")
    assert one.address != two.address
    assert set(env.record()["contracts"]) == {"Counter", "counter2"}
    assert env.deployer().at("counter2").count() == 2
    with pytest.raises(
        DeploymentError, match="'nope' is not deployed on network 'local'.*deployed: Counter, counter2"
    ):
        env.deployer().at("nope")


def test_a_restarted_chain_gets_a_fresh_deployment(env: Env) -> None:
    recorded = env.deployer().deploy("Counter", 5).address
    with (
        AnvilNode(project_root=REPO) as fresh,
        connect(env.project.config.network("local"), node=fresh) as restarted,
    ):
        web3: Any = restarted.web3
        assert len(web3.eth.get_code(recorded)) == 0  # the new chain starts empty
        handle = Deployer(env.project, restarted, env.signer).deploy("Counter", 5)
        assert web3.eth.get_transaction_count(DEV0) == 1
        entry = env.record()["contracts"]["Counter"]
        assert entry["address"] == handle.address and len(web3.eth.get_code(handle.address)) > 0
        assert handle.address != recorded


def test_interfaces_and_bad_arguments_are_refused(env: Env) -> None:
    nonce = env.nonce()
    with pytest.raises(DeploymentError, match="interface or abstract"):
        env.deployer().deploy("IVault")
    with pytest.raises(DeploymentError, match="constructor arguments for Counter do not match its ABI"):
        env.deployer().deploy("Counter", "not a number")
    assert env.nonce() == nonce


def test_a_record_for_another_chain_is_refused(env: Env) -> None:
    env.record_path.parent.mkdir(parents=True)
    env.record_path.write_text(json.dumps({"chainId": 1, "contracts": {}, "pending": {}}))
    with pytest.raises(DeploymentError, match="is for chain 1, not 31337"):
        env.deployer()


def test_real_networks_record_to_deployments_chain_id_json(
    env: Env, anvil: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    config = env.project.root / "pilotkit.toml"
    config.write_text(
        config.read_text() + '\n[networks.devnet]\nkind = "rpc"\nurl = "${PK_DEVNET_URL}"\nchain_id = 31337\n'
    )
    monkeypatch.setenv("PK_DEVNET_URL", anvil.url)
    project = Project.load(env.project.root)
    with connect(project.config.network("devnet")) as connection:
        handle = Deployer(project, connection, env.signer).deploy("Counter", 7)
        web3: Any = connection.web3
        nonce = web3.eth.get_transaction_count(DEV0)
        assert Deployer(project, connection, env.signer).deploy("Counter", 7).address == handle.address
        assert web3.eth.get_transaction_count(DEV0) == nonce
    record = json.loads((project.root / "deployments" / "31337.json").read_text())
    assert record["network"] == "devnet" and record["contracts"]["Counter"]["address"] == handle.address
    assert not (project.root / "deployments" / "local").exists()


# --- interrupted deployments ---------------------------------------------------------------------


def _fail_once(monkeypatch: pytest.MonkeyPatch, method: str, on_call: int, error: BaseException) -> None:
    """Make TransactionSender.<method> raise `error` on its `on_call`-th call (1-based), then behave."""
    real = getattr(TransactionSender, method)
    calls = {"n": 0}

    def flaky(self: TransactionSender, *args: Any, **kwargs: Any) -> Any:
        calls["n"] += 1
        if calls["n"] == on_call:
            raise error
        return real(self, *args, **kwargs)

    monkeypatch.setattr(TransactionSender, method, flaky)


def _assert_completed_once(env: Env, start_block: int, start_nonce: int, journaled: dict[str, Any]) -> None:
    data = env.record()
    assert data["pending"] == {}
    assert set(data["contracts"]) == {"Counter", "Vault", "counter2"}
    assert all(env.has_code(entry["address"]) for entry in data["contracts"].values())
    assert env.nonce() == start_nonce + 3
    assert len(env.creations_since(start_block)) == 3, "a contract was deployed twice"
    vault = data["contracts"]["Vault"]
    assert vault["tx_hash"] == journaled["tx_hash"]
    assert vault["constructor_args"] == ["a"]
    assert env.web3.eth.get_transaction_receipt(vault["tx_hash"])["contractAddress"] == vault["address"]


def test_resume_after_a_crash_between_journal_and_broadcast(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    start_block, start_nonce = env.block(), env.nonce()
    _fail_once(monkeypatch, "broadcast", 2, RuntimeError("crash before broadcasting Vault"))
    with pytest.raises(RuntimeError, match="crash before broadcasting"):
        _three_contracts(env.deployer())
    journaled = env.record()["pending"]["Vault"]
    assert set(env.record()["contracts"]) == {"Counter"}
    assert journaled["nonce"] == start_nonce + 1 and env.nonce() == start_nonce + 1  # signed, never sent

    with caplog.at_level(logging.INFO, logger="pilotkit.deploy"):
        _three_contracts(env.deployer())
    assert f"re-broadcasting {journaled['tx_hash']}" in caplog.text
    _assert_completed_once(env, start_block, start_nonce, journaled)


def test_resume_after_a_crash_between_broadcast_and_receipt(
    env: Env, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    start_block, start_nonce = env.block(), env.nonce()
    _fail_once(monkeypatch, "wait", 2, KeyboardInterrupt())
    with pytest.raises(KeyboardInterrupt):
        _three_contracts(env.deployer())
    journaled = env.record()["pending"]["Vault"]
    # Anvil mines an instant after eth_sendRawTransaction returns: wait for the block, not for the deployer
    env.web3.eth.wait_for_transaction_receipt(journaled["tx_hash"], timeout=10, poll_latency=0.01)
    assert env.nonce() == start_nonce + 2  # Vault's transaction was mined, its receipt never read

    with caplog.at_level(logging.INFO, logger="pilotkit.deploy"):
        _three_contracts(env.deployer())
    assert f"{journaled['tx_hash']} was mined" in caplog.text
    _assert_completed_once(env, start_block, start_nonce, journaled)


def test_a_journaled_transaction_whose_nonce_was_used_elsewhere_is_replaced(
    env: Env, monkeypatch: pytest.MonkeyPatch
) -> None:
    start_block = env.block()
    _fail_once(monkeypatch, "broadcast", 1, RuntimeError("crash before broadcasting Counter"))
    with pytest.raises(RuntimeError):
        env.deployer().deploy("Counter", 3)
    journaled = env.record()["pending"]["Counter"]
    # meanwhile the operator used that nonce for something else
    TransactionSender(env.connection).send(env.signer, {"to": dev_accounts(2)[1].address, "value": 1})

    handle = env.deployer().deploy("Counter", 3)
    entry = env.record()["contracts"]["Counter"]
    assert entry["tx_hash"] != journaled["tx_hash"] and env.record()["pending"] == {}
    assert handle.count() == 3
    assert len(env.creations_since(start_block)) == 1
