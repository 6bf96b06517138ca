"""`pilotkit roles show|plan|grant`: the contract roles the service's signers need, who holds them, what is missing.

Registered contracts come from the service database (`--database-url`, as `pilotkit serve` resolves it); the
roles each needs are those its pilot kind declares (`ContractType.roles`), held by the signer of each service
role (`PILOTKIT_API_ROLE_SIGNERS`; on local chains one dev account per role). `grant` sends the missing grants
from the contracts' admin account (`--account`, as `pilotkit deploy`; on local chains dev0): idempotent (a
held role is never granted again), confirmed on real networks (`--yes` skips the prompt), and journaled like
deployments: each transaction is signed and recorded in the network's deployment record before it is
broadcast, so an interrupted run resumes the same transaction instead of sending a second one.
"""

from __future__ import annotations

import argparse
import sys
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pilotkit.cli._common import add_account, add_network, add_project
from pilotkit.errors import PilotkitError

if TYPE_CHECKING:
    from pilotkit_backend.platform.chain_context import ChainContext
    from pilotkit_backend.platform.signers import RoleState

    from pilotkit.accounts.signer import Signer
    from pilotkit.deploy.records import DeploymentRecord

JOURNAL = "role_grants"  # key of the deployment record's `extra`: {"pending": {...}, "done": {...}}


class RolesError(PilotkitError):
    """The roles could not be read or granted."""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("action", nargs="?", default="plan", choices=("show", "plan", "grant"),
                        help="show: every role and its holder; plan (default): also what grant would send, "
                        "sending nothing; grant: send the missing grants")
    add_network(parser)
    add_account(parser)
    add_project(parser)
    parser.add_argument("--rpc", default=None, help="endpoint of the running node (default: the network's url; "
                        "local chains need it)")
    parser.add_argument("--database-url", default=None,
                        help="service database (default: PILOTKIT_API_DATABASE_URL or sqlite:///pilotkit-api.db)")
    parser.add_argument("--yes", "-y", action="store_true", help="grant without asking (real networks ask)")
    parser.add_argument("--issuer-name", default="pilotkit issuer",
                        help="public issuer name of a certificate registry's accreditation (shown to verifiers)")


def run(args: argparse.Namespace) -> int:
    from pathlib import Path

    try:
        from pilotkit_backend.core.config import Settings
        from pilotkit_backend.db.engine import make_engine, make_session_factory
        from pilotkit_backend.db.migrate import upgrade_database
        from pilotkit_backend.platform.runtime import open_chain
        from pilotkit_backend.platform.signers import registered, role_status
        from sqlalchemy.exc import SQLAlchemyError
    except ImportError as exc:  # pragma: no cover - depends on the installation
        raise RolesError("`pilotkit roles` needs the server extra: pip install 'pilotkit[server]'") from exc

    from pilotkit.project import Project

    overrides: dict[str, object] = {}
    for name, value in (("database_url", args.database_url), ("network", args.network), ("rpc_url", args.rpc),
                        ("project_root", Path(args.project) if args.project else None)):
        if value:
            overrides[name] = value
    settings = Settings(**overrides)  # type: ignore[arg-type]
    project = Project.load(args.project)
    network = project.config.network(settings.network)
    if network.is_local and not settings.rpc_url:
        raise RolesError(f"'{network.name}' is a local chain: pass --rpc of the running node")
    chain = open_chain(settings, project)
    try:
        try:
            upgrade_database(settings.database_url)
            engine = make_engine(settings.database_url)
            try:
                with make_session_factory(engine)() as session:
                    rows = registered(session, chain)
            finally:
                engine.dispose()
        except SQLAlchemyError as exc:
            raise RolesError(f"cannot read the service database ({type(exc).__name__}); check --database-url") \
                from None
        if not rows:
            print(f"no contracts registered for chain {chain.chain_id} in this database; register them with "
                  "POST /v1/contracts first")
            return 0
        states = role_status(chain, rows)
        _print_states(states)
        missing = [s for s in states if not s.held]
        if args.action == "show":
            return 0
        if not missing:
            print("nothing to grant: every role is held")
            return 0
        if args.action == "plan":
            print(f"plan: {len(missing)} grant(s) to send from the contracts' admin account; nothing was sent "
                  f"(run `pilotkit roles grant --network {network.name}` to send them)")
            return 0
        return _grant(args, project, chain, missing)
    finally:
        chain.connection.close()


def _print_states(states: list[RoleState]) -> None:
    from pilotkit.cli._common import print_table

    print_table([[f"{s.kind} {s.contract}", s.label, s.role, s.signing_role, s.holder,
                  "held" if s.held else "MISSING"] for s in states],
                ["contract", "label", "role", "service role", "signer", "status"])


