"""The full stack for domain API tests: one Anvil with the core contracts (roles granted to the service's
signers), and per test a fresh database, a started app (sender + indexer threads) and API keys.

`ServiceChain` is made once per session; each test runs inside a chain snapshot that is reverted afterwards,
with its own database, so tests never see each other's jobs, nonces or index.
"""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient
from httpx import Response
from pilotkit_backend.core.config import Settings
from pilotkit_backend.db.engine import make_engine, make_session_factory
from pilotkit_backend.db.migrate import upgrade_database
from pilotkit_backend.main import create_app
from pilotkit_backend.platform.auth import create_key, parse_binding
from pilotkit_backend.platform.bootstrap import grant_service_roles
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.runtime import attach_chain, role_signers
from sqlalchemy import Engine

from pilotkit.accounts.dev import dev_accounts
from pilotkit.accounts.signer import Signer
from pilotkit.chain.connection import Connection, connect
from pilotkit.chain.control import ChainControl
from pilotkit.chain.local import AnvilNode
from pilotkit.contracts.handle import ContractHandle
from pilotkit.deploy.deployer import Deployer
from pilotkit.deploy.records import DeploymentRecord
from pilotkit.project import Project

REPO = Path(__file__).resolve().parents[3]
DAY = 24 * 60 * 60
USDC = 10**6
FINAL = {"confirmed", "failed", "expired", "cancelled"}


@dataclass
class ServiceChain:
    """A private Anvil with the core contracts; `context` is what the service gets (role signers included)."""

    node: AnvilNode
    connection: Connection
    control: ChainControl
    deployer: Deployer
    admin: Signer
    context: ChainContext
    contracts: dict[str, ContractHandle]

    @property
    def chain_id(self) -> int:
        return self.connection.chain_id

    def address(self, alias: str) -> str:
        return self.contracts[alias].address

    def signer(self, role: str) -> Signer:
        return self.context.signer_for(role)

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.connection.close()
        self.node.stop()


def start_service_chain(project: Project, folder: Path) -> ServiceChain:
    """Anvil + TestStablecoin + CashProgramme (direct and voucher mode) + EcoCreditRegistry + CertificateRegistry,
    every service role granted, and test tokens minted to the approver (who funds rounds) and the disburser."""
    node = AnvilNode(project_root=REPO).start()
    try:
        connection = connect(project.config.network("local"), node=node)
        admin = dev_accounts()[0]
        record = DeploymentRecord(folder / "deployment.json", connection.chain_id, "local")
        deployer = Deployer(project, connection, admin, record=record)
        token = deployer.deploy("TestStablecoin", "Test USD", "tUSD", admin.address)

        def programme(voucher: bool) -> tuple[Any, ...]:
            return (admin.address, token.address, voucher, 3 * DAY, 30 * DAY, 500 * USDC)

        contracts = {
            "TestStablecoin": token,
            "CashProgramme": deployer.deploy("CashProgramme", programme(False)),
            "VoucherProgramme": deployer.deploy("CashProgramme", programme(True), alias="VoucherProgramme"),
            "EcoCreditRegistry": deployer.deploy("EcoCreditRegistry", admin.address,
                                                 "ipfs://pilotkit/credits/{id}.json"),
            "CertificateRegistry": deployer.deploy("CertificateRegistry", admin.address),
        }
        from pilotkit_backend.platform.sender.main import error_decoder

        network = project.config.network("local")
        context = ChainContext(connection=connection, artifacts=project.artifacts("local"),
                               errors=error_decoder(project, "local"), signers=role_signers(network, Settings()),
                               record=record)
        for alias in ("CashProgramme", "VoucherProgramme", "EcoCreditRegistry", "CertificateRegistry"):
            grant_service_roles(context, contracts[alias])
        for role in ("approver", "disburser"):
            token.mint(context.signer_for(role).address, 10_000_000 * USDC)
        control = ChainControl(node.rpc(), node.kind)
        control.on_revert(deployer.sender.resync_all)  # direct sends after a test's revert use fresh nonces
        return ServiceChain(node, connection, control, deployer, admin, context, contracts)
    except BaseException:
        node.stop()
        raise


