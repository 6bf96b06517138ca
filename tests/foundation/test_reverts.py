"""Revert data becomes named exceptions: custom errors, Error(string), Panic, unknown data, mined failures."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_utils import keccak

from pilotkit.accounts.dev import dev_accounts
from pilotkit.accounts.signer import Signer
from pilotkit.chain.connection import connect
from pilotkit.chain.local import GanacheNode
from pilotkit.chain.transactions import TransactionFailed
from pilotkit.contracts.handle import ContractHandle
from pilotkit.contracts.reverts import (
    ContractRevert,
    ErrorDecoder,
    Panic,
    RevertString,
    UnknownRevert,
    revert_class,
)
from pilotkit.deploy.deployer import Deployer
from pilotkit.errors import PilotkitError
from pilotkit.project import Project

from ._support import REPO

RELAY = """// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

/// Forwards a call and bubbles its revert data unchanged; reverts with arbitrary bytes on request.
contract Relay {
    function forward(address target, bytes calldata data) external returns (bytes memory) {
        (bool ok, bytes memory returned) = target.call(data);
        if (!ok) {
            assembly { revert(add(returned, 32), mload(returned)) }
        }
        return returned;
    }

    function raw(bytes calldata data) external pure {
        bytes memory copy = data;
        assembly { revert(add(copy, 32), mload(copy)) }
    }
}
"""
INSUFFICIENT = keccak(text="InsufficientDeposit(address,uint256,uint256)")[:4]


@dataclass
class Contracts:
    vault: ContractHandle
    relay: ContractHandle
    deployer: Deployer
    owner: Signer
    stranger: Signer

    def nonce(self, signer: Signer) -> int:
        web3: Any = self.deployer.connection.web3
        return int(web3.eth.get_transaction_count(signer.address))


def _project_with_relay(tmp: Path, template: Path) -> Project:
    root = tmp / "sample"
    shutil.copytree(template, root, ignore=shutil.ignore_patterns("deployments", ".lock"))
    (root / "contracts" / "Relay.sol").write_text(RELAY)
    return Project.load(root)


@pytest.fixture(scope="module")
def contracts(
    tmp_path_factory: pytest.TempPathFactory, compiled_template: Path, anvil: Any
) -> Iterator[Contracts]:
    project = _project_with_relay(tmp_path_factory.mktemp("reverts"), compiled_template)
    owner, stranger = dev_accounts(2)
    with connect(project.config.network("local"), node=anvil) as connection:
        deployer = Deployer(project, connection, owner)
        yield Contracts(
            deployer.create("Vault", "reverts"), deployer.create("Relay"), deployer, owner, stranger
        )


def test_custom_error_with_arguments_is_a_named_exception(contracts: Contracts) -> None:
    vault, stranger = contracts.vault, contracts.stranger
    with pytest.raises(ContractRevert) as caught:
        vault.call("withdraw", 5, sender=stranger)
    err = caught.value
    assert type(err).__name__ == "InsufficientDeposit" and isinstance(err, PilotkitError)
    assert err.values == {"account": stranger.address, "requested": 5, "available": 0}
    assert err.signature == "InsufficientDeposit(address,uint256,uint256)"
    assert err.data[:4] == INSUFFICIENT and err.function == "Vault.withdraw"
    assert (
        str(err)
        == f"InsufficientDeposit(account='{stranger.address}', requested=5, available=0) in Vault.withdraw"
    )


def test_a_reverting_transaction_raises_before_it_is_sent(contracts: Contracts) -> None:
    vault, stranger = contracts.vault, contracts.stranger
    nonce = contracts.nonce(stranger)
    with pytest.raises(vault.errors.InsufficientDeposit) as caught:
        vault.withdraw(9, sender=stranger)  # gas estimation replays the revert
    assert caught.value.values["requested"] == 9
    with pytest.raises(vault.errors.ZeroAmount) as zero:
        vault.deposit(0, sender=stranger)
    assert zero.value.values == {}
    assert contracts.nonce(stranger) == nonce


def test_error_classes_are_one_per_name_across_handles(contracts: Contracts) -> None:
    other = contracts.deployer.create("Vault", "second")
    assert other.address != contracts.vault.address
    assert other.errors.ZeroAmount is contracts.vault.errors.ZeroAmount is revert_class("ZeroAmount")
    with pytest.raises(contracts.vault.errors.InsufficientDeposit):
        other.call("withdraw", 1, sender=contracts.stranger)
    assert revert_class("Error") is RevertString and revert_class("Panic") is Panic


def test_inherited_library_errors_are_decoded(contracts: Contracts) -> None:
    vault, stranger = contracts.vault, contracts.stranger
    with pytest.raises(vault.errors.AccessControlUnauthorizedAccount) as caught:
        vault.audit(sender=stranger)
    role = "0x" + keccak(text="AUDITOR_ROLE").hex()
    assert caught.value.values == {"account": stranger.address, "neededRole": role}
    with pytest.raises(vault.errors.AccessControlUnauthorizedAccount):
        vault.grantRole(role, stranger.address, sender=stranger)  # only the admin may grant
    vault.grantRole(role, stranger.address, sender=contracts.owner)
    try:
        assert vault.audit(sender=stranger) is True
    finally:
        vault.revokeRole(role, stranger.address, sender=contracts.owner)


def test_revert_string_has_its_reason(contracts: Contracts) -> None:
    with pytest.raises(RevertString) as caught:
        contracts.vault.failWithReason()
    assert caught.value.reason == "vault: plain reason"
    assert caught.value.signature == "Error(string)"
    assert str(caught.value) == "Error(reason='vault: plain reason') in Vault.failWithReason"


def test_panic_has_its_code_and_meaning(contracts: Contracts) -> None:
    with pytest.raises(Panic) as caught:
        contracts.vault.failWithPanic(0)
    assert caught.value.values == {"code": 0x12, "meaning": "division or modulo by zero"}
    assert contracts.vault.failWithPanic(1) == 1


def test_errors_bubbling_through_another_contract_are_decoded_by_its_handle(contracts: Contracts) -> None:
    vault, relay = contracts.vault, contracts.relay
    assert not relay.errors.__dict__, "Relay declares no errors of its own"
    data = vault.encode("withdraw", 7)
    with pytest.raises(vault.errors.InsufficientDeposit) as caught:
        relay.call("forward", vault.address, data)
    assert caught.value.values == {"account": relay.address, "requested": 7, "available": 0}
    assert caught.value.function == "Relay.forward"
    with pytest.raises(vault.errors.InsufficientDeposit):
        relay.forward(vault.address, data)  # as a transaction: gas estimation decodes it too

    # what the project-wide decoder adds: a handle knowing only Relay's ABI cannot name the error
    narrow = ContractHandle("Relay", relay.address, relay.abi, relay.sender)
    with pytest.raises(UnknownRevert) as unknown:
        narrow.call("forward", vault.address, data)
    assert unknown.value.data == caught.value.data and unknown.value.data[:4] == INSUFFICIENT


@pytest.mark.parametrize(
    "payload",
    [bytes.fromhex("deadbeef") + (1).to_bytes(32, "big"), INSUFFICIENT + b"\x00\x01\x02", b""],
    ids=["unknown-selector", "truncated-known-error", "empty"],
)
def test_unknown_revert_data_is_kept_raw(contracts: Contracts, payload: bytes) -> None:
    with pytest.raises(UnknownRevert) as caught:
        contracts.relay.call("raw", payload)
    assert caught.value.data == payload
    assert caught.value.values == ({"data": "0x" + payload.hex()} if payload else {})


def test_mined_failed_transaction_carries_the_decoded_revert(contracts: Contracts) -> None:
    vault, stranger = contracts.vault, contracts.stranger
    nonce = contracts.nonce(stranger)
    with pytest.raises(TransactionFailed) as caught:
        vault.withdraw(5, sender=stranger, gas=200_000)  # explicit gas: no estimation, the tx is mined
    failure = caught.value
    assert contracts.nonce(stranger) == nonce + 1
    assert failure.receipt["status"] == 0
    assert "0x" + bytes(failure.receipt["transactionHash"]).hex() == failure.tx_hash
    assert isinstance(failure.revert, vault.errors.InsufficientDeposit)
    assert failure.revert.values == {"account": stranger.address, "requested": 5, "available": 0}
    assert f"Vault.withdraw reverted in {failure.tx_hash}: InsufficientDeposit(" in str(failure)


def test_mined_failures_decode_panics_and_bubbled_errors(contracts: Contracts) -> None:
    with pytest.raises(TransactionFailed) as panic:
        contracts.vault.transact("failWithPanic", 0, sender=contracts.stranger, gas=100_000)
    assert isinstance(panic.value.revert, Panic) and panic.value.revert.values["code"] == 0x12
    with pytest.raises(TransactionFailed) as bubbled:
        contracts.relay.forward(contracts.vault.address, contracts.vault.encode("deposit", 0), gas=200_000)
    assert type(bubbled.value.revert) is revert_class("ZeroAmount")


def test_decoder_merges_errors_from_many_abis() -> None:
    from eth_abi import encode

    first = [{"type": "error", "name": "RoundClosed", "inputs": [{"name": "round", "type": "uint64"}]}]
    second = [
        {
            "type": "error",
            "name": "Frozen",
            "inputs": [{"name": "who", "type": "address"}, {"name": "ids", "type": "uint256[]"}],
        }
    ]
    decoder = ErrorDecoder([first, second])
    closed = decoder.decode(keccak(text="RoundClosed(uint64)")[:4] + encode(["uint64"], [3]))
    assert type(closed) is revert_class("RoundClosed") and closed.values == {"round": 3}
    who = "0x" + "ab" * 20
    frozen = decoder.decode(
        keccak(text="Frozen(address,uint256[])")[:4] + encode(["address", "uint256[]"], [who, [1, 2]])
    )
    assert frozen.values["ids"] == [1, 2] and frozen.values["who"].lower() == who


@pytest.mark.ganache
def test_ganache_reverts_decode_the_same_way(tmp_path: Path, compiled_template: Path) -> None:
    project = _project_with_relay(tmp_path, compiled_template)
    owner, stranger = dev_accounts(2)
    with (
        GanacheNode(project_root=REPO) as node,
        connect(project.config.network("ganache"), node=node) as connection,
    ):
        deployer = Deployer(project, connection, owner)
        vault, relay = deployer.create("Vault", "ganache"), deployer.create("Relay")
        with pytest.raises(vault.errors.InsufficientDeposit) as called:
            vault.call("withdraw", 5, sender=stranger)
        assert called.value.values == {"account": stranger.address, "requested": 5, "available": 0}
        with pytest.raises(RevertString, match="vault: plain reason"):
            vault.failWithReason()
        with pytest.raises(vault.errors.InsufficientDeposit):
            relay.call("forward", vault.address, vault.encode("withdraw", 1))
        with pytest.raises(TransactionFailed) as mined:
            vault.withdraw(5, sender=stranger, gas=200_000)
        assert isinstance(mined.value.revert, vault.errors.InsufficientDeposit)