def _grant(args: argparse.Namespace, project: Any, chain: ChainContext, missing: list[RoleState]) -> int:
    from pilotkit.accounts.dev import dev_accounts
    from pilotkit.deploy.records import DeploymentRecord, record_path
    from pilotkit.runtime import resolve_signer

    connection = chain.connection
    admin = resolve_signer(connection, args.account, dev_accounts() if connection.is_local else [])
    for contract in sorted({s.contract for s in missing}):
        kind = next(s.kind for s in missing if s.contract == contract)
        if not _has_role(chain, contract, kind, b"\x00" * 32, admin.address):
            raise RolesError(f"{admin.address} is not the admin of {kind} {contract}: choose the contracts' admin "
                             "account with --account")
    if not connection.is_local and not args.yes:
        answer = input(f"grant {len(missing)} role(s) from {admin.address} on '{connection.network.name}' "
                       f"(chain {chain.chain_id})? [y/N] ")
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing sent")
            return 1
    network = connection.network
    record = DeploymentRecord(record_path(project.config.deployments_dir, chain.chain_id, network.name,
                                          network.is_local), chain.chain_id, network.name)
    sent = 0
    for state in missing:
        tx_hash = _send_grant(chain, record, admin, state, args.issuer_name)
        if tx_hash is not None:
            sent += 1
            print(f"granted {state.role} on {state.kind} {state.contract} to {state.holder} (tx {tx_hash})")
    print(f"{sent} grant(s) sent; journal: {record.path}")
    return 0


def _has_role(chain: ChainContext, contract: str, kind: str, role: bytes, address: str) -> bool:
    from pilotkit_backend.platform import contract_types

    return bool(chain.call(contract, contract_types.get(kind).contract_name, "hasRole", role, address))


class _Encoder:
    """Stands in for a contract handle: a kind's `ContractType.grant` calls a function, this records its calldata."""

    def __init__(self, chain: ChainContext, contract_name: str) -> None:
        self._chain, self._contract, self.data = chain, contract_name, None

    def __getattr__(self, function: str) -> Any:
        def encode(*args: Any) -> None:
            self.data = self._chain.encode(self._contract, function, *args)

        return encode


def _calldata(chain: ChainContext, state: RoleState, issuer_name: str) -> str:
    from pilotkit_backend.platform import contract_types
    from pilotkit_backend.platform.bootstrap import role_id

    declared = contract_types.get(state.kind)
    encoder = _Encoder(chain, declared.contract_name)
    if declared.grant is not None and declared.grant(encoder, state.role, state.holder, issuer_name) \
            and encoder.data is not None:
        return str(encoder.data)
    return chain.encode(declared.contract_name, "grantRole", role_id(state.role), state.holder)


def _send_grant(chain: ChainContext, record: DeploymentRecord, admin: Signer, state: RoleState,
                issuer_name: str) -> str | None:
    """Grant one role, resuming a journaled transaction for it if there is one; the tx hash, or None if held."""
    from pilotkit_backend.platform.bootstrap import role_id

    from pilotkit.chain.transactions import TransactionSender

    sender = TransactionSender(chain.connection)
    journal = record.extra.setdefault(JOURNAL, {"pending": {}, "done": {}})
    entry_id = f"{state.contract}:{state.role}:{state.holder}"
    pending = journal["pending"].get(entry_id)
    if pending is not None:
        tx_hash = pending["tx_hash"]
        if sender.find_receipt(tx_hash) is None:
            mined = int(chain.web3.eth.get_transaction_count(pending["sender"], "latest"))
            if mined > int(pending["nonce"]):  # its nonce went to another transaction: start over below
                journal["pending"].pop(entry_id)
                record.save()
                pending = None
            else:
                print(f"resuming the journaled grant of {state.role} on {state.contract} ({tx_hash})",
                      file=sys.stderr)
                sender.broadcast(admin, tx_hash, bytes.fromhex(pending["raw_transaction"][2:]))
    if pending is None:
        if _has_role(chain, state.contract, state.kind, role_id(state.role), state.holder):
            return None
        data = _calldata(chain, state, issuer_name)
        try:
            prepared = sender.prepare(admin, {"to": state.contract, "data": data})
        except Exception as exc:
            raise RolesError(f"granting {state.role} on {state.contract} would fail ({type(exc).__name__})") \
                from None
        tx_hash, raw = sender.sign(admin, prepared)
        journal["pending"][entry_id] = {"tx_hash": tx_hash, "nonce": int(prepared["nonce"]), "sender": admin.address,
                                        "raw_transaction": "0x" + raw.hex()}
        record.save()  # journaled before it is broadcast
        sender.broadcast(admin, tx_hash, raw)
    receipt = sender.wait(tx_hash)
    journal["pending"].pop(entry_id, None)
    if int(receipt["status"]) != 1:
        record.save()
        raise RolesError(f"granting {state.role} on {state.contract} failed in {tx_hash}")
    journal["done"][entry_id] = {"tx_hash": tx_hash, "block": int(receipt["blockNumber"]),
                                 "at": datetime.now(UTC).isoformat(timespec="seconds")}
    record.save()
    return tx_hash
