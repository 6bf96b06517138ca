"""The README's main job: `pilotkit demo` compiles, starts a chain, deploys the core contracts, stops."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
CORE = ("TestStablecoin", "CashProgramme", "EcoCreditRegistry", "CertificateRegistry")


def test_demo_deploys_the_core_contracts_and_leaves_nothing_running(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pilotkit", "demo"], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    table = {line.split()[0]: line.split()[1] for line in done.stdout.splitlines() if line.startswith(CORE)}
    assert set(table) == set(CORE)
    assert all(address.startswith("0x") and len(address) == 42 for address in table.values())
    chain_line = next(line for line in done.stdout.splitlines() if line.startswith("chain: anvil"))
    ipc_path = Path(chain_line.split(" at ")[1].split(" ")[0])
    assert not ipc_path.exists(), "the demo's Anvil should be stopped and its IPC socket removed"


def test_demo_serve_registers_the_contracts_serves_the_api_and_stops_everything(tmp_path: Path) -> None:
    """`pilotkit demo --serve` (the README's main command): chain, deploy, roles, registrations, keys, API."""
    import json
    import os
    import signal
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    database = tmp_path / "demo.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKIT_API_")}
    process = subprocess.Popen([sys.executable, "-m", "pilotkit", "demo", "--serve", "--port", str(port),
                                "--database-url", f"sqlite:///{database}"], cwd=REPO, env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    lines: list[str] = []
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 300
        while not any(line.startswith("  (demo keys") for line in lines):
            assert time.monotonic() < deadline and process.poll() is None, "".join(lines)
            lines.append(process.stdout.readline())
        keys = {line.split("'")[1]: line.split()[-1] for line in lines if "API key '" in line}
        assert set(keys) == {"programme officer", "finance approver"}

        def get(path: str, token: str | None = None) -> object:
            headers = {"Authorization": f"Bearer {token}"} if token else {}
            request = urllib.request.Request(f"http://127.0.0.1:{port}{path}", headers=headers)
            with urllib.request.urlopen(request, timeout=10) as reply:
                return json.loads(reply.read())

        for _ in range(200):
            try:
                health = get("/health")
                break
            except OSError:
                time.sleep(0.1)
        assert health == {"status": "ok", "checks": {"database": "ok", "chain": "ok"}}
        contracts = get("/v1/contracts", keys["programme officer"])
        assert {c["kind"] for c in contracts} == {"programme", "credits", "certificates"}  # type: ignore[union-attr]
        me = get("/v1/me", keys["finance approver"])
        assert me["scopes"] == ["approver", "auditor"]  # type: ignore[index]
    finally:
        process.send_signal(signal.SIGINT)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "Traceback" not in err
    chain_line = next(line for line in lines if line.startswith("chain: anvil"))
    assert not Path(chain_line.split(" at ")[1].split(" ")[0]).exists(), "the demo's Anvil must be stopped"


def test_demo_lists_only_what_its_script_deployed(tmp_path: Path) -> None:
    """A `pilotkit deploy --alias` into the same local record earlier is not a row of the demo's table."""
    stray = subprocess.run([sys.executable, "-m", "pilotkit", "deploy", "CertificateRegistry",
                            "0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266", "--alias", "stray-registry"], cwd=REPO,
                           capture_output=True, text=True, timeout=300)
    assert stray.returncode == 0, stray.stderr
    done = subprocess.run([sys.executable, "-m", "pilotkit", "demo"], cwd=REPO, capture_output=True, text=True,
                          timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "stray-registry" not in done.stdout
    table = {line.split()[0] for line in done.stdout.splitlines() if line.startswith(CORE)}
    assert table == set(CORE)


def test_demo_kept_running_stops_cleanly_on_sigterm() -> None:
    """SIGTERM (a service manager, `kill`) stops the chain and removes its folder and endpoint file, as Ctrl-C does."""
    import json
    import signal
    import time

    process = subprocess.Popen([sys.executable, "-m", "pilotkit", "demo", "--keep-running"], cwd=REPO, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    endpoint = REPO / ".pilotkit" / "node-local.json"
    try:
        assert process.stdout is not None
        deadline = time.monotonic() + 300
        for line in process.stdout:
            if "chain kept running" in line or time.monotonic() > deadline:
                break
        published = json.loads(endpoint.read_text())
        assert published["pid"] == process.pid and Path(published["ipc"]).exists()
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=60)
    assert process.returncode == 130
    assert not Path(published["ipc"]).parent.exists() and not endpoint.exists()