@dataclass
class Service:
    """A started app on a fresh database, bound to the session's chain. Use `key()`, `post()`, `wait()`."""

    app: FastAPI
    client: TestClient
    chain: ServiceChain
    database_url: str
    tokens: dict[str, str] = field(default_factory=dict)

    @property
    def engine(self) -> Engine:
        return self.app.state.engine

    def key(self, *scopes: str, bind: str | None = None, label: str = "test key") -> str:
        """A new API key's token. `bind` is e.g. 'programme:0xabc...' or 'registry:0xdef...'."""
        return new_key(self.app, *scopes, bind=bind, label=label)

    @staticmethod
    def auth(token: str | None, idempotency_key: str | None = None) -> dict[str, str]:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if idempotency_key is not None:
            headers["Idempotency-Key"] = idempotency_key
        return headers

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> Response:
        return self.client.get(path, headers=self.auth(token), **kwargs)

    def post(self, path: str, token: str | None, json: Any = None, *, idem: str | None | bool = True,
             **kwargs: Any) -> Response:
        """POST with a fresh Idempotency-Key (idem=True), a given one (str), or none (idem=None/False)."""
        key = str(uuid.uuid4()) if idem is True else (idem or None)
        return self.client.post(path, headers=self.auth(token, key), json=json, **kwargs)

    def wait(self, job_id: str, token: str, timeout: float = 30.0) -> dict[str, Any]:
        """Poll GET /v1/jobs/{id} until the job is final; returns its body."""
        deadline = time.monotonic() + timeout
        while True:
            body = self.get(f"/v1/jobs/{job_id}", token).json()
            if body.get("status") in FINAL:
                return body
            if time.monotonic() > deadline:
                raise AssertionError(f"job {job_id} not final after {timeout}s: {body}")
            time.sleep(0.02)

    def confirmed(self, response: Response, token: str, timeout: float = 30.0) -> dict[str, Any]:
        """Assert a 202 with a job and wait until it is confirmed; returns the job body."""
        assert response.status_code == 202, response.text
        job = self.wait(response.json()["job_id"], token, timeout)
        assert job["status"] == "confirmed", job
        return job

    def wait_indexed(self, timeout: float = 30.0) -> None:
        """Wait until the indexer has stored every mined block's events."""
        wait_indexed(self.app, self.chain, timeout)


def new_key(app: FastAPI, *scopes: str, bind: str | None = None, label: str = "test key") -> str:
    """A new API key's token in a started app's database. `bind` is e.g. 'programme:0xabc...'."""
    with make_session_factory(app.state.engine)() as session:
        _, token = create_key(session, label, scopes, parse_binding(bind) if bind else None)
    return token


def wait_indexed(app: FastAPI, chain: ServiceChain, timeout: float = 30.0) -> None:
    """Wait until a started app's indexer has stored every block mined so far."""
    target = chain.context.block_number()
    deadline = time.monotonic() + timeout
    while True:
        indexer = getattr(app.state, "indexer", None)
        checkpoint = indexer.checkpoint() if indexer is not None else None
        if checkpoint is not None and checkpoint.number >= target:
            return
        if time.monotonic() > deadline:
            raise AssertionError(f"indexer not at block {target} after {timeout}s ({checkpoint})")
        time.sleep(0.05)


@contextlib.contextmanager
def running_service(chain: ServiceChain, database_url: str, **overrides: Any) -> Iterator[Service]:
    """Migrate `database_url`, start the app with its workers, stop it afterwards."""
    upgrade_database(database_url)
    settings = Settings(**{"database_url": database_url, "rate_limit_per_second": 1000.0, "rate_limit_burst": 1000,
                           "sender_poll_seconds": 0.02, "indexer_poll_seconds": 0.05, "worker_id": "test-api",
                           **overrides})
    app = create_app(settings)
    attach_chain(app, chain.context)
    with TestClient(app, raise_server_exceptions=False) as client:
        yield Service(app, client, chain, database_url)


def sqlite_url(folder: Path) -> str:
    return f"sqlite:///{folder / 'service.db'}"


def engine_for(url: str) -> Engine:
    return make_engine(url)


def register_contract(service: Any, kind: str, alias: str, label: str, admin: str | None = None) -> str:
    """`POST /v1/contracts` for the chain's contract `alias` with a fresh (or the given) admin key; its address.

    `service` is a `Service` or the browser tests' `LiveService` (anything with `chain`, `key` and `post`).
    """
    address = service.chain.address(alias)
    response = service.post("/v1/contracts", admin or service.key("admin"),
                            {"kind": kind, "address": address, "label": label})
    assert response.status_code == 201, response.text
    return address
