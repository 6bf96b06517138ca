"""Encrypted keystore files (Web3 Secret Storage, scrypt) for accounts used on real networks."""

from __future__ import annotations

import getpass
import json
import os
import re
import sys
from dataclasses import dataclass
from pathlib import Path

from pilotkit.accounts.signer import Signer
from pilotkit.errors import AccountError

KEYSTORE_DIR_ENV = "PILOTKIT_KEYSTORE_DIR"
PASSWORD_ENV = "PILOTKIT_KEYSTORE_PASSWORD"
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


@dataclass(frozen=True)
class StoredAccount:
    """A keystore entry as listed: its name, address and file (never its key)."""

    name: str
    address: str
    path: Path


def default_keystore_dir() -> Path:
    """$PILOTKIT_KEYSTORE_DIR, else ~/.pilotkit/keystore."""
    return Path(os.environ.get(KEYSTORE_DIR_ENV) or Path.home() / ".pilotkit" / "keystore")


def password_env_var(name: str) -> str:
    """The per-account password variable, e.g. PILOTKIT_PASSWORD_FIELD_OPS for `field-ops`."""
    return "PILOTKIT_PASSWORD_" + re.sub(r"[^A-Za-z0-9]", "_", name).upper()


class Keystore:
    """A folder of encrypted key files, one per named account."""

    def __init__(self, folder: Path | None = None, scrypt_n: int | None = None) -> None:
        self.folder = folder or default_keystore_dir()
        self.scrypt_n = scrypt_n

    def path_for(self, name: str) -> Path:
        if not _NAME.fullmatch(name):
            raise AccountError(
                f"account name {name!r} is not allowed: use 1-64 letters, digits, '.', '_' or '-'"
            )
        return self.folder / f"{name}.json"

    def new(self, name: str, password: str) -> StoredAccount:
        """Create a fresh random key and store it encrypted."""
        from eth_account import Account

        account = Account.create()
        return self._store(name, account.key, password)

    def import_key(self, name: str, private_key: str, password: str) -> StoredAccount:
        """Store an existing private key (hex) encrypted. The key is validated, never echoed."""
        from eth_account import Account

        cleaned = private_key.strip()
        try:
            account = Account.from_key(cleaned)
        except (ValueError, TypeError):
            raise AccountError("that is not a valid private key (expected 32 bytes as hex)") from None
        return self._store(name, account.key, password)

    def list(self) -> list[StoredAccount]:
        """Every stored account, sorted by name."""
        if not self.folder.is_dir():
            return []
        found = []
        for path in sorted(self.folder.glob("*.json")):
            try:
                address = json.loads(path.read_text())["address"]
            except (OSError, ValueError, KeyError):
                continue
            found.append(StoredAccount(path.stem, _checksum(address), path))
        return found

    def unlock(self, name: str, password: str | None = None) -> Signer:
        """Decrypt an account. Without a password: its env var, $PILOTKIT_KEYSTORE_PASSWORD, or a prompt."""
        from eth_account import Account

        path = self.path_for(name)
        if not path.is_file():
            known = ", ".join(a.name for a in self.list()) or "none"
            raise AccountError(f"no account named '{name}' in {self.folder}; known: {known}")
        secret = password if password is not None else read_password(name, confirm=False)
        try:
            key = Account.decrypt(json.loads(path.read_text()), secret)
        except ValueError:
            raise AccountError(f"wrong password for account '{name}'") from None
        return Signer(Account.from_key(key), name)

    def _store(self, name: str, key: bytes, password: str) -> StoredAccount:
        from eth_account import Account

        if not password:
            raise AccountError("refusing to store a key with an empty password")
        path = self.path_for(name)
        if path.exists():
            raise AccountError(f"account '{name}' already exists at {path}; choose another name")
        kwargs = {"iterations": self.scrypt_n} if self.scrypt_n else {}
        encrypted = Account.encrypt(key, password, kdf="scrypt", **kwargs)
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            json.dump(encrypted, handle)
        return StoredAccount(name, _checksum(encrypted["address"]), path)


def read_password(name: str, confirm: bool) -> str:
    """A keystore password from the account's env var, $PILOTKIT_KEYSTORE_PASSWORD, or a hidden prompt."""
    for var in (password_env_var(name), PASSWORD_ENV):
        value = os.environ.get(var)
        if value:
            return value
    if not sys.stdin.isatty():
        raise AccountError(
            f"no password for account '{name}': set {password_env_var(name)} or {PASSWORD_ENV}, "
            "or run in a terminal to be prompted"
        )
    first = getpass.getpass(f"Password for account '{name}': ")
    if confirm and getpass.getpass("Repeat the password: ") != first:
        raise AccountError("the two passwords differ; nothing was stored")
    return first


def _checksum(address: str) -> str:
    from eth_utils import to_checksum_address

    return to_checksum_address(address if address.startswith("0x") else "0x" + address)
