"""`pilotkit api-key` and `pilotkit serve`, run as users run them: separate processes."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pilotkit_backend.core.config import Settings
from pilotkit_backend.main import create_app
from pilotkit_backend.platform.auth import hash_token
from pilotkit_backend.platform.models.access import Scope

from pilotkit.cli.api_key_cmd import SCOPES

PROGRAMME = "0x5FbDB2315678afecb367f032d93F642f64180aa3"


def pilotkit(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKIT_API_")}
    return subprocess.run(
        [sys.executable, "-m", "pilotkit", *args],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=cwd,
        env=env,
        stdin=subprocess.DEVNULL,
    )


@pytest.mark.parametrize(
    "args", [("--help",), ("api-key", "--help"), ("api-key", "create", "--help"), ("serve", "--help")]
)
def test_help_imports_no_server_libraries(args: tuple[str, ...], tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "pilotkit", *args],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )
    assert done.returncode == 0, done.stderr
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert not imported & {"fastapi", "starlette", "sqlalchemy", "alembic", "uvicorn", "web3", "pilotkit_backend"}


def test_cli_scopes_match_the_model() -> None:
    assert set(SCOPES) == {s.value for s in Scope}


def test_api_key_create_list_revoke_round_trip(tmp_path: Path, database_url: str) -> None:
    db = ("--database-url", database_url)
    created = pilotkit(
        "api-key",
        "create",
        "--label",
        "tablet 14",
        "--scope",
        "registrar",
        "--scope",
        "auditor",
        "--bind",
        f"programme:{PROGRAMME}",
        *db,
        cwd=tmp_path,
    )
    assert created.returncode == 0, created.stderr
    tokens = re.findall(r"pk_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", created.stdout)
    assert len(tokens) == 1 and created.stdout.count(tokens[0]) == 1  # printed once
    token = tokens[0]
    second = pilotkit("api-key", "create", "--label", "merchant 3", "--scope", "merchant", *db, cwd=tmp_path)
    assert second.returncode == 0

    listed = pilotkit("api-key", "list", *db, cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    assert token not in listed.stdout and token[16:] not in listed.stdout and hash_token(token) not in listed.stdout
    assert "pk_" not in listed.stdout
    first_row = next(line for line in listed.stdout.splitlines() if "tablet 14" in line)
    assert token[3:15] in first_row and "auditor,registrar" in first_row and "active" in first_row
    assert f"programme:{PROGRAMME.lower()}" in first_row

    app = create_app(Settings(database_url=database_url))
    with TestClient(app) as client:
        me = client.get("/v1/me", headers={"X-API-Key": token})
        assert me.status_code == 200 and me.json()["label"] == "tablet 14"
        revoked = pilotkit("api-key", "revoke", token[3:15], *db, cwd=tmp_path)
        assert revoked.returncode == 0 and "revoked" in revoked.stdout and token[16:] not in revoked.stdout
        assert client.get("/v1/me", headers={"X-API-Key": token}).status_code == 401
    again = pilotkit("api-key", "revoke", "1", *db, cwd=tmp_path)
    assert again.returncode == 0 and "already revoked" in again.stdout
    after = pilotkit("api-key", "list", *db, cwd=tmp_path)
    assert re.search(r"tablet 14 .* revoked", after.stdout) and re.search(r"merchant 3 .* active", after.stdout)


@pytest.mark.parametrize(
    ("args", "code", "message"),
    [
        (("create", "--label", "x", "--scope", "root"), 2, "invalid choice"),
        (("create", "--label", "x", "--scope", "admin", "--bind", "wallet:0x1"), 1, "unknown binding kind"),
        (("create", "--label", "x", "--scope", "admin", "--bind", "programme"), 1, "KIND:ID"),
        (("create", "--label", " ", "--scope", "admin"), 1, "label"),
        (("revoke", "42"), 1, "no API key"),
    ],
    ids=["bad-scope", "bad-kind", "no-id", "blank-label", "unknown-key"],
)
def test_api_key_errors(tmp_path: Path, database_url: str, args: tuple[str, ...], code: int, message: str) -> None:
    done = pilotkit("api-key", *args, "--database-url", database_url, cwd=tmp_path)
    assert done.returncode == code and message in done.stderr and "Traceback" not in done.stderr


def test_api_key_database_error_hides_the_password(tmp_path: Path) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    done = pilotkit(
        "api-key",
        "list",
        "--database-url",
        f"postgresql+psycopg://pilot:S3cretPassw0rd@127.0.0.1:{port}/db",
        cwd=tmp_path,
    )
    assert done.returncode == 1 and "database error" in done.stderr
    assert "S3cretPassw0rd" not in done.stderr + done.stdout and "Traceback" not in done.stderr


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def serve(tmp_path: Path, database_url: str) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKIT_API_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "pilotkit", "serve", "--port", str(port), "--database-url", database_url],
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        stdin=subprocess.DEVNULL,
    )
    try:
        yield process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate(timeout=30)


def _get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=5) as reply:
            return reply.status, reply.read()
    except urllib.error.HTTPError as error:
        return error.code, error.read()


@pytest.mark.parametrize("stop_signal", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "sigterm"])
def test_serve_migrates_answers_and_stops_cleanly(
    serve: tuple[subprocess.Popen[str], int], stop_signal: signal.Signals
) -> None:
    process, port = serve
    deadline = time.monotonic() + 60
    while True:
        assert process.poll() is None, process.communicate()
        try:
            status, body = _get(port, "/health")
            break
        except (urllib.error.URLError, ConnectionError):
            assert time.monotonic() < deadline, "pilotkit serve did not answer within 60 s"
            time.sleep(0.1)
    assert status == 200 and json.loads(body) == {"status": "ok", "checks": {"database": "ok"}}
    assert _get(port, "/docs")[0] == 200
    status, body = _get(port, "/v1/me", {"Authorization": "Bearer pk_000000000000_" + "x" * 43})
    assert status == 401 and json.loads(body)["type"] == "/problems/unauthorized"
    process.send_signal(stop_signal)
    out, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert f"http://127.0.0.1:{port}" in out and "stopped" in out
    assert "Traceback" not in err and "x" * 43 not in err
    assert "GET /v1/me 401" in err  # the service's own access log (route template, no client address)
    assert "127.0.0.1:" not in err.replace(f"http://127.0.0.1:{port}", "")


def test_api_key_commands_find_the_demo_database_and_say_which(tmp_path: Path) -> None:
    (tmp_path / "pilotkit.toml").write_text("")
    nested = tmp_path / "scripts"
    nested.mkdir()
    empty = pilotkit("api-key", "list", cwd=nested)  # no demo database, no settings: refuse, create nothing
    assert empty.returncode == 1 and "no service database at" in empty.stderr and "nothing was created" in empty.stderr
    assert not list(tmp_path.rglob("*.db")) and "Traceback" not in empty.stderr
    demo = tmp_path / ".pilotkit" / "demo-api.db"
    demo.parent.mkdir()
    made = pilotkit("api-key", "create", "--label", "officer", "--scope", "admin", "--database-url",
                    f"sqlite:///{demo}", cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    listed = pilotkit("api-key", "list", cwd=nested)  # as `serve` and `demo` resolve it: the demo's database
    assert listed.returncode == 0, listed.stderr
    assert re.search(r"officer .* active", listed.stdout)
    assert f"database sqlite:///{demo} (the demo's database)" in listed.stderr
    assert not (nested / "pilotkit-api.db").exists() and not (tmp_path / "pilotkit-api.db").exists()


def test_api_key_takes_the_database_before_or_after_the_action(tmp_path: Path, database_url: str) -> None:
    made = pilotkit("api-key", "--database-url", database_url, "create", "--label", "a", "--scope", "admin",
                    cwd=tmp_path)
    assert made.returncode == 0, made.stderr
    for args in (("--database-url", database_url, "list"), ("list", "--database-url", database_url)):
        listed = pilotkit("api-key", *args, cwd=tmp_path)
        assert listed.returncode == 0 and re.search(r"\ba\b .* active", listed.stdout), listed.stderr
