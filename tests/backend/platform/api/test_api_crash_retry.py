"""Retries after a crash (issue 12, defect 3): a restarted service frees the keys of requests that never committed.

Before: a request in flight when the service was killed left its Idempotency-Key `in_progress`, so a field app's
retry got 409 for up to IDEMPOTENCY_LOCK_SECONDS (120 s) although the process holding it was dead. Here the
service runs as a real process, is SIGKILLed with one request held inside its handler and one committed, and is
started again on the same database: the unfinished request's retry must succeed within 5 s of the restart, the
committed one must replay its stored answer.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path

import httpx
import pytest
from _api_support import PROGRAMME_A
from pilotkit_backend.db.engine import make_engine, make_session_factory
from pilotkit_backend.db.migrate import upgrade_database
from pilotkit_backend.platform.auth import create_key
from pilotkit_backend.platform.idempotency import ProcessOwner
from pilotkit_backend.platform.models.access import IdempotencyRecord
from sqlalchemy import select

HERE = Path(__file__).resolve().parent
SERVER = textwrap.dedent(
    """
    import sys, uvicorn
    from _api_support import Probe, create_test_tables, mount_test_routes
    from pilotkit_backend.core.config import Settings
    from pilotkit_backend.main import create_app
    url, port, hold, worker = sys.argv[1], int(sys.argv[2]), sys.argv[3] == "hold", sys.argv[4] or None
    app = create_app(Settings(database_url=url, worker_id=worker, rate_limit_per_second=1000, rate_limit_burst=1000))
    mount_test_routes(app, Probe(hold=hold))
    from pilotkit_backend.db.engine import make_engine
    create_test_tables(make_engine(url))
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning")
    """
)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(url: str, hold: bool, worker: str) -> tuple[subprocess.Popen[str], str]:
    port = _free_port()
    env = {**{k: v for k, v in os.environ.items() if not k.startswith("PILOTKIT_API_")},
           "PYTHONPATH": os.pathsep.join([str(HERE), os.environ.get("PYTHONPATH", "")])}
    process = subprocess.Popen([sys.executable, "-c", SERVER, url, str(port), "hold" if hold else "go", worker],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, process.communicate()
        try:
            httpx.get(f"{base}/health", timeout=1)
            return process, base
        except httpx.HTTPError:
            assert time.monotonic() < deadline
            time.sleep(0.05)


def _claimed(database_url: str, key: str) -> bool:
    with make_session_factory(make_engine(database_url))() as session:
        return session.scalar(select(IdempotencyRecord.id).where(IdempotencyRecord.key == key,
                                                                 IdempotencyRecord.state == "in_progress")) is not None


@pytest.mark.parametrize("worker", ["", "api-1"], ids=["same-host", "same-worker-id"])
def test_a_retry_after_a_crash_succeeds_within_seconds(database_url: str, worker: str) -> None:
    if not database_url.startswith("sqlite"):
        pytest.skip("the service process and the test share one database file")
    upgrade_database(database_url)
    with make_session_factory(make_engine(database_url))() as session:
        _, token = create_key(session, "field app", ["disburser"])
    url = f"/test/programmes/{PROGRAMME_A}/counter"
    headers = {"Authorization": f"Bearer {token}"}
    first, base = _start(database_url, hold=True, worker=worker)
    try:
        held = threading.Thread(target=lambda: httpx.post(f"{base}{url}", json={"amount": 5}, timeout=60,
                                                          headers={**headers, "Idempotency-Key": "in-flight"}),
                                daemon=True)
        held.start()
        deadline = time.monotonic() + 20
        while not _claimed(database_url, "in-flight"):  # the held request has claimed its key (then waits)
            assert time.monotonic() < deadline
            time.sleep(0.05)
        time.sleep(0.2)
        probe = httpx.post(f"{base}{url}", json={"amount": 5}, timeout=10,
                           headers={**headers, "Idempotency-Key": "in-flight"})
        assert probe.status_code == 409, probe.text  # the first request still runs
    finally:
        first.send_signal(signal.SIGKILL)
        first.communicate(timeout=30)
    second, base = _start(database_url, hold=False, worker=worker)
    restarted = time.monotonic()
    try:
        while True:
            retry = httpx.post(f"{base}{url}", json={"amount": 5}, timeout=10,
                               headers={**headers, "Idempotency-Key": "in-flight"})
            if retry.status_code != 409:
                break
            assert time.monotonic() - restarted < 5, "the retry still waits for the dead process's claim"
            time.sleep(0.1)
        elapsed = time.monotonic() - restarted
        assert retry.status_code == 201, retry.text
        assert elapsed < 5
        done = httpx.post(f"{base}{url}", json={"amount": 7}, timeout=10,
                          headers={**headers, "Idempotency-Key": "committed"})
        assert done.status_code == 201
    finally:
        second.send_signal(signal.SIGKILL)
        second.communicate(timeout=30)
    third, base = _start(database_url, hold=False, worker=worker)
    try:  # a committed request replays its stored answer after a crash and a restart
        again = httpx.post(f"{base}{url}", json={"amount": 7}, timeout=10,
                           headers={**headers, "Idempotency-Key": "committed"})
        assert again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
        assert again.content == done.content
        total = httpx.get(f"{base}{url}", headers=headers, timeout=10)
    finally:
        third.terminate()
        third.communicate(timeout=30)
    assert total.json()["total"] == 12  # the crashed request's retry ran once, the committed one was not re-run


def test_only_owners_known_to_be_gone_are_freed() -> None:
    me = ProcessOwner.current("api-1")
    assert not me.sees_gone(me)
    assert me.sees_gone(ProcessOwner.current("api-1"))  # the same worker id, another instance: a predecessor
    alive = ProcessOwner.current("api-2")  # this very process under another worker id: alive
    assert not me.sees_gone(alive)
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    gone = ProcessOwner("api-3", me.host, dead.pid, "1", "x" * 32)
    assert me.sees_gone(gone)
    elsewhere = ProcessOwner("api-3", "another-host", dead.pid, "1", "y" * 32)
    assert not me.sees_gone(elsewhere)  # another machine: only the lock timeout can tell
    reused = ProcessOwner("api-3", me.host, os.getpid(), "0", "z" * 32)  # our pid, another start time
    assert me.sees_gone(reused)
    assert ProcessOwner.decode(me.encode()) == me and ProcessOwner.decode("garbage") is None
