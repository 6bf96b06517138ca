"""pytest plugin (registered as `pilotkit` via the pytest11 entry point).

Fixtures, all lazy: nothing starts unless a test asks for it.
- `pilot_project`: the Project (nearest pilotkit.toml, or --pilotkit-project)
- `pilot_connection`: one chain for the session (--pilotkit-network, default `local` = a fresh Anvil)
- `chain`: ChainControl (snapshot/revert, sleep, mine, automine)
- `accounts`: funded dev Signers; `web3`: the Web3 instance
- `deploy`: `deploy("Name", *args, sender=accounts[1])` → ContractHandle, fresh per call
Every test that uses a chain fixture runs inside a snapshot that is reverted afterwards.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pilotkit.accounts.signer import Signer
    from pilotkit.chain.connection import Connection
    from pilotkit.chain.control import ChainControl
    from pilotkit.contracts.handle import ContractHandle
    from pilotkit.deploy.deployer import Deployer
    from pilotkit.project import Project

CHAIN_FIXTURES = {"pilot_connection", "chain", "accounts", "web3", "deploy", "pilot_deployer"}


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("pilotkit")
    group.addoption("--pilotkit-network", default=None,
                    help="local network to run contract tests on (default: local; e.g. ganache)")
    group.addoption("--pilotkit-project", default=None, help="project folder (default: nearest pilotkit.toml)")


@pytest.fixture(scope="session")
def pilot_network_name(request: pytest.FixtureRequest) -> str:
    return str(request.config.getoption("--pilotkit-network") or "local")


@pytest.fixture(scope="session")
def pilot_project(request: pytest.FixtureRequest) -> Project:
    from pilotkit.project import Project

    root = request.config.getoption("--pilotkit-project")
    return Project.load(Path(root) if root else Path(str(request.config.rootpath)))


@pytest.fixture(scope="session")
def pilot_connection(pilot_project: Project, pilot_network_name: str) -> Iterator[Connection]:
    from pilotkit.chain.connection import connect
    from pilotkit.errors import NetworkError

    network = pilot_project.config.network(pilot_network_name)
    if not network.is_local:
        raise NetworkError(f"contract tests run on local chains only; '{network.name}' is a remote network")
    pilot_project.artifacts(network.name)
    connection = connect(network, project_root=pilot_project.root)
    try:
        yield connection
    finally:
        connection.close()


@pytest.fixture(scope="session")
def pilot_deployer(pilot_project: Project, pilot_connection: Connection,
                   tmp_path_factory: pytest.TempPathFactory) -> Deployer:
    from pilotkit.accounts.dev import dev_accounts
    from pilotkit.deploy.deployer import Deployer
    from pilotkit.deploy.records import DeploymentRecord

    record = DeploymentRecord(tmp_path_factory.mktemp("deployments") / "test.json", pilot_connection.chain_id,
                              pilot_connection.network.name)
    return Deployer(pilot_project, pilot_connection, dev_accounts()[0], record=record)


@pytest.fixture(scope="session")
def chain(pilot_connection: Connection, pilot_deployer: Deployer) -> ChainControl:
    from pilotkit.chain.control import ChainControl
    from pilotkit.chain.rpc import RawRpc

    node = pilot_connection.node
    assert node is not None
    control = ChainControl(RawRpc(url=None if node.ipc_path else node.url, ipc_path=node.ipc_path), node.kind)
    control.on_revert(pilot_deployer.sender.resync_all)
    return control


@pytest.fixture(scope="session")
def accounts(pilot_connection: Connection) -> list[Signer]:
    from pilotkit.accounts.dev import dev_accounts

    node = pilot_connection.node
    return dev_accounts(node.accounts if node else 10)


@pytest.fixture(scope="session")
def web3(pilot_connection: Connection) -> Any:
    return pilot_connection.web3


@pytest.fixture(scope="session")
def deploy(pilot_deployer: Deployer) -> Callable[..., ContractHandle]:
    def _deploy(contract: str, *args: Any, sender: Signer | None = None,
                libraries: dict[str, str] | None = None) -> ContractHandle:
        return pilot_deployer.create(contract, *args, sender=sender, libraries=libraries)

    return _deploy


@pytest.fixture(autouse=True)
def _pilot_isolation(request: pytest.FixtureRequest) -> Iterator[None]:
    """Snapshot before and revert after every test that touches the chain."""
    if not CHAIN_FIXTURES.intersection(request.fixturenames):
        yield
        return
    control: ChainControl = request.getfixturevalue("chain")
    snapshot = control.snapshot()
    try:
        yield
    finally:
        control.revert(snapshot)
