"""Helpers for the cash rounds API tests: registration, enrolment straight on chain (the beneficiaries API is
another suite's), wallets with known keys, round windows inside one cap period, and the propose → approve path.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import httpx
from _domain_support import DAY, FINAL, USDC, Service, register_contract
from eth_account import Account
from eth_utils import keccak

from pilotkit.accounts.signer import Signer
from pilotkit.cash_claims import beneficiary_id

PERIOD = 30 * DAY  # the test programmes' cap period (start_service_chain)
ENROL_BATCH = 150  # CashProgramme.MAX_ENROL_BATCH
SECRET = keccak(text="pilotkit rounds api tests: programme secret")
AMOUNT = 10 * USDC


def register(service: Service, alias: str = "CashProgramme") -> str:
    """Register a deployed programme with a fresh admin key; returns its address.

    Also forgets the nonces the test's direct transactions cached: each test runs in a reverted snapshot."""
    service.chain.deployer.sender.resync_all()
    return register_contract(service, "programme", alias, f"rounds {alias}")


def wallet(n: int) -> Signer:
    """Beneficiary n's wallet (a deterministic key, so tests can sign claims)."""
    return Signer(Account.from_key(keccak(text=f"pilotkit rounds api wallet:{n}")), f"wallet:{n}")


def wallet_address(n: int) -> str:
    return Account.from_key(keccak(text=f"pilotkit rounds api wallet:{n}")).address


def enrol(service: Service, count: int, alias: str = "CashProgramme", first_label: int = 0) -> list[int]:
    """Enrol `count` made-up beneficiaries on chain as the registrar signer; returns their indexes."""
    programme = service.chain.contracts[alias]
    registrar = service.chain.signer("registrar")
    start = int(programme.beneficiaryCount()) + 1
    labels = list(range(first_label, first_label + count))
    for offset in range(0, count, ENROL_BATCH):
        chunk = labels[offset:offset + ENROL_BATCH]
        ids = [beneficiary_id(SECRET, f"person {n}") for n in chunk]
        programme.enrolBatch(ids, [wallet_address(n) for n in chunk], sender=registrar)
    return list(range(start, start + count))


def person_id(n: int) -> bytes:
    return beneficiary_id(SECRET, f"person {n}")


def window(service: Service, length: int = 10 * DAY) -> tuple[int, int]:
    """(starts_at, ends_at) opening now, inside one cap period of the test programmes."""
    start = service.chain.control.window_start(length, PERIOD)
    return start - 60, start + length


def rounds_path(programme: str, round_id: int | None = None, tail: str = "") -> str:
    base = f"/v1/programmes/{programme}/rounds"
    return base if round_id is None else f"{base}/{round_id}{tail}"


def propose(service: Service, token: str, programme: str, body: dict[str, Any], *, wait: bool = True) -> int:
    """Propose (202), wait for the proposal to confirm; returns the service round id."""
    response = service.post(rounds_path(programme), token, body)
    assert response.status_code == 202, response.text
    if wait:
        service.confirmed(response, token)
    return int(response.json()["round_id"])


def flat_body(service: Service, amount: int = AMOUNT, beneficiaries: Any = "all-active", mode: str = "push",
              length: int = 10 * DAY) -> dict[str, Any]:
    starts, ends = window(service, length)
    return {"mode": mode, "amount_per_beneficiary": amount, "beneficiaries": beneficiaries,
            "starts_at": starts, "ends_at": ends}


def wait_all(service: Service, token: str, jobs: Iterable[dict[str, Any]], timeout: float = 60.0) -> list[dict]:
    """Wait for every accepted job; assert each confirmed."""
    done = []
    for job in jobs:
        body = service.wait(job["job_id"], token, timeout)
        assert body["status"] == "confirmed", body
        done.append(body)
    return done


def approve(service: Service, token: str, programme: str, round_id: int) -> list[dict]:
    response = service.post(rounds_path(programme, round_id, "/approve"), token)
    assert response.status_code == 202, response.text
    return wait_all(service, token, response.json()["jobs"])


def open_round(service: Service, programme: str, body: dict[str, Any]) -> tuple[int, str, str]:
    """Propose with a disburser key and approve with an approver key; returns (round id, disburser, approver)."""
    service.wait_indexed()
    disburser = service.key("disburser", label="ops disburser")
    approver = service.key("approver", label="finance approver")
    round_id = propose(service, disburser, programme, body)
    approve(service, approver, programme, round_id)
    return round_id, disburser, approver


def chain_round_id(service: Service, token: str, programme: str, round_id: int) -> int:
    body = service.get(rounds_path(programme, round_id), token).json()
    return int(body["chain_round_id"])


class HttpApi:
    """A client for a `ServeProcess`: bearer tokens, a fresh Idempotency-Key per POST (unless idem=False)."""

    def __init__(self, url: str) -> None:
        self.client = httpx.Client(base_url=url, timeout=30)
        self.counter = 0

    def post(self, path: str, token: str, body: Any = None, idem: bool = True) -> httpx.Response:
        self.counter += 1
        headers = {"Authorization": f"Bearer {token}"}
        if idem:
            headers["Idempotency-Key"] = f"crash-{self.counter}-{time.time()}"
        return self.client.post(path, json=body, headers=headers)

    def get(self, path: str, token: str) -> httpx.Response:
        return self.client.get(path, headers={"Authorization": f"Bearer {token}"})

    def wait(self, job_id: str, token: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            body = self.get(f"/v1/jobs/{job_id}", token).json()
            if body["status"] in FINAL:
                return body
            time.sleep(0.05)
        raise AssertionError(f"job {job_id} not final")


class ServeProcess:
    """`pilotkit serve --rpc` in a child process on a given database and node, started and SIGKILLed at will."""

    def __init__(self, database_url: str, rpc_url: str, folder: Any) -> None:
        import socket

        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.database_url = database_url
        self.rpc_url = rpc_url
        self.log = folder / "serve.log"
        self.process: Any = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self, timeout: float = 60.0) -> None:
        import os
        import subprocess
        import sys
        import time

        import httpx
        from _domain_support import REPO

        env = {**os.environ, "PILOTKIT_API_WORKER_ID": "crash-test-api", "PILOTKIT_API_SENDER_POLL_SECONDS": "0.02",
               "PILOTKIT_API_INDEXER_POLL_SECONDS": "0.05", "PILOTKIT_API_RATE_LIMIT_PER_SECOND": "0",
               "PILOTKIT_API_MAX_PENDING_PER_SIGNER": "2",  # batches in flight: some sent, some still queued
               "PYTHONPATH": str(Path(__file__).parent) + os.pathsep + os.environ.get("PYTHONPATH", "")}
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "pilotkit", "serve", "--port", str(self.port), "--rpc", self.rpc_url,
                 "--database-url", self.database_url, "--project", str(REPO), "--log-level", "warning"],
                cwd=REPO, env=env, stdout=log, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"pilotkit serve exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code < 500:
                    return
            except httpx.HTTPError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"pilotkit serve did not answer in {timeout}s: {self.log.read_text()[-2000:]}")

    def kill(self) -> None:
        """SIGKILL: no shutdown hooks, in-flight work simply stops."""
        import signal

        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait(timeout=30)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except Exception:
                self.kill()


class ChainOnly:
    """Just enough of `Service` for `enrol` (it needs `.chain`), for tests that serve a real `pilotkit serve`."""

    def __init__(self, chain: Any) -> None:
        self.chain = chain
