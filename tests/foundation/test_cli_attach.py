"""A second script on a local network reaches the chain the first one used (`--rpc`, a running `pilotkit node`),
a record from a gone chain is refused with what to do, and `pilotkit run` says what it did."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from .test_cli import _pilotkit

DEPLOY = """
def main(session):
    counter = session.deploy("Counter", 11)
    counter.increment()
    return {"count": counter.count()}
"""
USE = """
def main(session):
    counter = session.contract("Counter")
    counter.increment()
    return {"count": counter.count()}
"""


def _script(tmp_path: Path, name: str, body: str) -> Path:
    path = tmp_path / name
    path.write_text(textwrap.dedent(body))
    return path


@pytest.fixture()
def running_node(compiled_project: Path) -> Iterator[tuple[subprocess.Popen[str], str]]:
    """`pilotkit node` in the project, until the test ends (stopped with SIGINT as Ctrl-C would)."""
    process = subprocess.Popen([sys.executable, "-m", "pilotkit", "node", "--project", str(compiled_project)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                               stdin=subprocess.DEVNULL, env=os.environ.copy())
    url = ""
    assert process.stdout is not None
    deadline = time.monotonic() + 60
    for line in process.stdout:
        if "http:" in line:
            url = line.split("http:", 1)[1].strip()
        if "Press Ctrl-C" in line or time.monotonic() > deadline:
            break
    try:
        assert url.startswith("http://127.0.0.1:"), url
        yield process, url
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


def test_run_prints_what_the_script_deployed_sent_and_returned(compiled_project: Path, tmp_path: Path) -> None:
    done = _pilotkit("run", str(_script(tmp_path, "first.py", DEPLOY)), "--project", str(compiled_project))
    assert done.returncode == 0, done.stderr
    assert re.search(r"^  deployed Counter at 0x[0-9a-fA-F]{40} \(tx 0x[0-9a-f]{64}\)$", done.stdout, re.M), done.stdout
    assert re.search(r"^  transactions sent: 2 \(gas used [\d,]+\)$", done.stdout, re.M), done.stdout
    assert re.search(r"^  main\(\) returned {.count.: 12}$", done.stdout, re.M), done.stdout
    assert "chain 31337" in done.stdout


def test_second_script_attaches_to_a_running_pilotkit_node(running_node: tuple[subprocess.Popen[str], str],
                                                           compiled_project: Path, tmp_path: Path) -> None:
    _, url = running_node
    first = _pilotkit("run", str(_script(tmp_path, "first.py", DEPLOY)), "--project", str(compiled_project))
    assert first.returncode == 0, first.stderr
    assert f"attached to the running pilotkit node at {url}" in first.stdout + first.stderr
    second = _pilotkit("run", str(_script(tmp_path, "second.py", USE)), "--project", str(compiled_project))
    assert second.returncode == 0, second.stderr
    assert re.search(r"^  reused Counter at 0x[0-9a-fA-F]{40}", second.stdout, re.M), second.stdout
    assert re.search(r"^  main\(\) returned {.count.: 13}$", second.stdout, re.M), second.stdout  # same chain
    by_rpc = _pilotkit("run", str(_script(tmp_path, "third.py", USE)), "--rpc", url, "--project",
                       str(compiled_project))
    assert by_rpc.returncode == 0, by_rpc.stderr
    assert re.search(r"^  main\(\) returned {.count.: 14}$", by_rpc.stdout, re.M), by_rpc.stdout
    deployed = _pilotkit("deploy", "Counter", "11", "--rpc", url, "--project", str(compiled_project))
    assert deployed.returncode == 0 and "reused" in deployed.stdout, deployed.stdout + deployed.stderr
    assert "the local chain stops when this command exits" not in deployed.stdout


def test_the_endpoint_file_goes_with_the_node(running_node: tuple[subprocess.Popen[str], str],
                                              compiled_project: Path) -> None:
    process, url = running_node
    endpoint = compiled_project / ".pilotkit" / "node-local.json"
    published = json.loads(endpoint.read_text())
    assert published["url"] == url and Path(published["ipc"]).exists()
    process.send_signal(signal.SIGTERM)
    assert process.wait(timeout=30) == 130
    assert not endpoint.exists()
    assert not Path(published["ipc"]).parent.exists()  # its /tmp/pk-anvil-* folder went with it


def test_a_record_of_a_gone_chain_is_refused_with_what_to_do(compiled_project: Path, tmp_path: Path) -> None:
    first = _pilotkit("run", str(_script(tmp_path, "first.py", DEPLOY)), "--project", str(compiled_project))
    assert first.returncode == 0, first.stderr
    second = _pilotkit("run", str(_script(tmp_path, "second.py", USE)), "--project", str(compiled_project))
    assert second.returncode == 1
    record = compiled_project / "deployments" / "local" / "local-31337.json"
    assert "Traceback" not in second.stderr and len(second.stderr.strip().splitlines()) == 1, second.stderr
    message = second.stderr
    assert f"'Counter' in {record}" in message and "has no code" in message and "chain 31337" in message
    assert "pilotkit node" in message and "--rpc" in message


def test_a_send_to_an_address_without_code_is_refused(compiled_project: Path) -> None:
    from pilotkit.errors import NoCodeError
    from pilotkit.project import Project
    from pilotkit.runtime import open_session

    with open_session(Project.load(compiled_project)) as session:
        counter = session.deployer.handle("Counter", "0x" + "12" * 20)
        nonce = session.connection.web3.eth.get_transaction_count(session.signer.address)
        with pytest.raises(NoCodeError, match=r"Counter at 0x1212.* has no code on chain 31337"):
            counter.increment()
        with pytest.raises(NoCodeError, match="has no code"):
            counter.count()
        assert session.connection.web3.eth.get_transaction_count(session.signer.address) == nonce  # nothing sent


def test_a_script_that_fails_shows_where_without_a_raw_traceback(compiled_project: Path, tmp_path: Path) -> None:
    script = _script(tmp_path, "broken.py", "def main(session):\n    return {}['missing']\n")
    done = _pilotkit("run", str(script), "--project", str(compiled_project))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert f"{script}:2 in main: KeyError: 'missing'" in done.stderr
    assert "--verbose" in done.stderr
