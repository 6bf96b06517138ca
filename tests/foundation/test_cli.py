"""The `pilotkit` command line, run as users run it: a separate process."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import pilotkit
from pilotkit.cli import COMMANDS, main

SECRET = "k3y-that-must-not-print"


def _pilotkit(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None, python_flags: tuple[str, ...] = ()
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *python_flags, "-m", "pilotkit", *args],
        capture_output=True,
        text=True,
        timeout=300,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        stdin=subprocess.DEVNULL,
    )


def _flat(text: str) -> str:
    return " ".join(text.split())


def test_help_lists_every_command_with_its_summary() -> None:
    done = _pilotkit("--help")
    assert done.returncode == 0 and done.stderr == ""
    flat = _flat(done.stdout)
    for name, (_, summary) in COMMANDS.items():
        assert re.search(rf"\b{name}\b", done.stdout), name
        assert _flat(summary) in flat, f"help for {name} missing"
    assert _pilotkit().stdout == done.stdout  # no command: the same help


@pytest.mark.parametrize("command", sorted(COMMANDS))
def test_every_command_has_working_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main([command, "--help"])
    assert exited.value.code == 0
    out = capsys.readouterr().out
    assert out.startswith(f"usage: pilotkit {command}")
    assert _flat(COMMANDS[command][1]) in _flat(out)


def test_version() -> None:
    done = _pilotkit("--version")
    assert (done.returncode, done.stdout) == (0, f"pilotkit {pilotkit.__version__}\n")


@pytest.mark.parametrize(
    "args",
    [("--help",), ("--version",), ("networks",), ("compile", "--quiet")],
    ids=["help", "version", "networks", "compile-cached"],
)
def test_light_commands_do_not_import_web3(args: tuple[str, ...], compiled_project: Path) -> None:
    extra = ("--project", str(compiled_project)) if args[0] in ("networks", "compile") else ()
    done = _pilotkit(*args, *extra, python_flags=("-X", "importtime"))
    assert done.returncode == 0, done.stderr
    imported = {
        line.rsplit("|", 1)[-1].strip().split(".")[0]
        for line in done.stderr.splitlines()
        if line.startswith("import time:")
    }
    assert "pilotkit" in imported
    assert not imported & {"web3", "eth_account", "eth_abi", "requests", "aiohttp"}, sorted(imported)


def test_networks_shows_configuration_without_expanding_secrets(sample_project: Path) -> None:
    config = sample_project / "pilotkit.toml"
    config.write_text(
        config.read_text()
        + textwrap.dedent("""
        [networks.sepolia]
        kind = "rpc"
        url = "https://sepolia.example.org/v3/${PK_SEPOLIA_KEY}"
        chain_id = 11155111
        evm_version = "cancun"
        confirmations = 2
    """)
    )
    done = _pilotkit("networks", "--project", str(sample_project), env={"PK_SEPOLIA_KEY": SECRET})
    assert done.returncode == 0, done.stderr
    assert SECRET not in done.stdout + done.stderr
    rows = {line.split()[0]: line.split() for line in done.stdout.splitlines()[2:]}
    assert set(rows) == {"ganache", "local", "sepolia"}
    assert rows["local"][1:4] == ["anvil", "31337", "prague"]
    assert rows["ganache"][1:4] == ["ganache", "1337", "shanghai"]
    assert rows["sepolia"][1:5] == ["rpc", "11155111", "cancun", "2"]
    assert "https://sepolia.example.org/v3/${PK_SEPOLIA_KEY}" in done.stdout


def test_deploy_prints_the_address_and_writes_the_record(compiled_project: Path) -> None:
    done = _pilotkit("deploy", "Counter", "5", "--project", str(compiled_project))
    assert done.returncode == 0, done.stderr
    match = re.search(
        r"^Counter: (0x[0-9a-fA-F]{40}) \(tx (0x[0-9a-f]{64}), block (\d+)\) on local \[chain 31337\]$",
        done.stdout,
        re.M,
    )
    assert match, done.stdout
    record = compiled_project / "deployments" / "local" / "local-31337.json"
    assert f"record: {record}" in done.stdout
    entry = json.loads(record.read_text())["contracts"]["Counter"]
    assert (entry["address"], entry["tx_hash"], entry["block"]) == (match[1], match[2], int(match[3]))
    assert entry["constructor_args"] == [5]


def test_deploy_with_alias_and_a_string_argument(compiled_project: Path) -> None:
    done = _pilotkit(
        "deploy", "Vault", "district 7", "--alias", "vault-d7", "--project", str(compiled_project)
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("vault-d7: 0x")
    record = json.loads((compiled_project / "deployments" / "local" / "local-31337.json").read_text())
    assert record["contracts"]["vault-d7"]["constructor_args"] == ["district 7"]


def test_run_calls_main_with_the_session(compiled_project: Path, tmp_path: Path) -> None:
    script = tmp_path / "deploy_counter.py"
    script.write_text(
        textwrap.dedent("""
        def main(session):
            counter = session.deploy("Counter", 11)
            counter.increment()
            assert session.contract("Counter").address == counter.address
            print(f"script ran on {session.network} chain {session.chain_id} as {session.signer.label}: "
                  f"{counter.address} count={counter.count()}")
    """)
    )
    done = _pilotkit("run", str(script), "--project", str(compiled_project))
    assert done.returncode == 0, done.stderr
    match = re.search(r"script ran on local chain 31337 as dev0: (0x[0-9a-fA-F]{40}) count=12", done.stdout)
    assert match, done.stdout + done.stderr
    record = json.loads((compiled_project / "deployments" / "local" / "local-31337.json").read_text())
    assert record["contracts"]["Counter"]["address"] == match[1]


def test_run_without_a_session_parameter_uses_current_and_returns_its_exit_code(
    compiled_project: Path, tmp_path: Path
) -> None:
    script = tmp_path / "report.py"
    script.write_text(
        textwrap.dedent("""
        from pilotkit.runtime import current

        def main():
            session = current()
            print(f"accounts={len(session.accounts)} signer={session.signer.address}")
            return 3
    """)
    )
    done = _pilotkit("run", str(script), "--account", "dev2", "--project", str(compiled_project))
    assert done.returncode == 3, done.stderr
    assert "accounts=10 signer=0x3C44CdDdB6a900fa2b585dd299e03d12FA4293BC" in done.stdout


@pytest.mark.parametrize("command", [("deploy", "Counter", "1"), ("compile",), ("node",)])
def test_unknown_network_exits_1_listing_the_configured_ones(
    command: tuple[str, ...], sample_project: Path
) -> None:
    done = _pilotkit(*command, "--network", "mainnet", "--project", str(sample_project))
    assert done.returncode == 1
    assert (
        f"pilotkit {command[0]}: error: unknown network 'mainnet'; configured networks: ganache, local"
        in done.stderr
    )
    assert "Traceback" not in done.stderr
    assert not (sample_project / "deployments").exists()


def test_errors_are_one_line_without_traceback(tmp_path: Path) -> None:
    outside = _pilotkit("compile", cwd=tmp_path)
    assert outside.returncode == 1 and "no pilotkit.toml found" in outside.stderr
    missing = _pilotkit("run", str(tmp_path / "nope.py"), cwd=tmp_path)
    assert missing.returncode == 1 and "nope.py does not exist" in missing.stderr
    for done in (outside, missing):
        assert "Traceback" not in done.stderr and len(done.stderr.strip().splitlines()) == 1
