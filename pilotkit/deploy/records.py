"""Deployment records: one JSON file per chain id, written atomically after every step.

Real networks: `deployments/<chainId>.json` (commit these). Local chains: `deployments/local/...`
(git-ignored, and validated against the chain's code before reuse since local chains restart empty).
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from pilotkit.errors import DeploymentError

RECORD_FORMAT = "pilotkit-deployments-1"


@dataclass(frozen=True)
class DeployedContract:
    """What was deployed under one alias."""

    alias: str
    contract: str
    address: str
    tx_hash: str
    block: int
    deployer: str
    constructor_args: list[Any]
    artifact_hash: str
    evm_version: str
    deployed_at: str


@dataclass(frozen=True)
class PendingDeployment:
    """A deployment transaction that was signed and journaled but not yet seen mined."""

    alias: str
    contract: str
    tx_hash: str
    nonce: int
    deployer: str
    constructor_args: list[Any]
    artifact_hash: str
    raw_transaction: str


def record_path(deployments_dir: Path, chain_id: int, network: str, local: bool) -> Path:
    if local:
        return deployments_dir / "local" / f"{network}-{chain_id}.json"
    return deployments_dir / f"{chain_id}.json"


class DeploymentRecord:
    """The contracts deployed on one chain plus the journal of in-flight deployments."""

    def __init__(self, path: Path, chain_id: int, network: str) -> None:
        self.path = path
        self.chain_id = chain_id
        self.network = network
        self.contracts: dict[str, DeployedContract] = {}
        self.pending: dict[str, PendingDeployment] = {}
        self.extra: dict[str, Any] = {}
        if path.is_file():
            self._load()

    def _load(self) -> None:
        try:
            data = json.loads(self.path.read_text())
        except (OSError, json.JSONDecodeError) as exc:
            raise DeploymentError(f"deployment record {self.path} is unreadable: {exc}") from None
        if data.get("chainId") != self.chain_id:
            raise DeploymentError(f"{self.path} is for chain {data.get('chainId')}, not {self.chain_id}")
        self.contracts = {k: DeployedContract(**v) for k, v in data.get("contracts", {}).items()}
        self.pending = {k: PendingDeployment(**v) for k, v in data.get("pending", {}).items()}
        self.extra = data.get("extra", {})

    def get(self, alias: str) -> DeployedContract | None:
        return self.contracts.get(alias)

    def require(self, alias: str) -> DeployedContract:
        found = self.contracts.get(alias)
        if found is None:
            known = ", ".join(sorted(self.contracts)) or "none"
            raise DeploymentError(
                f"'{alias}' is not deployed on network '{self.network}' (chain {self.chain_id}); deployed: {known}"
            )
        return found

    def journal(self, pending: PendingDeployment) -> None:
        """Record a signed deployment BEFORE it is broadcast, so a crash can resume it."""
        self.pending[pending.alias] = pending
        self.save()

    def complete(self, deployed: DeployedContract) -> None:
        self.pending.pop(deployed.alias, None)
        self.contracts[deployed.alias] = deployed
        self.save()

    def forget(self, alias: str) -> None:
        self.pending.pop(alias, None)
        self.contracts.pop(alias, None)
        self.save()

    def save(self) -> None:
        data = {
            "format": RECORD_FORMAT,
            "chainId": self.chain_id,
            "network": self.network,
            "contracts": {k: asdict(v) for k, v in sorted(self.contracts.items())},
            "pending": {k: asdict(v) for k, v in sorted(self.pending.items())},
            "extra": self.extra,
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".json.tmp")
        with tmp.open("w", encoding="utf-8") as handle:
            handle.write(json.dumps(data, indent=2, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        tmp.replace(self.path)
