"""Fixtures for the event indexer tests: a deployed TestStablecoin, a minter, indexer factories.

`database_url` (a fresh SQLite file or PostgreSQL database per test, parametrized) comes from the shared
`tests/backend/dbs.py` via `tests/backend/conftest.py`; chain fixtures come from pilotkit's pytest plugin
(one Anvil per session, every test reverted to a snapshot afterwards).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import pytest
from _indexer_support import IndexerFactory, Minter, create_index_tables
from pilotkit_backend.platform.indexer.indexer import EventIndexer, FollowedContract
from pilotkit_backend.platform.indexer.rpc import JsonRpcClient
from sqlalchemy import Engine

if TYPE_CHECKING:
    from pilotkit.accounts.signer import Signer
    from pilotkit.chain.connection import Connection
    from pilotkit.chain.control import ChainControl
    from pilotkit.contracts.handle import ContractHandle
    from pilotkit.deploy.deployer import Deployer


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    engine = create_index_tables(database_url)
    yield engine
    engine.dispose()


@pytest.fixture
def token(deploy: Callable[..., ContractHandle], accounts: list[Signer]) -> ContractHandle:
    """A fresh TestStablecoin (admin and minter: accounts[0]); the test's chain changes are reverted after it."""
    return deploy("TestStablecoin", "Test USD", "TUSD", accounts[0].address)


@pytest.fixture
def minter(pilot_connection: Connection, chain: ChainControl, token: ContractHandle,
           accounts: list[Signer]) -> Iterator[Minter]:
    minter = Minter(pilot_connection, chain, token, accounts[0])
    yield minter
    minter.close()


@pytest.fixture
def shared_abis(pilot_deployer: Deployer) -> list[list[dict[str, Any]]]:
    """Every ABI of the project (what `Project.event_decoder` is built from)."""
    return [artifact.abi for artifact in pilot_deployer.store.all()]


@pytest.fixture
def followed(token: ContractHandle) -> list[FollowedContract]:
    return [FollowedContract(token.address, "stablecoin", int(token.deploy_receipt["blockNumber"]), token.abi)]


@pytest.fixture
def make_indexer(engine: Engine, pilot_connection: Connection, followed: list[FollowedContract],
                 shared_abis: list[list[dict[str, Any]]]) -> Iterator[IndexerFactory]:
    """Build indexers on the test database (closed after the test)."""
    made: list[EventIndexer] = []
    node = pilot_connection.node
    assert node is not None

    def build(**options: Any) -> EventIndexer:
        options.setdefault("chain_id", pilot_connection.chain_id)
        options.setdefault("shared_abis", shared_abis)
        contracts = options.pop("contracts", followed)
        rpc = options.pop("rpc", None) or JsonRpcClient(ipc_path=node.ipc_path)
        indexer = EventIndexer(options.pop("engine", engine), rpc, contracts, **options)
        made.append(indexer)
        return indexer

    yield build
    for indexer in made:
        indexer.close()
