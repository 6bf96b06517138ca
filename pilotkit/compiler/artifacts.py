"""Compiled contract artifacts: what the compiler produced for one contract, stored as JSON."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pilotkit.errors import ArtifactNotFound

ARTIFACT_FORMAT = "pilotkit-artifact-1"


@dataclass(frozen=True)
class Artifact:
    """ABI, bytecode and provenance of one compiled contract."""

    contract_name: str
    source_name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    link_references: dict[str, Any]
    deployed_link_references: dict[str, Any]
    immutable_references: dict[str, Any]
    method_identifiers: dict[str, str]
    storage_layout: dict[str, Any]
    devdoc: dict[str, Any]
    userdoc: dict[str, Any]
    compiler: dict[str, Any]
    source_hashes: dict[str, str]

    @property
    def fully_qualified_name(self) -> str:
        """`source:Name`, unique within a project."""
        return f"{self.source_name}:{self.contract_name}"

    @property
    def artifact_hash(self) -> str:
        """sha256 over what determines a deployment: ABI, creation bytecode and link references."""
        material = json.dumps(
            {"abi": self.abi, "bytecode": self.bytecode, "links": self.link_references}, sort_keys=True
        )
        return hashlib.sha256(material.encode()).hexdigest()

    @property
    def is_deployable(self) -> bool:
        """False for interfaces and abstract contracts (they have no creation code)."""
        return bool(self.bytecode)

    def errors(self) -> list[dict[str, Any]]:
        """ABI entries of the custom errors the contract can revert with."""
        return [entry for entry in self.abi if entry.get("type") == "error"]

    def to_json(self) -> dict[str, Any]:
        return {
            "format": ARTIFACT_FORMAT,
            "contractName": self.contract_name,
            "sourceName": self.source_name,
            "abi": self.abi,
            "bytecode": self.bytecode,
            "deployedBytecode": self.deployed_bytecode,
            "linkReferences": self.link_references,
            "deployedLinkReferences": self.deployed_link_references,
            "immutableReferences": self.immutable_references,
            "methodIdentifiers": self.method_identifiers,
            "storageLayout": self.storage_layout,
            "devdoc": self.devdoc,
            "userdoc": self.userdoc,
            "compiler": self.compiler,
            "sourceHashes": self.source_hashes,
            "artifactHash": self.artifact_hash,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Artifact:
        return cls(
            contract_name=data["contractName"],
            source_name=data["sourceName"],
            abi=data["abi"],
            bytecode=data["bytecode"],
            deployed_bytecode=data["deployedBytecode"],
            link_references=data.get("linkReferences", {}),
            deployed_link_references=data.get("deployedLinkReferences", {}),
            immutable_references=data.get("immutableReferences", {}),
            method_identifiers=data.get("methodIdentifiers", {}),
            storage_layout=data.get("storageLayout", {}),
            devdoc=data.get("devdoc", {}),
            userdoc=data.get("userdoc", {}),
            compiler=data["compiler"],
            source_hashes=data.get("sourceHashes", {}),
        )


def artifact_path(output_dir: Path, source_name: str, contract_name: str) -> Path:
    """Where an artifact lives: `<build>/<evm>/artifacts/<source>/<Name>.json`."""
    return output_dir / "artifacts" / source_name / f"{contract_name}.json"


def write_json(path: Path, data: Any) -> None:
    """Write deterministic JSON (sorted keys, fixed indentation) atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(json.dumps(data, sort_keys=True, indent=2) + "\n", encoding="utf-8")
    tmp.replace(path)


class ArtifactStore:
    """Read access to the artifacts of one build output folder (one EVM version)."""

    def __init__(self, output_dir: Path, index: dict[str, list[str]]) -> None:
        self.output_dir = output_dir
        self._index = index
        self._loaded: dict[str, Artifact] = {}

    @classmethod
    def open(cls, output_dir: Path) -> ArtifactStore:
        """Open a build folder written by the compiler (reads its cache index only)."""
        cache = output_dir / "cache.json"
        if not cache.is_file():
            raise ArtifactNotFound(f"no build in {output_dir}: run `pilotkit compile` first")
        roots = json.loads(cache.read_text())["roots"]
        index: dict[str, list[str]] = {}
        for source, entry in roots.items():
            for name in entry["contracts"]:
                index.setdefault(name, []).append(source)
        return cls(output_dir, index)

    def names(self) -> list[str]:
        """Every contract name in the build, sorted."""
        return sorted(self._index)

    def get(self, name: str) -> Artifact:
        """An artifact by `Name` or `path/To.sol:Name` (needed when two files define the same name)."""
        source, _, contract = name.rpartition(":")
        sources = [source] if source else self._index.get(contract, [])
        if not sources:
            raise ArtifactNotFound(f"no compiled contract named '{name}'; known: {', '.join(self.names()) or 'none'}")
        if len(sources) > 1:
            options = ", ".join(f"{s}:{contract}" for s in sorted(sources))
            raise ArtifactNotFound(f"'{name}' is ambiguous; use one of {options}")
        key = f"{sources[0]}:{contract}"
        if key not in self._loaded:
            path = artifact_path(self.output_dir, sources[0], contract)
            if not path.is_file():
                raise ArtifactNotFound(f"artifact {path} is missing: run `pilotkit compile`")
            self._loaded[key] = Artifact.from_json(json.loads(path.read_text()))
        return self._loaded[key]

    def all(self) -> list[Artifact]:
        """Every artifact in the build."""
        return [self.get(f"{source}:{name}") for name, sources in sorted(self._index.items()) for source in sources]
