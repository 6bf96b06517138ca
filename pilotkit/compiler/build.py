"""Compiling the project: content-hash cache, standard-JSON input, deterministic artifacts.

A root (a `.sol` file under contracts/) is recompiled only when the hash of its import closure, the
compiler version or the settings change; an unchanged tree starts no compiler at all.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pilotkit.compiler.artifacts import Artifact, ArtifactStore, artifact_path, write_json
from pilotkit.compiler.diagnostics import CompilationFailed, Diagnostic, to_diagnostics
from pilotkit.compiler.sources import Remapping, SourceSet, discover_roots, load_sources
from pilotkit.config import CompilerSettings, ProjectConfig
from pilotkit.toolchain.solc import SolcBackend, find_solc

CACHE_FORMAT = 1
OUTPUT_SELECTION = [
    "abi",
    "devdoc",
    "userdoc",
    "storageLayout",
    "evm.bytecode.object",
    "evm.bytecode.linkReferences",
    "evm.deployedBytecode.object",
    "evm.deployedBytecode.linkReferences",
    "evm.deployedBytecode.immutableReferences",
    "evm.methodIdentifiers",
]


@dataclass
class CompileResult:
    """What one compile did."""

    output_dir: Path
    compiled: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    warnings: list[Diagnostic] = field(default_factory=list)
    compiler_version: str | None = None

    @property
    def from_cache(self) -> bool:
        """True when nothing needed compiling."""
        return not self.compiled and not self.removed

    def artifacts(self) -> ArtifactStore:
        return ArtifactStore.open(self.output_dir)


def output_dir_for(config: ProjectConfig, settings: CompilerSettings) -> Path:
    """Builds for different EVM versions live side by side: `build/<evm_version>/`."""
    return config.build_dir / settings.evm_version


def standard_settings(settings: CompilerSettings) -> dict[str, Any]:
    """The `settings` object of the standard-JSON input (minus outputSelection)."""
    return {
        "optimizer": {"enabled": settings.optimizer, "runs": settings.optimizer_runs},
        "evmVersion": settings.evm_version,
        "viaIR": settings.via_ir,
        "metadata": {"bytecodeHash": "ipfs"},
    }


class Compiler:
    """Compiles a project's contracts for one set of compiler settings."""

    def __init__(self, config: ProjectConfig, settings: CompilerSettings | None = None,
                 backend: SolcBackend | None = None) -> None:
        self.config = config
        self.settings = settings or config.compiler
        self._backend = backend
        self.output_dir = output_dir_for(config, self.settings)

    @property
    def backend(self) -> SolcBackend:
        if self._backend is None:
            self._backend = find_solc(self.settings.solc_version, self.config.root)
        return self._backend

    def compile(self, force: bool = False) -> CompileResult:
        """Compile what changed since the last build (everything with `force`)."""
        roots = discover_roots(self.config.contracts_dir, self.config.root)
        remappings = [Remapping.parse(r) for r in self.settings.remappings]
        sources = load_sources(roots, self.config.root, remappings)
        keys = {root: self._cache_key(sources, root) for root in roots}
        with self._locked():
            cache = {} if force else self._read_cache()
            previous = cache.get("roots", {})
            dirty = [
                r for r in roots
                if previous.get(r, {}).get("key") != keys[r] or not self._outputs_exist(r, previous)
            ]
            removed = sorted(set(previous) - set(roots))
            result = CompileResult(self.output_dir, compiled=dirty, removed=removed)
            entries = {r: previous[r] for r in roots if r not in dirty}
            if dirty:
                produced, result.warnings, result.compiler_version = self._run(sources, dirty)
                for root in dirty:
                    artifacts = produced.get(root, [])
                    self._replace_outputs(root, previous.get(root, {}).get("contracts", []), artifacts)
                    entries[root] = {"key": keys[root], "contracts": sorted(a.contract_name for a in artifacts)}
            for root in removed:
                self._replace_outputs(root, previous[root].get("contracts", []), [])
            if dirty or removed or not cache:
                write_json(self.output_dir / "cache.json", {
                    "format": CACHE_FORMAT,
                    "solcVersion": self.settings.solc_version,
                    "settings": standard_settings(self.settings),
                    "roots": dict(sorted(entries.items())),
                })
        return result

    def _run(self, sources: SourceSet, dirty: list[str]) -> tuple[dict[str, list[Artifact]], list[Diagnostic], str]:
        needed = sorted({unit for root in dirty for unit in sources.closure(root)})
        standard_input = {
            "language": "Solidity",
            "sources": {unit: {"content": sources.contents[unit]} for unit in needed},
            "settings": {
                **standard_settings(self.settings),
                "outputSelection": {root: {"*": OUTPUT_SELECTION} for root in dirty},
            },
        }
        backend = self.backend
        output = backend.compile(standard_input)
        diagnostics = to_diagnostics(output.get("errors", []), sources.contents)
        if any(d.severity == "error" for d in diagnostics):
            raise CompilationFailed(diagnostics)
        compiler_info = {"version": backend.version, "settings": standard_settings(self.settings)}
        produced: dict[str, list[Artifact]] = {}
        for root in dirty:
            closure = sources.closure(root)
            hashes = {unit: sources.hashes[unit] for unit in closure}
            for name, data in sorted(output.get("contracts", {}).get(root, {}).items()):
                produced.setdefault(root, []).append(_artifact(root, name, data, compiler_info, hashes))
        warnings = [d for d in diagnostics if d.severity != "error" and (d.file is None or d.file in dirty)]
        return produced, warnings, backend.version

    def _cache_key(self, sources: SourceSet, root: str) -> str:
        material = {
            "format": CACHE_FORMAT,
            "solc": self.settings.solc_version,
            "settings": standard_settings(self.settings),
            "sources": [[unit, sources.hashes[unit]] for unit in sources.closure(root)],
        }
        return hashlib.sha256(json.dumps(material, sort_keys=True).encode()).hexdigest()

    def _read_cache(self) -> dict[str, Any]:
        path = self.output_dir / "cache.json"
        try:
            data = json.loads(path.read_text())
        except (OSError, json.JSONDecodeError):
            return {}
        return data if data.get("format") == CACHE_FORMAT else {}

    def _outputs_exist(self, root: str, previous: dict[str, Any]) -> bool:
        names = previous.get(root, {}).get("contracts", [])
        return all(artifact_path(self.output_dir, root, name).is_file() for name in names)

    def _replace_outputs(self, root: str, old_names: list[str], artifacts: list[Artifact]) -> None:
        new_names = {a.contract_name for a in artifacts}
        for name in old_names:
            if name not in new_names:
                artifact_path(self.output_dir, root, name).unlink(missing_ok=True)
        for artifact in artifacts:
            write_json(artifact_path(self.output_dir, root, artifact.contract_name), artifact.to_json())

    @contextmanager
    def _locked(self) -> Iterator[None]:
        """Serialise concurrent compiles of the same build folder (two terminals, parallel tests)."""
        self.output_dir.mkdir(parents=True, exist_ok=True)
        with (self.output_dir / ".lock").open("w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _artifact(source: str, name: str, data: dict[str, Any], compiler: dict[str, Any],
              hashes: dict[str, str]) -> Artifact:
    evm = data.get("evm", {})
    bytecode = evm.get("bytecode", {})
    deployed = evm.get("deployedBytecode", {})
    return Artifact(
        contract_name=name,
        source_name=source,
        abi=data.get("abi", []),
        bytecode=bytecode.get("object", ""),
        deployed_bytecode=deployed.get("object", ""),
        link_references=bytecode.get("linkReferences", {}),
        deployed_link_references=deployed.get("linkReferences", {}),
        immutable_references=deployed.get("immutableReferences", {}),
        method_identifiers=evm.get("methodIdentifiers", {}),
        storage_layout=data.get("storageLayout", {}),
        devdoc=data.get("devdoc", {}),
        userdoc=data.get("userdoc", {}),
        compiler=compiler,
        source_hashes=hashes,
    )
