"""Exception types raised by pilotkit. Every message says what went wrong and what to do next."""

from __future__ import annotations


class PilotkitError(Exception):
    """Base class for every error pilotkit raises on purpose."""


class ConfigError(PilotkitError):
    """The project configuration (pilotkit.toml) is missing, malformed or incomplete."""


class ToolchainNotFound(PilotkitError):
    """A required external tool (anvil, ganache, solc) could not be located."""


class CompilerError(PilotkitError):
    """The Solidity compiler could not be run or returned unusable output."""


class NodeStartError(PilotkitError):
    """A local chain process did not start or did not answer in time."""


class NetworkError(PilotkitError):
    """A configured network cannot be reached or is misconfigured."""


class ChainIdMismatch(NetworkError):
    """The node answered with a chain id other than the one configured: nothing is sent."""


class AccountError(PilotkitError):
    """An account could not be created, imported, found or unlocked."""


class DeploymentError(PilotkitError):
    """A deployment failed, or a deployment record is inconsistent with the chain."""


class NoCodeError(DeploymentError):
    """A handle or a record points at an address without code on this chain: nothing is sent there."""


class ArtifactNotFound(PilotkitError):
    """No compiled artifact exists under the requested contract name."""
