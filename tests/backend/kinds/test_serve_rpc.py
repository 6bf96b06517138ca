"""`pilotkit serve --rpc URL` on a local network: the chain is attached, the sender sends and the indexer indexes."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
from _domain_support import REPO, ServiceChain


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_serve_with_rpc_attaches_the_running_node(service_chain: ServiceChain, tmp_path: Path) -> None:
    snapshot = service_chain.control.snapshot()
    database = f"sqlite:///{tmp_path / 'serve.db'}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKIT_API_")}
    created = subprocess.run([sys.executable, "-m", "pilotkit", "api-key", "create", "--label", "ops", "--scope",
                              "admin", "--scope", "auditor", "--database-url", database], cwd=REPO, env=env,
                             capture_output=True, text=True, timeout=120)
    assert created.returncode == 0, created.stderr
    token = next(word for word in created.stdout.split() if word.startswith("pk_"))
    port = _free_port()
    process = subprocess.Popen([sys.executable, "-m", "pilotkit", "serve", "--port", str(port), "--database-url",
                                database, "--rpc", service_chain.node.url, "--project", str(REPO)],
                               cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    headers = {"Authorization": f"Bearer {token}"}
    try:
        deadline = time.monotonic() + 90
        while True:
            assert process.poll() is None, process.communicate()
            try:
                health = httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        assert health.json()["checks"] == {"database": "ok", "chain": "ok"}
        address = service_chain.address("CertificateRegistry")
        registered = httpx.post(f"{base}/v1/contracts", headers={**headers, "Idempotency-Key": "reg-1"},
                                json={"kind": "certificates", "address": address, "label": "certs"}, timeout=30)
        assert registered.status_code == 201, registered.text
        deadline = time.monotonic() + 60
        while True:  # the indexer follows the registered contract from its deployment block
            page = httpx.get(f"{base}/v1/contracts/{address}/events?name=RoleGranted", headers=headers, timeout=10)
            if page.status_code == 200 and page.json()["items"]:
                break
            assert time.monotonic() < deadline, page.text
            time.sleep(0.2)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
        service_chain.control.revert(snapshot)
    assert process.returncode == 0, err
    assert f"chain id {service_chain.chain_id}, sender and indexer running" in out
    # no --network: the chain at --rpc is taken as the default network, and the banner says so (with its client)
    assert f"--rpc {service_chain.node.url} taken as network 'local' (anvil/" in out.lower()
    assert "pass --network N" in out
    assert "Traceback" not in err
