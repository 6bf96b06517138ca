"""Accounts: keystore round trip, password sources, key-safe Signer, no private key in any output or log."""

from __future__ import annotations

import copy
import io
import logging
import os
import pickle
import secrets
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from pilotkit.accounts.dev import dev_accounts
from pilotkit.accounts.keystore import Keystore, password_env_var
from pilotkit.chain.connection import connect
from pilotkit.chain.rpc import RawRpc
from pilotkit.chain.transactions import TransactionFailed
from pilotkit.deploy.deployer import Deployer
from pilotkit.errors import AccountError
from pilotkit.project import Project

from ._support import DEV0

FAST_SCRYPT = 2**10


@pytest.fixture
def keystore(tmp_path: Path) -> Keystore:
    return Keystore(tmp_path / "keystore", scrypt_n=FAST_SCRYPT)


@pytest.fixture
def no_passwords(monkeypatch: pytest.MonkeyPatch) -> None:
    for var in [v for v in os.environ if v.startswith("PILOTKIT_PASSWORD_")] + ["PILOTKIT_KEYSTORE_PASSWORD"]:
        monkeypatch.delenv(var, raising=False)


def _fresh_key() -> str:
    return secrets.token_hex(32)


def _key_forms(key: str) -> list[str]:
    bare = key.lower().removeprefix("0x")
    return [bare, "0x" + bare]


def _assert_no_key(text: str, key: str) -> None:
    for form in _key_forms(key):
        assert form not in text.lower(), "the private key appeared in the output"


# --- keystore ------------------------------------------------------------------------------------


def test_new_import_list_unlock_round_trip(keystore: Keystore) -> None:
    key = _fresh_key()
    alice = keystore.new("alice", "alice-pw")
    bob = keystore.import_key("bob", "0x" + key, "bob-pw")
    assert bob.address == Account.from_key(key).address
    assert [(a.name, a.address) for a in keystore.list()] == [("alice", alice.address), ("bob", bob.address)]
    assert keystore.unlock("alice", "alice-pw").address == alice.address
    unlocked = keystore.unlock("bob", "bob-pw")
    assert unlocked.address == bob.address and unlocked.label == "bob"
    tx = {"to": DEV0, "value": 1, "gas": 21000, "gasPrice": 1, "nonce": 0, "chainId": 31337}
    signed = unlocked.sign_transaction(tx)
    assert Account.recover_transaction(signed.raw_transaction) == bob.address
    _assert_no_key(bob.path.read_text(), key)


def test_import_accepts_a_key_without_prefix_and_surrounding_whitespace(keystore: Keystore) -> None:
    key = _fresh_key()
    assert keystore.import_key("ops", f"  {key}\n", "pw").address == Account.from_key(key).address


def test_wrong_password_is_refused(keystore: Keystore) -> None:
    keystore.new("alice", "right")
    with pytest.raises(AccountError, match="wrong password for account 'alice'"):
        keystore.unlock("alice", "wrong")


