"""`pilotkit accounts new|import|list`: encrypted keystore accounts for real networks."""

from __future__ import annotations

import argparse


def add_arguments(parser: argparse.ArgumentParser) -> None:
    help_text = "keystore folder (default $PILOTKIT_KEYSTORE_DIR or ~/.pilotkit/keystore)"
    parser.add_argument("--keystore", default=None, help=help_text)  # before the action or after it
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--keystore", default=argparse.SUPPRESS, help=help_text)
    common.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS, help="log progress")
    actions = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    new = actions.add_parser("new", parents=[common], help="create a new random key, stored encrypted")
    new.add_argument("name")
    imported = actions.add_parser("import", parents=[common], help="store an existing private key encrypted (read "
                                                                   "hidden, or from $PILOTKIT_IMPORT_KEY)")
    imported.add_argument("name")
    actions.add_parser("list", parents=[common], help="list stored accounts (names and addresses only)")


def run(args: argparse.Namespace) -> int:
    import getpass
    import os
    import sys
    from pathlib import Path

    from pilotkit.accounts.keystore import Keystore, read_password
    from pilotkit.errors import AccountError

    keystore = Keystore(Path(args.keystore) if args.keystore else None)
    if args.action == "list":
        accounts = keystore.list()
        if not accounts:
            print(f"no accounts in {keystore.folder}; create one with `pilotkit accounts new NAME`")
        for account in accounts:
            print(f"{account.name:<24} {account.address}")
        return 0
    keystore.path_for(args.name)  # validate the name before asking for secrets
    if args.action == "import":
        key = os.environ.get("PILOTKIT_IMPORT_KEY")
        if not key:
            if not sys.stdin.isatty():
                raise AccountError("no key to import: set PILOTKIT_IMPORT_KEY or run in a terminal to be prompted")
            key = getpass.getpass("Private key (hex, input hidden): ")
        from eth_account import Account

        try:
            Account.from_key(key.strip())
        except (ValueError, TypeError):
            raise AccountError("that is not a valid private key (expected 32 bytes as hex)") from None
        stored = keystore.import_key(args.name, key, read_password(args.name, confirm=True))
    else:
        stored = keystore.new(args.name, read_password(args.name, confirm=True))
    print(f"stored {stored.name}: {stored.address} in {stored.path}")
    return 0
