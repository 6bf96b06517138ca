"""50 field apps at once, 20 payments each, against a real `pilotkit serve`: every payment is accepted, sent and
confirmed exactly once, and no nonce problem ever reaches a client (the database hands out nonces)."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from _domain_support import FINAL, REPO, ServiceChain
from _rounds_support import AMOUNT, PERIOD, enrol, wallet_address
from pilotkit_backend.db.engine import make_engine, make_session_factory
from pilotkit_backend.db.migrate import upgrade_database
from pilotkit_backend.platform.auth import create_key

CLIENTS = 50
PAYMENTS_EACH = 20
N = CLIENTS * PAYMENTS_EACH


class _Chainish:
    def __init__(self, chain: ServiceChain) -> None:
        self.chain = chain


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _post(client: httpx.Client, path: str, token: str, body: Any, key: str) -> httpx.Response:
    """A field app's POST: retried with the same Idempotency-Key while the service says "busy, retry"."""
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": key}
    for _ in range(50):
        response = client.post(path, json=body, headers=headers)
        if response.status_code not in (409, 503) or "Retry-After" not in response.headers:
            return response
        time.sleep(float(response.headers["Retry-After"]) / 5)
    return response


def _wait(client: httpx.Client, token: str, job_id: str, timeout: float = 120.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        body = client.get(f"/v1/jobs/{job_id}", headers={"Authorization": f"Bearer {token}"}).json()
        if body["status"] in FINAL:
            return body
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} not final after {timeout}s")


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
def test_50_clients_x_20_payments_no_nonce_error_reaches_a_client(
        backend: str, service_chain: ServiceChain, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    chain = service_chain
    database = f"sqlite:///{tmp_path / 'load.db'}" if backend == "sqlite" else \
        request.getfixturevalue("postgresql_url")
    snapshot = chain.control.snapshot()
    indexes = enrol(_Chainish(chain), N)  # type: ignore[arg-type]
    upgrade_database(database)
    engine = make_engine(database)
    with make_session_factory(engine)() as session:
        admin = create_key(session, "admin", ["admin"], None)[1]
        disburser = create_key(session, "ops", ["disburser"], None)[1]
        approver = create_key(session, "finance", ["approver"], None)[1]
    engine.dispose()
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKIT_API_")}
    env.update(PILOTKIT_API_RATE_LIMIT_PER_SECOND="0", PILOTKIT_API_SENDER_POLL_SECONDS="0.02",
               PILOTKIT_API_INDEXER_POLL_SECONDS="0.05")
    log = (tmp_path / "serve.log").open("w")
    process = subprocess.Popen([sys.executable, "-m", "pilotkit", "serve", "--port", str(port), "--database-url",
                                database, "--rpc", chain.node.url, "--project", str(REPO), "--log-level", "warning"],
                               cwd=tmp_path, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        client = httpx.Client(base_url=base, timeout=60)
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, (tmp_path / "serve.log").read_text()[-3000:]
            try:
                client.get("/health")
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        programme = chain.address("CashProgramme")
        registered = _post(client, "/v1/contracts", admin, {"kind": "programme", "address": programme,
                                                            "label": "load"}, "reg")
        assert registered.status_code == 201, registered.text
        start = chain.control.window_start(10 * 86400, PERIOD)
        body = {"mode": "push", "amount_per_beneficiary": AMOUNT, "starts_at": start - 60,
                "ends_at": start + 10 * 86400}
        deadline = time.monotonic() + 60
        attempt = 0
        while True:  # an all-active plan waits until the index has seen all enrolments (409 index-behind)
            attempt += 1
            proposal = _post(client, f"/v1/programmes/{programme}/rounds", disburser, body, f"propose-{attempt}")
            if proposal.status_code != 409 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert proposal.status_code == 202, proposal.text
        assert _wait(client, disburser, proposal.json()["job_id"])["status"] == "confirmed"
        round_path = f"/v1/programmes/{programme}/rounds/{proposal.json()['round_id']}"
        approval = _post(client, f"{round_path}/approve", approver, None, "approve")
        assert approval.status_code == 202, approval.text
        assert all(_wait(client, approver, j["job_id"])["status"] == "confirmed" for j in approval.json()["jobs"])
        chain_round = client.get(round_path, headers={"Authorization": f"Bearer {approver}"}).json()[
            "chain_round_id"]

        answers: list[tuple[int, int, str]] = []
        lock = threading.Lock()

        def field_app(number: int) -> None:
            with httpx.Client(base_url=base, timeout=60) as own:
                for i in indexes[number * PAYMENTS_EACH:(number + 1) * PAYMENTS_EACH]:
                    reply = _post(own, f"{round_path}/payments", disburser, {"index": i}, f"pay-{i}")
                    with lock:
                        answers.append((i, reply.status_code, reply.text))

        threads = [threading.Thread(target=field_app, args=(n,)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=600)
        refused = [a for a in answers if a[1] != 202]
        assert len(answers) == N and refused == [], refused[:5]
        assert not any("nonce" in text.lower() for _, _, text in answers)
        jobs = [_wait(client, disburser, httpx.Response(202, content=text).json()["job_id"])
                for _, _, text in answers]
        assert [j for j in jobs if j["status"] != "confirmed"] == []
        assert not any("nonce" in str(j.get("error")).lower() for j in jobs)
        prog, token = chain.contracts["CashProgramme"], chain.contracts["TestStablecoin"]
        assert all(prog.isPaid(chain_round, i) for i in indexes)
        assert all(token.balanceOf(wallet_address(n)) == AMOUNT for n in range(N))
        assert len({j["tx_hash"] for j in jobs}) == N
    finally:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()
        chain.control.revert(snapshot)
    assert process.returncode == 0, (tmp_path / "serve.log").read_text()[-3000:]
