"""Idempotent, resumable deployments.

A deployment with the same artifact and constructor arguments as the record, whose code is still on
chain, is reused. Every deployment transaction is signed and journaled before it is broadcast, so a
run interrupted at any point resumes with the same transaction (same nonce, same hash) instead of
deploying a second copy.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from eth_utils import to_checksum_address

from pilotkit.contracts.handle import ContractHandle, revert_data
from pilotkit.deploy.records import DeployedContract, DeploymentRecord, PendingDeployment, record_path
from pilotkit.errors import DeploymentError

if TYPE_CHECKING:
    from pilotkit.accounts.signer import Signer
    from pilotkit.chain.connection import Connection
    from pilotkit.chain.transactions import TransactionSender
    from pilotkit.compiler.artifacts import Artifact, ArtifactStore
    from pilotkit.contracts.events import EventDecoder
    from pilotkit.contracts.reverts import ErrorDecoder
    from pilotkit.project import Project

log = logging.getLogger("pilotkit.deploy")


class Deployer:
    """Deploys a project's contracts to one connection with one signer, keeping the record current."""

    def __init__(self, project: Project, connection: Connection, signer: Signer,
                 sender: TransactionSender | None = None, record: DeploymentRecord | None = None) -> None:
        from pilotkit.chain.transactions import TransactionSender

        self.project = project
        self.connection = connection
        self.signer = signer
        self.sender = sender or TransactionSender(connection)
        network = connection.network
        self.store: ArtifactStore = project.artifacts(network.name)
        self.evm_version = project.settings(network.name).evm_version
        self.record = record or DeploymentRecord(
            record_path(project.config.deployments_dir, connection.chain_id, network.name, network.is_local),
            connection.chain_id, network.name,
        )
        #: what this deployer did, in order: ("deployed" | "reused", alias, address, tx hash)
        self.activity: list[tuple[str, str, str, str]] = []
        self.errors: ErrorDecoder = project.error_decoder(self.store)
        self.events: EventDecoder = project.event_decoder(self.store)

    def handle(self, contract: str, address: str, alias: str | None = None) -> ContractHandle:
        """A handle on `contract`'s ABI at `address`, decoding every project error and event."""
        artifact = self.store.get(contract)
        return ContractHandle(alias or artifact.contract_name, address, artifact.abi, self.sender, self.errors,
                              self.events, default_signer=self.signer)

    def at(self, alias: str) -> ContractHandle:
        """The handle of a contract already in this network's deployment record."""
        from pilotkit.errors import NoCodeError

        entry = self.record.require(alias)
        if not self._has_code(entry.address):
            hint = ("local chains start empty, so the record is from an earlier chain: run the script that "
                    "deploys it again, or run against the chain that holds it (`--rpc URL`, or start "
                    "`pilotkit node` and deploy there)") if self.connection.is_local else \
                "check that this is the network it was deployed to, or deploy it again"
            raise NoCodeError(
                f"'{alias}' in {self.record.path} is at {entry.address}, but chain {self.connection.chain_id} at "
                f"{self.connection.endpoint} has no code there; {hint}"
            )
        handle = self.handle(entry.contract, entry.address, alias)
        handle.origin = f"recorded in {self.record.path}"
        handle._code_seen = True
        self.activity.append(("reused", alias, entry.address, entry.tx_hash))
        return handle

    def create(self, contract: str, *args: Any, sender: Signer | None = None,
               libraries: dict[str, str] | None = None) -> ContractHandle:
        """Deploy a fresh instance without touching the record (tests, throw-away instances)."""
        artifact = self.store.get(contract)
        if not artifact.is_deployable:
            raise DeploymentError(f"{artifact.fully_qualified_name} is an interface or abstract contract")
        signer = sender or self.signer
        data = self._creation_code(artifact, list(args), libraries or {})
        try:
            tx_hash, receipt = self.sender.send(signer, {"data": data})
        except Exception as exc:
            raise self._constructor_revert(exc, artifact) from None
        if int(receipt["status"]) != 1 or not receipt.get("contractAddress"):
            raise DeploymentError(f"deploying {artifact.contract_name} failed in {tx_hash} (constructor reverted)")
        handle = self.handle(artifact.fully_qualified_name, receipt["contractAddress"], artifact.contract_name)
        handle.default_signer = signer
        handle.deploy_receipt = receipt
        handle._code_seen = True
        return handle

    def deploy(self, contract: str, *args: Any, alias: str | None = None,
               libraries: dict[str, str] | None = None) -> ContractHandle:
        """Deploy `contract` (or reuse/resume it) under `alias` (default: the contract name)."""
        artifact = self.store.get(contract)
        if not artifact.is_deployable:
            raise DeploymentError(f"{artifact.fully_qualified_name} is an interface or abstract contract")
        key = alias or artifact.contract_name
        plain_args = [_plain(a) for a in args]
        data = self._creation_code(artifact, list(args), libraries or {})
        existing = self.record.get(key)
        if existing and existing.artifact_hash == artifact.artifact_hash and existing.constructor_args == plain_args:
            if self._has_code(existing.address):
                log.info("reusing %s at %s", key, existing.address)
                self.activity.append(("reused", key, existing.address, existing.tx_hash))
                reused = self.handle(existing.contract, existing.address, key)
                reused._code_seen = True
                return reused
            log.info("%s is recorded at %s but has no code there (chain reset?); deploying again", key,
                     existing.address)
        pending = self.record.pending.get(key)
        if pending and pending.artifact_hash == artifact.artifact_hash and pending.constructor_args == plain_args:
            resumed = self._resume(pending, artifact)
            if resumed is not None:
                return resumed
        try:
            prepared = self.sender.prepare(self.signer, {"data": data})
        except Exception as exc:
            raise self._constructor_revert(exc, artifact) from None
        tx_hash, raw = self.sender.sign(self.signer, prepared)
        self.record.journal(PendingDeployment(
            alias=key, contract=artifact.fully_qualified_name, tx_hash=tx_hash, nonce=int(prepared["nonce"]),
            deployer=self.signer.address, constructor_args=plain_args, artifact_hash=artifact.artifact_hash,
            raw_transaction="0x" + raw.hex(),
        ))
        self.sender.broadcast(self.signer, tx_hash, raw)
        return self._finish(self.record.pending[key], self.sender.wait(tx_hash), artifact)

    def _resume(self, pending: PendingDeployment, artifact: Artifact) -> ContractHandle | None:
        """Finish a journaled deployment: wait for it, or re-broadcast the same signed bytes."""
        receipt = self.sender.find_receipt(pending.tx_hash)
        if receipt is not None:
            log.info("resuming %s: %s was mined", pending.alias, pending.tx_hash)
            return self._finish(pending, self.sender.wait(pending.tx_hash), artifact)
        deployer = to_checksum_address(pending.deployer)
        mined_nonce = int(self.connection.web3.eth.get_transaction_count(deployer, "latest"))
        if mined_nonce > pending.nonce:
            log.info("journaled %s was replaced at nonce %d; deploying anew", pending.tx_hash, pending.nonce)
            self.record.pending.pop(pending.alias, None)
            return None
        log.info("resuming %s: re-broadcasting %s at nonce %d", pending.alias, pending.tx_hash, pending.nonce)
        self.sender.broadcast(self.signer, pending.tx_hash, bytes.fromhex(pending.raw_transaction[2:]))
        return self._finish(pending, self.sender.wait(pending.tx_hash), artifact)

    def _finish(self, pending: PendingDeployment, receipt: Any, artifact: Artifact) -> ContractHandle:
        if int(receipt["status"]) != 1 or not receipt.get("contractAddress"):
            self.record.pending.pop(pending.alias, None)
            self.record.save()
            raise DeploymentError(f"deploying {pending.alias} failed in {pending.tx_hash} (constructor reverted)")
        deployed = DeployedContract(
            alias=pending.alias, contract=artifact.fully_qualified_name, address=receipt["contractAddress"],
            tx_hash=pending.tx_hash, block=int(receipt["blockNumber"]), deployer=pending.deployer,
            constructor_args=pending.constructor_args, artifact_hash=artifact.artifact_hash,
            evm_version=self.evm_version, deployed_at=datetime.now(UTC).isoformat(timespec="seconds"),
        )
        self.record.complete(deployed)
        log.info("deployed %s at %s (tx %s)", pending.alias, deployed.address, pending.tx_hash)
        self.activity.append(("deployed", pending.alias, deployed.address, pending.tx_hash))
        handle = self.handle(artifact.fully_qualified_name, deployed.address, pending.alias)
        handle._code_seen = True
        return handle

    def _constructor_revert(self, exc: Exception, artifact: Artifact) -> Exception:
        """A constructor that reverts at gas estimation raises the contract's named error."""
        raw = revert_data(exc)
        return exc if raw is None else self.errors.decode(raw, function=f"{artifact.contract_name}.constructor")

    def _has_code(self, address: str) -> bool:
        return len(self.connection.web3.eth.get_code(to_checksum_address(address))) > 0

    def _creation_code(self, artifact: Artifact, args: list[Any], libraries: dict[str, str]) -> str:
        bytecode = link_bytecode(artifact.bytecode, artifact.link_references, libraries)
        contract = self.connection.web3.eth.contract(abi=artifact.abi, bytecode=bytecode)
        try:
            # gas and fees are placeholders: only the encoded `data` of this dict is used
            built = contract.constructor(*args).build_transaction(
                {"from": self.signer.address, "gas": 1, "gasPrice": 0, "nonce": 0, "chainId": self.connection.chain_id}
            )
            return str(built["data"])
        except Exception as exc:
            raise DeploymentError(f"constructor arguments for {artifact.contract_name} do not match its ABI: {exc}") \
                from None


def link_bytecode(bytecode: str, link_references: dict[str, Any], libraries: dict[str, str]) -> str:
    """Replace library placeholders with addresses; every referenced library must be given."""
    code = bytearray.fromhex(bytecode.removeprefix("0x")) if not link_references else None
    if code is not None:
        return "0x" + code.hex()
    text = bytecode.removeprefix("0x")
    for source, names in link_references.items():
        for name, positions in names.items():
            address = libraries.get(name) or libraries.get(f"{source}:{name}")
            if address is None:
                raise DeploymentError(f"bytecode needs library {source}:{name}: pass libraries={{'{name}': address}}")
            for position in positions:
                start = position["start"] * 2
                text = text[:start] + address.lower().removeprefix("0x") + text[start + 40:]
    return "0x" + text


def _plain(value: Any) -> Any:
    """Constructor arguments as JSON (bytes as hex, tuples as lists, big ints as-is)."""
    if isinstance(value, (bytes, bytearray)):
        return "0x" + bytes(value).hex()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if hasattr(value, "address") and isinstance(value.address, str):
        return value.address
    return value
