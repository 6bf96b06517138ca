"""Push-round throughput through the API: beneficiaries paid per second end to end vs a bare web3.py loop.

Own Anvil, TestStablecoin and CashProgramme (service roles granted as `pilotkit demo` does), N beneficiaries
enrolled on chain, and the API app in this process with its sender and indexer threads on a fresh SQLite (or
given) database. In the same run:
- bare web3.py: one ERC-20 `transfer` per beneficiary, pipelined (nonces counted locally, every transaction
  built, signed and sent without waiting, then every receipt awaited), fixed gas — the fastest a script pays
  N people one by one; measured before the app starts (from another account);
- the API: `POST /rounds` (flat push, all active) → proposal confirmed → `POST /approve` by another key →
  jobs confirmed → `POST /disburse` → every batch job confirmed. Reported from the disburse request to the
  last confirmation, and end to end from the proposal.
Issue target: API ≥ 10 × the bare loop.

Run: .venv/bin/python benchmarks/api_push_batch.py [--beneficiaries 10000] [--block-time 0]
                                                   [--database-url postgresql+psycopg://...]
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _util import REPO, bare_transfers
from eth_account import Account
from eth_utils import keccak
from fastapi.testclient import TestClient
from pilotkit_backend.core.config import Settings
from pilotkit_backend.db.engine import make_session_factory
from pilotkit_backend.db.migrate import upgrade_database
from pilotkit_backend.main import create_app
from pilotkit_backend.platform.auth import create_key
from pilotkit_backend.platform.bootstrap import grant_service_roles
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.runtime import attach_chain, role_signers
from pilotkit_backend.platform.sender.main import error_decoder

from pilotkit.accounts.dev import dev_accounts
from pilotkit.accounts.signer import Signer
from pilotkit.cash_claims import beneficiary_id
from pilotkit.chain.connection import Connection, connect
from pilotkit.chain.control import ChainControl
from pilotkit.chain.local import AnvilNode
from pilotkit.contracts.handle import ContractHandle
from pilotkit.deploy.deployer import Deployer
from pilotkit.deploy.records import DeploymentRecord
from pilotkit.project import Project

DAY = 86400
PERIOD = 30 * DAY
AMOUNT = 10**6
ENROL_BATCH = 150
SECRET = keccak(text="pilotkit api benchmark secret")
FINAL = {"confirmed", "failed", "expired", "cancelled"}


@dataclass
class Stack:
    connection: Connection
    control: ChainControl
    token: ContractHandle
    programme: ContractHandle
    context: ChainContext
    client: TestClient
    bare: Signer
    wallets: list[str]
    keys: dict[str, str]
    bare_rate: float

    def post(self, path: str, token: str, body: Any = None) -> Any:
        headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": str(uuid.uuid4())}
        response = self.client.post(path, json=body, headers=headers)
        assert response.status_code in (201, 202), response.text
        return response.json()

    def wait(self, job_ids: list[str], token: str, timeout: float = 600.0) -> None:
        deadline = time.monotonic() + timeout
        pending = list(job_ids)
        while pending:
            body = self.client.get(f"/v1/jobs/{pending[0]}", headers={"Authorization": f"Bearer {token}"}).json()
            if body["status"] in FINAL:
                assert body["status"] == "confirmed", body
                pending.pop(0)
                continue
            assert time.monotonic() < deadline, f"job still {body['status']}"
            time.sleep(0.01)


def wallet(n: int) -> str:
    return Account.from_key(keccak(text=f"pilotkit api benchmark wallet:{n}")).address


@contextlib.contextmanager
def stack(tmp: Path, beneficiaries: int, block_time: float, database_url: str | None,
          **settings: Any) -> Iterator[Stack]:
    """Chain, contracts, N enrolled beneficiaries, the app with its workers, and admin/disburser/approver keys."""
    project = Project.load(REPO)
    project.artifacts("local")
    with AnvilNode(project_root=REPO, block_time=block_time or None) as node:
        connection = connect(project.config.network("local"), node=node)
        control = ChainControl(node.rpc(), node.kind)
        accounts = dev_accounts()
        admin, bare = accounts[0], accounts[7]
        record = DeploymentRecord(tmp / "record.json", connection.chain_id, "local")
        deployer = Deployer(project, connection, admin, record=record)
        token = deployer.deploy("TestStablecoin", "Bench USD", "BUSD", admin.address)
        programme = deployer.deploy("CashProgramme", (admin.address, token.address, False, DAY, PERIOD, 10**15))
        network = project.config.network("local")
        context = ChainContext(connection=connection, artifacts=project.artifacts("local"),
                               errors=error_decoder(project, "local"), signers=role_signers(network, Settings()),
                               record=record)
        grant_service_roles(context, programme)
        for holder in (context.signer_for("approver").address, bare.address):
            token.mint(holder, 10**15)
        wallets = [wallet(n) for n in range(beneficiaries)]
        registrar = context.signer_for("registrar")
        for start in range(0, beneficiaries, ENROL_BATCH):
            chunk = range(start, min(start + ENROL_BATCH, beneficiaries))
            programme.enrolBatch([beneficiary_id(SECRET, f"person {n}") for n in chunk],
                                 [wallets[n] for n in chunk], sender=registrar)
        # the comparator runs before the app starts, and is not reverted: with interval mining, Anvil's view of
        # its head after evm_revert confuses the indexer (ChainChanged on every pass)
        bare_rate = bare_transfers(connection, token, bare, wallets, amount=AMOUNT)
        database_url = database_url or f"sqlite:///{tmp / 'api.db'}"
        upgrade_database(database_url)
        app = create_app(Settings(database_url=database_url, rate_limit_per_second=0, sender_poll_seconds=0.02,
                                  indexer_poll_seconds=0.05, worker_id="bench-api", **settings))
        attach_chain(app, context)
        with TestClient(app) as client:
            with make_session_factory(app.state.engine)() as session:
                keys = {scope: create_key(session, f"bench {scope}", [scope], None)[1]
                        for scope in ("admin", "disburser", "approver")}
            yield Stack(connection, control, token, programme, context, client, bare, wallets, keys, bare_rate)
        connection.close()


def register_and_wait_index(s: Stack, count: int) -> str:
    address = s.programme.address
    s.post("/v1/contracts", s.keys["admin"], {"kind": "programme", "address": address, "label": "bench"})
    deadline = time.monotonic() + 300
    while True:
        overview = s.client.get(f"/v1/programmes/{address}",
                                headers={"Authorization": f"Bearer {s.keys['approver']}"}).json()
        if overview.get("beneficiaries") == count:
            return address
        assert time.monotonic() < deadline, "the index did not catch up"
        time.sleep(0.1)


def open_round(s: Stack, programme: str, body: dict[str, Any]) -> int:
    """Propose (disburser) and approve (approver) a round; returns its id once approved."""
    proposal = s.post(f"/v1/programmes/{programme}/rounds", s.keys["disburser"], body)
    s.wait([proposal["job_id"]], s.keys["disburser"])
    approval = s.post(f"/v1/programmes/{programme}/rounds/{proposal['round_id']}/approve", s.keys["approver"])
    s.wait([j["job_id"] for j in approval["jobs"]], s.keys["approver"])
    return int(proposal["round_id"])


def window(s: Stack) -> dict[str, int]:
    start = s.control.window_start(10 * DAY, PERIOD)
    return {"starts_at": start - 60, "ends_at": start + 10 * DAY}


def stage(text: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {text}", file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--beneficiaries", type=int, default=10_000)
    parser.add_argument("--block-time", type=float, default=0.0, help="Anvil block time (0 = automine)")
    parser.add_argument("--database-url", help="default: a temporary SQLite file")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    n = args.beneficiaries
    with tempfile.TemporaryDirectory(prefix="pk-bench-") as tmp, \
            stack(Path(tmp), n, args.block_time, args.database_url) as s:
        bare = s.bare_rate
        stage(f"set up, bare loop {bare:.0f}/s; registering, indexing")
        programme = register_and_wait_index(s, n)
        stage("indexed; proposing")
        started = time.perf_counter()
        round_id = open_round(s, programme, {"mode": "push", "amount_per_beneficiary": AMOUNT, **window(s)})
        disbursing = time.perf_counter()
        stage("approved; disbursing")
        answer = s.post(f"/v1/programmes/{programme}/rounds/{round_id}/disburse", s.keys["disburser"])
        queued = time.perf_counter()
        s.wait([j["job_id"] for j in answer["jobs"]], s.keys["disburser"])
        done = time.perf_counter()
        paid = int(s.client.get(f"/v1/programmes/{programme}/rounds/{round_id}",
                                headers={"Authorization": f"Bearer {s.keys['approver']}"}).json()["paid"])
        assert paid == n * AMOUNT, f"paid {paid}"
        api = n / (done - disbursing)
        whole = n / (done - started)
    backend = (args.database_url or "sqlite").split(":", 1)[0]
    print(f"{n} beneficiaries, Anvil block time {args.block_time or 'automine'}, {backend}; "
          f"{len(answer['jobs'])} batch jobs")
    print(f"bare web3.py transfer loop (pipelined) {bare:9.0f} payments/s")
    print(f"API disburse → all confirmed           {api:9.0f} payments/s  (request {queued - disbursing:.2f} s)")
    print(f"API propose → approve → paid           {whole:9.0f} payments/s")
    print(f"ratio API / bare                       {api / bare:9.1f}   (target >= 10)")
    print(f"ratio API end to end / bare            {whole / bare:9.1f}")


if __name__ == "__main__":
    main()
