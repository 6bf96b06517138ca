"""Project configuration: one `pilotkit.toml` holds compiler settings, remappings and networks."""

from __future__ import annotations

import os
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pilotkit.errors import ConfigError

CONFIG_FILE = "pilotkit.toml"
EVM_VERSIONS = (
    "homestead", "tangerineWhistle", "spuriousDragon", "byzantium", "constantinople", "petersburg",
    "istanbul", "berlin", "london", "paris", "shanghai", "cancun", "prague", "osaka",
)
NETWORK_KINDS = ("anvil", "ganache", "rpc")
_ENV_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_]*)\}")


@dataclass(frozen=True)
class CompilerSettings:
    """Settings that determine the compiler output; all of them are part of the cache key."""

    solc_version: str = "0.8.30"
    optimizer_runs: int = 200
    optimizer: bool = True
    evm_version: str = "prague"
    via_ir: bool = False
    remappings: tuple[str, ...] = ("@openzeppelin/=node_modules/@openzeppelin/",)

    def with_evm(self, evm_version: str | None) -> CompilerSettings:
        """Return these settings targeting another EVM version (None keeps the default)."""
        if evm_version is None or evm_version == self.evm_version:
            return self
        _check_evm(evm_version, "evm_version")
        return CompilerSettings(
            self.solc_version, self.optimizer_runs, self.optimizer, evm_version, self.via_ir, self.remappings
        )


@dataclass(frozen=True)
class GasSettings:
    """Fee policy for a network. Unset values are taken from the node (EIP-1559 when it supports it)."""

    max_fee_gwei: float | None = None
    priority_fee_gwei: float | None = None
    gas_price_gwei: float | None = None
    gas_limit_multiplier: float = 1.2


#: Finality depth per network kind, used where the node has no `finalized` block tag: Anvil's own `finalized`
#: lags 64 blocks (two epochs of 32 slots); Ganache mines instantly and never reorganises; any other JSON-RPC
#: chain gets two Ethereum epochs (set `finality_depth` for PoA / BFT networks with instant finality).
FINALITY_DEPTH = {"anvil": 64, "ganache": 1, "rpc": 64}


@dataclass(frozen=True)
class NetworkConfig:
    """One named chain: a local node pilotkit starts, or any JSON-RPC endpoint."""

    name: str
    kind: str
    chain_id: int | None = None
    url: str | None = None
    evm_version: str | None = None
    confirmations: int = 1
    poa: bool = False
    timeout: float = 120.0
    gas: GasSettings = field(default_factory=GasSettings)
    hardfork: str | None = None
    block_time: float | None = None
    finality_depth: int | None = None  # None: the default of the network's kind (FINALITY_DEPTH)

    @property
    def finality_blocks(self) -> int:
        """How deep a block must be to count as final when the node offers no `finalized` block tag."""
        return self.finality_depth if self.finality_depth is not None else FINALITY_DEPTH.get(self.kind, 64)

    @property
    def is_local(self) -> bool:
        """True for chains pilotkit starts itself (their deployment records are never committed)."""
        return self.kind in ("anvil", "ganache")

    def resolved_url(self) -> str:
        """The RPC URL with `${VAR}` references replaced from the environment (secrets stay out of git)."""
        if self.url is None:
            raise ConfigError(f"network '{self.name}' has no url; set `url` in [networks.{self.name}]")

        def substitute(match: re.Match[str]) -> str:
            var = match.group(1)
            value = os.environ.get(var)
            if value is None:
                raise ConfigError(
                    f"network '{self.name}' needs the environment variable {var} (referenced by its url)"
                )
            return value

        return _ENV_REF.sub(substitute, self.url)


@dataclass(frozen=True)
class ProjectConfig:
    """The whole project configuration, with paths resolved against the project root."""

    root: Path
    name: str
    contracts_dir: Path
    build_dir: Path
    deployments_dir: Path
    scripts_dir: Path
    compiler: CompilerSettings
    networks: dict[str, NetworkConfig]
    default_network: str = "local"

    def network(self, name: str | None = None) -> NetworkConfig:
        """Look up a network by name; the error lists the configured ones."""
        key = name or self.default_network
        try:
            return self.networks[key]
        except KeyError:
            known = ", ".join(sorted(self.networks)) or "none"
            raise ConfigError(f"unknown network '{key}'; configured networks: {known}") from None

    def compiler_for(self, network: str | None) -> CompilerSettings:
        """Compiler settings for a network: its own EVM version overrides the project default."""
        if network is None:
            return self.compiler
        return self.compiler.with_evm(self.network(network).evm_version)


DEFAULT_NETWORKS: dict[str, dict[str, Any]] = {
    "local": {"kind": "anvil", "chain_id": 31337, "evm_version": "prague"},
    "ganache": {"kind": "ganache", "chain_id": 1337, "evm_version": "shanghai", "hardfork": "shanghai"},
}