def test_key_files_are_private(keystore: Keystore) -> None:
    stored = keystore.new("alice", "pw")
    assert stat.S_IMODE(stored.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(keystore.folder.stat().st_mode) & 0o077 == 0


@pytest.mark.parametrize("name", ["../evil", "a/b", "", ".hidden", "-dash", "x" * 65, "with space", "émile"])
def test_invalid_names_are_refused(keystore: Keystore, name: str) -> None:
    with pytest.raises(AccountError, match="is not allowed"):
        keystore.new(name, "pw")
    assert not keystore.folder.exists() or not any(keystore.folder.iterdir())


def test_existing_names_empty_passwords_and_bad_keys_are_refused(keystore: Keystore) -> None:
    keystore.new("alice", "pw")
    original = (keystore.folder / "alice.json").read_bytes()
    with pytest.raises(AccountError, match="already exists"):
        keystore.new("alice", "pw")
    assert (keystore.folder / "alice.json").read_bytes() == original
    with pytest.raises(AccountError, match="empty password"):
        keystore.new("bob", "")
    bad = "0x" + "zz" * 32
    with pytest.raises(AccountError, match="not a valid private key") as caught:
        keystore.import_key("carol", bad, "pw")
    assert "zz" * 32 not in str(caught.value)


def test_unknown_account_lists_the_known_ones(keystore: Keystore) -> None:
    keystore.new("alice", "pw")
    with pytest.raises(AccountError, match="no account named 'bob'.*known: alice"):
        keystore.unlock("bob", "pw")


def test_password_from_environment(
    keystore: Keystore, monkeypatch: pytest.MonkeyPatch, no_passwords: None
) -> None:
    stored = keystore.new("field-ops", "from-env")
    assert password_env_var("field-ops") == "PILOTKIT_PASSWORD_FIELD_OPS"
    monkeypatch.setenv("PILOTKIT_KEYSTORE_PASSWORD", "from-env")
    assert keystore.unlock("field-ops").address == stored.address
    monkeypatch.setenv("PILOTKIT_KEYSTORE_PASSWORD", "wrong")
    monkeypatch.setenv("PILOTKIT_PASSWORD_FIELD_OPS", "from-env")  # the per-account variable wins
    assert keystore.unlock("field-ops").address == stored.address


def test_no_terminal_and_no_password_names_the_variables(
    keystore: Keystore, monkeypatch: pytest.MonkeyPatch, no_passwords: None
) -> None:
    keystore.new("field-ops", "pw")
    monkeypatch.setattr(sys, "stdin", io.StringIO())
    with pytest.raises(AccountError) as caught:
        keystore.unlock("field-ops")
    assert "PILOTKIT_PASSWORD_FIELD_OPS" in str(caught.value) and "PILOTKIT_KEYSTORE_PASSWORD" in str(
        caught.value
    )


# --- Signer --------------------------------------------------------------------------------------


def test_signer_shows_only_its_address(keystore: Keystore) -> None:
    key = _fresh_key()
    keystore.import_key("ops", key, "pw")
    signer = keystore.unlock("ops", "pw")
    for text in (repr(signer), str(signer), f"{signer}", f"{signer!r}", repr([signer]), repr({"s": signer})):
        assert signer.address in text
        _assert_no_key(text, key)
    assert not hasattr(signer, "__dict__")


@pytest.mark.parametrize(
    "clone", [pickle.dumps, copy.copy, copy.deepcopy], ids=["pickle", "copy", "deepcopy"]
)
def test_signers_cannot_be_serialised_or_copied(clone: Any) -> None:
    with pytest.raises(TypeError, match="cannot be pickled or copied"):
        clone(dev_accounts(1)[0])


def test_dev_accounts_are_the_well_known_deterministic_ones(anvil: Any) -> None:
    dev = dev_accounts()
    assert len(dev) == 10 and [s.label for s in dev[:3]] == ["dev0", "dev1", "dev2"]
    assert dev[0].address == DEV0
    assert dev[1].address == "0x70997970C51812dc3A010C7d01b50e0d17dc79C8"
    assert dev_accounts(2) == dev[:2]
    funded = RawRpc(url=anvil.url).call("eth_accounts")
    assert [a.lower() for a in funded] == [s.address.lower() for s in dev]


# --- no key in any log ---------------------------------------------------------------------------


def _cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pilotkit", *args],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, **env},
        stdin=subprocess.DEVNULL,
    )


def test_cli_import_and_list_never_print_the_key(tmp_path: Path, no_passwords: None) -> None:
    key = _fresh_key()
    folder = tmp_path / "keystore"
    env = {"PILOTKIT_IMPORT_KEY": "0x" + key, "PILOTKIT_KEYSTORE_PASSWORD": "correct horse"}
    done = _cli("-v", "accounts", "--keystore", str(folder), "import", "ops", env=env)
    assert done.returncode == 0, done.stderr
    address = Account.from_key(key).address
    assert f"stored ops: {address}" in done.stdout
    listed = _cli("-v", "accounts", "--keystore", str(folder), "list", env=env)
    assert address in listed.stdout
    refused = _cli(
        "-v",
        "accounts",
        "--keystore",
        str(folder),
        "import",
        "ops2",
        env={**env, "PILOTKIT_IMPORT_KEY": key[:-2] + "zz"},
    )
    assert refused.returncode == 1 and "not a valid private key" in refused.stderr
    for output in (done.stdout, done.stderr, listed.stdout, listed.stderr, refused.stdout, refused.stderr):
        _assert_no_key(output, key)
        _assert_no_key(output, key[:-2] + "zz")
    assert Keystore(folder).unlock("ops", "correct horse").address == address


