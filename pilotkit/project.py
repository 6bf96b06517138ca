"""A pilotkit project: its configuration, its compiled artifacts, and decoders built from them."""

from __future__ import annotations

from pathlib import Path

from pilotkit.compiler.artifacts import ArtifactStore
from pilotkit.compiler.build import Compiler, CompileResult
from pilotkit.config import CompilerSettings, ProjectConfig, load_config
from pilotkit.contracts.events import EventDecoder
from pilotkit.contracts.reverts import ErrorDecoder


class Project:
    """Entry point for library users: `Project.load().artifacts("local").get("Vault")`."""

    def __init__(self, config: ProjectConfig) -> None:
        self.config = config
        self._stores: dict[str, ArtifactStore] = {}

    @classmethod
    def load(cls, root: Path | str | None = None) -> Project:
        return cls(load_config(Path(root) if root is not None else None))

    @property
    def root(self) -> Path:
        return self.config.root

    def settings(self, network: str | None = None, evm_version: str | None = None) -> CompilerSettings:
        """Compiler settings for a network (its EVM version) or an explicit EVM version."""
        settings = self.config.compiler_for(network)
        return settings.with_evm(evm_version) if evm_version else settings

    def compile(self, network: str | None = None, evm_version: str | None = None, force: bool = False) -> CompileResult:
        """Compile what changed for the network's EVM version."""
        settings = self.settings(network, evm_version)
        result = Compiler(self.config, settings).compile(force=force)
        if not result.from_cache:
            self._stores.pop(settings.evm_version, None)
        return result

    def artifacts(self, network: str | None = None, evm_version: str | None = None) -> ArtifactStore:
        """The build for a network, compiled first if anything changed."""
        settings = self.settings(network, evm_version)
        result = self.compile(evm_version=settings.evm_version)
        store = self._stores.get(settings.evm_version)
        if store is None or not result.from_cache:
            store = result.artifacts()
            self._stores[settings.evm_version] = store
        return store

    @staticmethod
    def error_decoder(store: ArtifactStore) -> ErrorDecoder:
        """Decodes the custom errors of every contract in the build (errors bubble across contracts)."""
        return ErrorDecoder(artifact.abi for artifact in store.all())

    @staticmethod
    def event_decoder(store: ArtifactStore) -> EventDecoder:
        return EventDecoder(artifact.abi for artifact in store.all())
