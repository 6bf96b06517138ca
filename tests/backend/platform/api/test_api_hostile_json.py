"""Deeply nested JSON cannot crash the service (issue 12, defect 1).

py_ecc (imported through web3 and eth-account) raises the recursion limit to 100,000, so before the fix a body
of ~100,000 nested arrays made `json.loads` overflow the C stack: the process died (SIGSEGV) on one
unauthenticated request. The service runs here as a real process, every body-accepting operation of its own
OpenAPI document gets deep arrays and deep objects, and `/health` must still answer afterwards.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from _json_rpc_stub import json_rpc_stub

from pilotkit import safejson

DEEP = 100_000
DEEP_ARRAYS = b'{"identifier": ' + b"[" * DEEP + b"]" * DEEP + b"}"
DEEP_OBJECTS = b'{"a":' * DEEP + b"1" + b"}" * DEEP
JUST_TOO_DEEP = b"[" * (safejson.MAX_DEPTH + 1) + b"]" * (safejson.MAX_DEPTH + 1)
METHODS_WITH_BODIES = ("post", "put", "patch", "delete")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


SERVER = textwrap.dedent(
    """
    import sys, uvicorn
    import web3, eth_account  # what the service imports anyway (py_ecc comes with them)
    from pilotkit_backend.core.config import Settings
    from pilotkit_backend.db.migrate import upgrade_database
    from pilotkit_backend.main import create_app
    upgrade_database(sys.argv[1])
    uvicorn.run(create_app(Settings(database_url=sys.argv[1])), host="127.0.0.1", port=int(sys.argv[2]),
                log_level="warning")
    """
)


@pytest.fixture
def served(tmp_path: Path) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKIT_API_")}
    process = subprocess.Popen([sys.executable, "-c", SERVER, f"sqlite:///{tmp_path / 'hostile.db'}", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                httpx.get(f"{base}/health", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline
                time.sleep(0.1)
        yield base, process
    finally:
        process.terminate()
        process.communicate(timeout=30)


def _fill(path: str) -> str:
    return "/".join("0x5FbDB2315678afecb367f032d93F642f64180aa3" if part.startswith("{") else part
                    for part in path.split("/"))


def test_deep_nesting_on_every_body_route_leaves_the_process_answering(
    served: tuple[str, subprocess.Popen[str]],
) -> None:
    base, process = served
    document = httpx.get(f"{base}/openapi.json", timeout=10).json()
    operations = [(method, path) for path, item in document["paths"].items() for method in item
                  if method in METHODS_WITH_BODIES]  # documented with a body or not: any of them may be sent one
    with_bodies = [(m, p) for m, p in operations if "requestBody" in document["paths"][p][m]]
    assert len(with_bodies) > 30 and len(operations) > 40  # the walk reaches the domain routes too
    with httpx.Client(base_url=base, timeout=30) as client:
        for method, path in operations:
            for body in (DEEP_ARRAYS, DEEP_OBJECTS, JUST_TOO_DEEP):
                response = client.request(method.upper(), _fill(path), content=body,
                                          headers={"Content-Type": "application/json"})
                assert process.poll() is None, (method, path, process.communicate())
                assert response.headers["content-type"].startswith("application/problem+json")
                problem = response.json()
                limit = document["paths"][path][method].get("x-max-body-bytes")
                if limit is not None and len(body) > limit:  # a route's own smaller body limit comes first
                    assert (response.status_code, problem["type"]) == (413, "/problems/body-too-large"), (method, path)
                    continue
                assert response.status_code == 422, (method, path, response.status_code, response.text[:300])
                assert problem["type"] == "/problems/validation-error"
                assert problem["max_depth"] == safejson.MAX_DEPTH
                assert problem["errors"] == [{"field": "body", "type": "json_too_deep",
                                              "message": problem["errors"][0]["message"]}]
                assert str(safejson.MAX_DEPTH) in problem["detail"]
        # without a content type FastAPI parses the body as JSON too
        response = client.post(_fill("/v1/programmes/{programme}/beneficiaries/lookup"), content=DEEP_ARRAYS)
        assert response.status_code == 422 and response.json()["max_depth"] == safejson.MAX_DEPTH
        health = client.get("/health")
    assert health.status_code == 200 and health.json()["checks"]["database"] == "ok"


def test_nesting_within_the_limit_still_reaches_validation(served: tuple[str, subprocess.Popen[str]]) -> None:
    base, _ = served
    body = b'{"identifier": ' + b"[" * (safejson.MAX_DEPTH - 1) + b"]" * (safejson.MAX_DEPTH - 1) + b"}"
    response = httpx.post(f"{base}/v1/contracts", content=body, headers={"Content-Type": "application/json"},
                          timeout=10)
    assert response.status_code == 401  # parsed, so the request went on to authentication


def test_no_import_leaves_a_recursion_limit_that_can_overflow_the_c_stack() -> None:
    probe = ("import sys, web3, eth_account, py_ecc; import pilotkit_backend.main, pilotkit.cli; "
             "import json, threading\n"
             "def deep():\n"
             "    try: json.loads('[' * 200000 + ']' * 200000)\n"
             "    except RecursionError: print('refused')\n"
             "t = threading.Thread(target=deep); t.start(); t.join(); deep(); print(sys.getrecursionlimit())")
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, (done.returncode, done.stderr[-2000:])
    assert done.stdout.split() == ["refused", "refused", str(safejson.SAFE_RECURSION_LIMIT)]


@pytest.fixture
def deep_node() -> Iterator[str]:
    """A hostile "node": every JSON-RPC answer is nested 100,000 levels deep."""
    body = b'{"jsonrpc": "2.0", "id": 1, "result": ' + b"[" * DEEP + b"]" * DEEP + b"}"
    with json_rpc_stub(raw=lambda _: body) as url:
        yield url


def test_deep_node_answers_are_refused_by_every_rpc_client(deep_node: str) -> None:
    """The JSON-RPC path: the indexer's client, the raw client and the web3 provider the sender uses."""
    from pilotkit_backend.platform.indexer.rpc import JsonRpcClient
    from pilotkit_backend.platform.workers import rpc_health_check

    from pilotkit.chain.connection import _http_provider
    from pilotkit.chain.rpc import RawRpc
    from pilotkit.errors import NetworkError

    with pytest.raises(NetworkError, match="nested deeper"):
        JsonRpcClient(url=deep_node).call("eth_blockNumber", [])
    with pytest.raises(NetworkError, match="nested deeper"):
        RawRpc(url=deep_node).call("eth_blockNumber")
    with pytest.raises(NetworkError, match="nested deeper"):
        _http_provider(deep_node, 10).make_request("eth_blockNumber", [])
    with pytest.raises(ConnectionError):
        rpc_health_check(deep_node)()


def test_cli_values_and_files_are_depth_limited(tmp_path: Path) -> None:
    from pilotkit.cli._common import parse_cli_value
    from pilotkit.errors import PilotkitError
    from pilotkit.pilots.compare import _load

    deep = "[" * DEEP + "]" * DEEP
    assert parse_cli_value(deep) == deep  # not JSON within the limit: taken as the string it is
    assert parse_cli_value("[1, [2]]") == [1, [2]]
    result = tmp_path / "deep.json"
    result.write_text(deep)
    with pytest.raises(PilotkitError, match="nested deeper"):
        _load(str(result))