def test_cli_new_without_terminal_or_password_names_the_variables(tmp_path: Path, no_passwords: None) -> None:
    done = _cli("accounts", "--keystore", str(tmp_path), "new", "field-ops", env={})
    assert done.returncode == 1
    assert "PILOTKIT_PASSWORD_FIELD_OPS" in done.stderr and "PILOTKIT_KEYSTORE_PASSWORD" in done.stderr
    assert not list(tmp_path.iterdir())


def test_deploying_with_a_keystore_account_logs_no_key(
    compiled_project: Path,
    anvil: Any,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    key = _fresh_key()
    keystore = Keystore(tmp_path / "keystore", scrypt_n=FAST_SCRYPT)
    keystore.import_key("ops", key, "pw")
    caplog.set_level(logging.DEBUG)  # root: every logger that propagates, web3's included
    signer = keystore.unlock("ops", "pw")
    RawRpc(url=anvil.url).call("anvil_setBalance", [signer.address, hex(10**20)])
    project = Project.load(compiled_project)
    with connect(project.config.network("local"), node=anvil) as connection:
        deployer = Deployer(project, connection, signer)
        vault = deployer.deploy("Vault", "keyless")
        vault.deposit(3)
        with pytest.raises(TransactionFailed) as failed:
            vault.withdraw(4, gas=200_000)
    assert caplog.records, "nothing was logged at DEBUG: the check would be vacuous"
    logged = "\n".join(f"{r.name} {r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records)
    captured = capsys.readouterr()
    record = (compiled_project / "deployments" / "local" / "local-31337.json").read_text()
    for text in (
        logged,
        caplog.text,
        captured.out,
        captured.err,
        record,
        str(failed.value),
        repr(failed.value),
    ):
        _assert_no_key(text, key)


def test_cli_deploy_with_a_keystore_account_prints_no_key(
    compiled_project: Path, anvil: Any, tmp_path: Path, no_passwords: None
) -> None:
    key = _fresh_key()
    folder = tmp_path / "keystore"
    Keystore(folder, scrypt_n=FAST_SCRYPT).import_key("ops", key, "pw")
    address = Account.from_key(key).address
    RawRpc(url=anvil.url).call("anvil_setBalance", [address, hex(10**20)])
    config = compiled_project / "pilotkit.toml"
    config.write_text(
        config.read_text() + '\n[networks.devnet]\nkind = "rpc"\nurl = "${PK_DEVNET_URL}"\nchain_id = 31337\n'
    )
    env = {"PILOTKIT_KEYSTORE_DIR": str(folder), "PILOTKIT_PASSWORD_OPS": "pw", "PK_DEVNET_URL": anvil.url}
    done = _cli(
        "-v",
        "deploy",
        "Counter",
        "4",
        "--network",
        "devnet",
        "--account",
        "ops",
        "--project",
        str(compiled_project),
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "Counter: 0x" in done.stdout and "INFO pilotkit.deploy: deployed Counter" in done.stderr
    _assert_no_key(done.stdout + done.stderr, key)
    record = (compiled_project / "deployments" / "31337.json").read_text()
    assert address in record
    _assert_no_key(record, key)


def test_shared_options_go_before_or_after_the_action(tmp_path: Path) -> None:
    env = {"PILOTKIT_IMPORT_KEY": "0x" + "59" * 32, "PILOTKIT_PASSWORD_OPS": "correct horse battery staple"}
    folder = tmp_path / "keys"
    assert _cli("accounts", "import", "ops", "--keystore", str(folder), env=env).returncode == 0
    before = _cli("accounts", "--keystore", str(folder), "list", env=env)
    after = _cli("accounts", "list", "--keystore", str(folder), "-v", env=env)  # as the README writes it
    assert after.returncode == 0, after.stderr
    assert before.stdout == after.stdout and before.stdout.startswith("ops ")
