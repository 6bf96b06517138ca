"""A session: one project, one network connection, one signer. What CLI commands and scripts run in."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pilotkit.errors import AccountError, PilotkitError

if TYPE_CHECKING:
    from pilotkit.accounts.signer import Signer
    from pilotkit.chain.connection import Connection
    from pilotkit.contracts.handle import ContractHandle
    from pilotkit.deploy.deployer import Deployer
    from pilotkit.project import Project

ACCOUNT_ENV = "PILOTKIT_ACCOUNT"
_CURRENT: list[Session] = []


@dataclass
class Session:
    """Everything a deployment script needs; scripts get it as `main(session)` or `pilotkit.runtime.current()`."""

    project: Project
    connection: Connection
    signer: Signer
    accounts: list[Signer]
    deployer: Deployer
    #: how the chain was reached when it was not started for this session ("attached to ... at URL"), else ""
    attached: str = ""

    @property
    def network(self) -> str:
        return self.connection.network.name

    @property
    def chain_id(self) -> int:
        return self.connection.chain_id

    def deploy(self, contract: str, *args: Any, alias: str | None = None) -> ContractHandle:
        """Deploy (or reuse) a contract with the session's signer."""
        return self.deployer.deploy(contract, *args, alias=alias)

    def contract(self, alias: str) -> ContractHandle:
        """A contract from this network's deployment record."""
        return self.deployer.at(alias)


def current() -> Session:
    """The session a script is running in."""
    if not _CURRENT:
        raise PilotkitError("no pilotkit session is active: run scripts with `pilotkit run <script> --network NAME`")
    return _CURRENT[-1]


def resolve_signer(connection: Connection, account: str | None, dev: list[Signer]) -> Signer:
    """The signer for a session: dev accounts on local chains (default dev0), keystore accounts elsewhere."""
    from pilotkit.accounts.keystore import Keystore

    name = account or os.environ.get(ACCOUNT_ENV)
    if connection.is_local and (name is None or name.startswith("dev")):
        index = int(name[3:]) if name and name[3:].isdigit() else 0
        if index >= len(dev):
            raise AccountError(f"dev account {name} does not exist; local chains have dev0..dev{len(dev) - 1}")
        return dev[index]
    if name is None:
        raise AccountError(
            f"network '{connection.network.name}' is not a local chain: choose a keystore account with "
            f"--account NAME or ${ACCOUNT_ENV} (create one with `pilotkit accounts new NAME`)"
        )
    return Keystore().unlock(name)


@contextmanager
def open_session(project: Project | None = None, network: str | None = None,
                 account: str | None = None, rpc: str | None = None,
                 attach_running: bool = False) -> Iterator[Session]:
    """Connect, compile for the network, and pick the signer.

    `rpc` attaches to a node already running there (a local network stays local: dev accounts). Otherwise a
    local network's chain is started for the session, unless `attach_running` and a `pilotkit node` (or
    `pilotkit demo`) of this project runs it: then the session attaches to that one.
    """
    from pilotkit.accounts.dev import dev_accounts
    from pilotkit.chain import endpoint
    from pilotkit.chain.connection import attach, connect
    from pilotkit.deploy.deployer import Deployer
    from pilotkit.project import Project

    project = project or Project.load()
    config = project.config.network(network)
    project.artifacts(config.name)  # compile before starting anything
    attached = ""
    if rpc is None and attach_running and config.is_local:
        running = endpoint.find(project.root, config.name)
        if running is not None:
            rpc = running.get("ipc") or running["url"]
            attached = f"attached to the running pilotkit node at {running['url']} (chain id {running['chain_id']})"
    elif rpc is not None:
        from pilotkit.chain.connection import _redact

        attached = f"attached to {_redact(rpc)}"
    opened = attach(config, rpc) if rpc is not None else connect(config, project_root=project.root)
    with opened as connection:
        dev = dev_accounts() if connection.is_local else []
        signer = resolve_signer(connection, account, dev)
        session = Session(project, connection, signer, dev or [signer], Deployer(project, connection, signer),
                          attached)
        _CURRENT.append(session)
        try:
            yield session
        finally:
            _CURRENT.pop()
