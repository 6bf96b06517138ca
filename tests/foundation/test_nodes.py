"""Local chains start, answer, and always stop: on context exit, on errors, on parent death, on Ctrl-C."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from typing import Any

import pytest

from pilotkit.chain.local import AnvilNode, GanacheNode
from pilotkit.chain.rpc import RawRpc
from pilotkit.errors import NodeStartError, PilotkitError, ToolchainNotFound
from pilotkit.toolchain.discovery import find_anvil, find_ganache

from ._support import (
    DEV0,
    REPO,
    LineReader,
    chain_children,
    child_pids,
    cmdline,
    group_members,
    is_running,
    kill_if_running,
    listening_on_loopback_only,
    proc_state,
    wait_until_gone,
)


def _chain_id(rpc: RawRpc) -> int:
    try:
        return int(rpc.call("eth_chainId"), 16)
    finally:
        rpc.close()


def _assert_fully_stopped(pid: int) -> None:
    assert proc_state(pid) is None, f"pid {pid} still exists (state {proc_state(pid)})"
    assert group_members(pid) == [], "something of the node's process group survived"


# --- Anvil ---------------------------------------------------------------------------------------


def test_anvil_answers_over_ipc_and_http_then_stops_completely() -> None:
    with AnvilNode() as node:
        assert node.process is not None
        pid, ipc_path, port = node.process.pid, node.ipc_path, node.port
        assert ipc_path is not None and port is not None
        assert node.endpoint == ipc_path
        assert node.url == f"http://127.0.0.1:{port}"
        assert _chain_id(RawRpc(ipc_path=ipc_path)) == 31337
        assert _chain_id(RawRpc(url=node.url)) == 31337
        assert listening_on_loopback_only(pid, port)
        assert RawRpc(url=node.url).call("eth_accounts")[0].lower() == DEV0.lower()
    _assert_fully_stopped(pid)
    assert not Path(ipc_path).parent.exists(), "the IPC temp folder was left behind"
    assert node.ipc_path is None
    with pytest.raises(PilotkitError, match="anvil is not running"):
        node.url  # noqa: B018


def test_an_exception_inside_the_block_still_stops_anvil() -> None:
    with pytest.raises(RuntimeError, match="boom"), AnvilNode() as node:
        assert node.process is not None and node.ipc_path is not None
        pid, ipc_path = node.process.pid, node.ipc_path
        raise RuntimeError("boom")
    _assert_fully_stopped(pid)
    assert not Path(ipc_path).parent.exists()


def test_start_and_stop_are_idempotent() -> None:
    node = AnvilNode(ipc=False)
    try:
        assert node.start() is node
        assert node.process is not None
        pid = node.process.pid
        assert node.start().process is node.process
        assert node.endpoint == node.url
    finally:
        node.stop()
        node.stop()
    _assert_fully_stopped(pid)


def test_chain_id_and_accounts_are_configurable() -> None:
    with AnvilNode(chain_id=4242, accounts=3, ipc=False) as node:
        rpc = RawRpc(url=node.url)
        assert int(rpc.call("eth_chainId"), 16) == 4242
        assert len(rpc.call("eth_accounts")) == 3


def test_a_node_that_fails_to_start_leaves_nothing_behind(monkeypatch: pytest.MonkeyPatch) -> None:
    created: list[str] = []
    real_mkdtemp = tempfile.mkdtemp

    def recording_mkdtemp(*args: Any, **kwargs: Any) -> str:
        path = real_mkdtemp(*args, **kwargs)
        created.append(path)
        return path

    monkeypatch.setattr(tempfile, "mkdtemp", recording_mkdtemp)
    before = chain_children()
    node = AnvilNode(extra_args=["--no-such-option"])
    with pytest.raises(NodeStartError, match="anvil exited during start-up") as caught:
        node.start()
    assert "--no-such-option" in str(caught.value)  # anvil's own complaint is shown
    assert node.process is None and node.ipc_path is None
    assert chain_children() == before
    assert created and not Path(created[0]).exists()


_ORPHAN_SCRIPT = textwrap.dedent(
    """
    import sys, time
    from pilotkit.chain.local import {cls}
    node = {cls}().start()
    print(node.process.pid, node.ipc_path or "-", flush=True)
    time.sleep(120)
    """
)


def _start_in_subprocess(cls: str) -> tuple[subprocess.Popen[str], int, str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", _ORPHAN_SCRIPT.format(cls=cls)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = LineReader(proc.stdout).wait_for(" ", timeout=90)
    pid_text, ipc = line.split()
    return proc, int(pid_text), ipc


@pytest.mark.parametrize("cls", ["AnvilNode", pytest.param("GanacheNode", marks=pytest.mark.ganache)])
def test_killing_the_parent_with_sigkill_takes_the_node_down(cls: str) -> None:
    proc, node_pid, ipc = _start_in_subprocess(cls)
    try:
        assert is_running(node_pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        # no cleanup code ran in the parent: only the parent-death signal can stop the node
        assert wait_until_gone(node_pid, timeout=15), f"{cls} {node_pid} outlived its killed parent"
        assert group_members(node_pid) == []
    finally:
        kill_if_running(node_pid)
        if ipc != "-":  # SIGKILL gives no chance to remove the IPC folder; tidy up after the test
            shutil.rmtree(Path(ipc).parent, ignore_errors=True)


def _run_node_command(project: Path, *extra: str) -> None:
    """`pilotkit node` in the foreground, stopped with Ctrl-C (SIGINT): exits 130/0, the chain is gone."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "pilotkit", "node", "--project", str(project), *extra],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    node_pids: list[int] = []
    try:
        reader = LineReader(proc.stdout)
        reader.wait_for("Press Ctrl-C", timeout=120)
        output = "\n".join(reader.lines)
        assert "dev0   " + DEV0 in output
        node_pids = child_pids(proc.pid)
        assert len(node_pids) == 1, [cmdline(p) for p in node_pids]
        assert is_running(node_pids[0])
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) in (130, 0)
        rest = reader.rest()
        assert "interrupted; local chains were stopped" in rest
        assert "Traceback" not in rest
        assert wait_until_gone(node_pids[0], timeout=5)
        assert group_members(node_pids[0]) == []
        for line in reader.lines:
            if line.strip().startswith("ipc:"):
                assert not Path(line.split(":", 1)[1].strip()).parent.exists()
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        for pid in node_pids:
            kill_if_running(pid)