def find_project_root(start: Path | None = None) -> Path:
    """Walk up from `start` (default: the working directory) to the folder holding pilotkit.toml."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        if (folder / CONFIG_FILE).is_file():
            return folder
    raise ConfigError(f"no {CONFIG_FILE} found in {here} or any parent folder; run pilotkit from a project")


def load_config(root: Path | None = None) -> ProjectConfig:
    """Read and validate `pilotkit.toml` from the project root."""
    root = find_project_root(root)
    path = root / CONFIG_FILE
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: {exc}") from None
    return parse_config(data, root)


def parse_config(data: dict[str, Any], root: Path) -> ProjectConfig:
    """Build a ProjectConfig from parsed TOML, rejecting unknown keys and bad values."""
    project = _table(data, "project")
    _reject_unknown(project, {"name", "contracts", "build", "deployments", "scripts", "default_network"}, "project")
    compiler = _parse_compiler(_table(data, "compiler"))
    networks = {name: dict(table) for name, table in DEFAULT_NETWORKS.items()}
    for name, table in _table(data, "networks").items():
        if not isinstance(table, dict):
            raise ConfigError(f"[networks.{name}] must be a table")
        networks[name] = {**networks.get(name, {}), **table}
    parsed = {name: _parse_network(name, table) for name, table in networks.items()}
    default_network = str(project.get("default_network", "local"))
    if default_network not in parsed:
        raise ConfigError(f"[project] default_network '{default_network}' is not a configured network")
    return ProjectConfig(
        root=root,
        name=str(project.get("name", root.name)),
        contracts_dir=root / str(project.get("contracts", "contracts")),
        build_dir=root / str(project.get("build", "build")),
        deployments_dir=root / str(project.get("deployments", "deployments")),
        scripts_dir=root / str(project.get("scripts", "scripts")),
        compiler=compiler,
        networks=parsed,
        default_network=default_network,
    )


def _parse_compiler(table: dict[str, Any]) -> CompilerSettings:
    allowed = {"solc_version", "optimizer_runs", "optimizer", "evm_version", "via_ir", "remappings"}
    _reject_unknown(table, allowed, "compiler")
    defaults = CompilerSettings()
    version = str(table.get("solc_version", defaults.solc_version))
    if not re.fullmatch(r"\d+\.\d+\.\d+", version):
        raise ConfigError(f"[compiler] solc_version must look like 0.8.30, got '{version}'")
    runs = table.get("optimizer_runs", defaults.optimizer_runs)
    if not isinstance(runs, int) or isinstance(runs, bool) or runs < 1:
        raise ConfigError(f"[compiler] optimizer_runs must be a positive integer, got {runs!r}")
    evm = str(table.get("evm_version", defaults.evm_version))
    _check_evm(evm, "[compiler] evm_version")
    remappings = table.get("remappings", list(defaults.remappings))
    if not isinstance(remappings, list) or not all(isinstance(r, str) and "=" in r for r in remappings):
        raise ConfigError("[compiler] remappings must be a list of 'prefix=path' strings")
    return CompilerSettings(
        solc_version=version,
        optimizer_runs=runs,
        optimizer=bool(table.get("optimizer", True)),
        evm_version=evm,
        via_ir=bool(table.get("via_ir", False)),
        remappings=tuple(remappings),
    )


def _parse_network(name: str, table: dict[str, Any]) -> NetworkConfig:
    allowed = {
        "kind", "chain_id", "url", "evm_version", "confirmations", "poa", "timeout", "gas", "hardfork",
        "block_time", "finality_depth",
    }
    _reject_unknown(table, allowed, f"networks.{name}")
    kind = str(table.get("kind", "rpc"))
    if kind not in NETWORK_KINDS:
        raise ConfigError(f"[networks.{name}] kind must be one of {', '.join(NETWORK_KINDS)}, got '{kind}'")
    if kind == "rpc" and not table.get("url"):
        raise ConfigError(f"[networks.{name}] needs a url (use ${{VAR}} for secrets kept in the environment)")
    if kind == "rpc" and table.get("chain_id") is None:
        raise ConfigError(f"[networks.{name}] needs chain_id: pilotkit refuses to send to an unverified chain")
    if table.get("evm_version") is not None:
        _check_evm(str(table["evm_version"]), f"[networks.{name}] evm_version")
    confirmations = table.get("confirmations", 1)
    if not isinstance(confirmations, int) or confirmations < 0:
        raise ConfigError(f"[networks.{name}] confirmations must be a non-negative integer")
    finality_depth = table.get("finality_depth")
    if finality_depth is not None and (not isinstance(finality_depth, int) or isinstance(finality_depth, bool)
                                       or finality_depth < 1):
        raise ConfigError(f"[networks.{name}] finality_depth must be a positive integer")
    gas_table = table.get("gas", {})
    if not isinstance(gas_table, dict):
        raise ConfigError(f"[networks.{name}.gas] must be a table")
    _reject_unknown(
        gas_table, {"max_fee_gwei", "priority_fee_gwei", "gas_price_gwei", "gas_limit_multiplier"},
        f"networks.{name}.gas",
    )
    chain_id = table.get("chain_id")
    return NetworkConfig(
        name=name,
        kind=kind,
        chain_id=int(chain_id) if chain_id is not None else None,
        url=table.get("url"),
        evm_version=table.get("evm_version"),
        confirmations=confirmations,
        poa=bool(table.get("poa", False)),
        timeout=float(table.get("timeout", 120.0)),
        gas=GasSettings(**gas_table),
        hardfork=table.get("hardfork"),
        block_time=table.get("block_time"),
        finality_depth=finality_depth,
    )


def _table(data: dict[str, Any], key: str) -> dict[str, Any]:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise ConfigError(f"[{key}] must be a table in {CONFIG_FILE}")
    return value


def _reject_unknown(table: dict[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise ConfigError(f"[{where}] has unknown key(s) {', '.join(unknown)}; allowed: {', '.join(sorted(allowed))}")


def _check_evm(value: str, where: str) -> None:
    if value not in EVM_VERSIONS:
        raise ConfigError(f"{where} '{value}' is not an EVM version solc knows; use one of {', '.join(EVM_VERSIONS)}")