def test_ctrl_c_stops_pilotkit_node_and_its_anvil(sample_project: Path) -> None:
    _run_node_command(sample_project)


@pytest.mark.ganache
def test_ctrl_c_stops_pilotkit_node_and_its_ganache(sample_project: Path) -> None:
    _run_node_command(sample_project, "--network", "ganache")


# --- Ganache -------------------------------------------------------------------------------------


@pytest.mark.ganache
def test_ganache_lifecycle() -> None:
    with pytest.raises(RuntimeError, match="stop here"), GanacheNode() as node:
        assert node.process is not None and node.port is not None
        pid, port = node.process.pid, node.port
        assert node.ipc_path is None and node.endpoint == f"http://127.0.0.1:{port}"
        rpc = RawRpc(url=node.url)
        assert int(rpc.call("eth_chainId"), 16) == 1337
        assert rpc.call("eth_accounts")[0].lower() == DEV0.lower()
        assert listening_on_loopback_only(pid, port)
        raise RuntimeError("stop here")
    _assert_fully_stopped(pid)


# --- discovery -----------------------------------------------------------------------------------


def test_pilotkit_anvil_pointing_nowhere_says_how_to_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    missing = tmp_path / "no" / "anvil"
    monkeypatch.setenv("PILOTKIT_ANVIL", str(missing))
    with pytest.raises(ToolchainNotFound) as caught:
        AnvilNode()
    message = str(caught.value)
    assert str(missing) in message and "PILOTKIT_ANVIL" in message
    assert "npm install" in message and "foundryup" in message


def test_no_anvil_anywhere_says_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PILOTKIT_ANVIL", raising=False)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PILOTKIT_NODE_MODULES", str(tmp_path))
    with pytest.raises(ToolchainNotFound) as caught:
        find_anvil()
    assert "npm install" in str(caught.value) and "foundryup" in str(caught.value)


def test_ganache_discovery_errors_say_how_to_install(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PILOTKIT_GANACHE", str(tmp_path / "cli.js"))
    with pytest.raises(ToolchainNotFound, match="npm install"):
        find_ganache()
    monkeypatch.delenv("PILOTKIT_GANACHE")
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PILOTKIT_NODE_MODULES", str(tmp_path))
    with pytest.raises(ToolchainNotFound, match="npm install"):
        find_ganache()


def test_node_modules_anvil_is_the_native_binary_not_the_node_wrapper(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("PILOTKIT_ANVIL", raising=False)
    monkeypatch.setenv("PATH", f"{REPO / 'node_modules' / '.bin'}:/usr/bin:/bin")
    binary = find_anvil(project_root=REPO)
    assert "@foundry-rs" in binary.parts
    with binary.open("rb") as handle:
        assert handle.read(2) != b"#!", "stopping a Node wrapper would orphan the real anvil"
    command = find_ganache(project_root=REPO)
    assert Path(command[0]).name == "node" and command[1].endswith("cli.js")


def test_pilotkit_node_prints_its_funded_dev_accounts_and_keys() -> None:
    """`pilotkit node` prints each funded dev account with its key (local chains only, as Anvil does)."""
    import os
    import signal
    import sys

    from eth_account import Account

    from pilotkit.chain.rpc import RawRpc

    proc = subprocess.Popen([sys.executable, "-m", "pilotkit", "node", "--accounts", "3"], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, cwd=Path(__file__).resolve().parents[2],
                            env={k: v for k, v in os.environ.items() if not k.startswith("PILOTKIT_API_")})
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            if line.startswith("Press Ctrl-C"):
                break
        accounts = [line.split() for line in lines if line.split()[:1] in (["dev0"], ["dev1"], ["dev2"])]
        assert [a[0] for a in accounts] == ["dev0", "dev1", "dev2"], lines
        url = next(line.split()[1] for line in lines if line.strip().startswith("http:"))
        rpc = RawRpc(url=url)
        for _, address, _, _, key in accounts:
            assert Account.from_key(key).address == address  # the printed key is the account's
            assert int(rpc.call("eth_getBalance", [address, "latest"]), 16) > 0  # and it is funded
        assert any(line.strip().startswith("mnemonic:") for line in lines)
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=30)
