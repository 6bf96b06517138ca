"""`pilotkit roles show|plan|grant` against the session's Anvil: what is missing, dry run, grant, resume."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from _domain_support import REPO, ServiceChain, register_contract, running_service, sqlite_url
from pilotkit_backend.platform.bootstrap import role_id

from pilotkit.chain.transactions import TransactionSender
from pilotkit.cli import main
from pilotkit.deploy.records import DeploymentRecord, record_path
from pilotkit.project import Project


@pytest.fixture
def registered(service_chain: ServiceChain, tmp_path: Path) -> Iterator[str]:
    """A service database with the programme and the certificate registry registered; pauser and issuer roles
    taken away on chain (reverted afterwards)."""
    snapshot = service_chain.control.snapshot()
    url = sqlite_url(tmp_path)
    try:
        with running_service(service_chain, url, run_workers=False) as service:
            register_contract(service, "programme", "CashProgramme", "cash")
            register_contract(service, "certificates", "CertificateRegistry", "certs")
        programme = service_chain.contracts["CashProgramme"]
        programme.revokeRole(role_id("PAUSER_ROLE"), service_chain.signer("pauser").address)
        registry = service_chain.contracts["CertificateRegistry"]
        registry.revokeRole(role_id("ISSUER_ROLE"), service_chain.signer("issuer").address)
        yield url
    finally:
        service_chain.control.revert(snapshot)
        record = _journal_record(service_chain)
        record.extra.pop("role_grants", None)
        record.save()


def _journal_record(chain: ServiceChain) -> DeploymentRecord:
    project = Project.load(REPO)
    return DeploymentRecord(record_path(project.config.deployments_dir, chain.chain_id, "local", True),
                            chain.chain_id, "local")


def _roles(chain: ServiceChain, url: str, *args: str) -> list[str]:
    return ["roles", *args, "--network", "local", "--rpc", chain.node.url, "--database-url", url,
            "--project", str(REPO)]


def test_show_plan_grant(service_chain: ServiceChain, registered: str, capsys: pytest.CaptureFixture[str],
                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PILOTKIT_ACCOUNT", raising=False)
    assert main(_roles(service_chain, registered, "show")) == 0
    shown = capsys.readouterr().out
    pauser, issuer = service_chain.signer("pauser").address, service_chain.signer("issuer").address
    assert shown.count("MISSING") == 2 and re.search(rf"cash\s+PAUSER_ROLE\s+pauser\s+{pauser}\s+MISSING", shown)
    assert "DISBURSER_ROLE" in shown and "held" in shown
    assert main(_roles(service_chain, registered, "plan")) == 0
    assert "plan: 2 grant(s)" in capsys.readouterr().out
    programme = service_chain.contracts["CashProgramme"]
    assert not programme.hasRole(role_id("PAUSER_ROLE"), pauser)  # the plan sent nothing

    original = TransactionSender.broadcast
    calls: list[str] = []

    def crash_once(self: TransactionSender, signer: object, tx_hash: str, raw: bytes) -> None:
        calls.append(tx_hash)
        if len(calls) == 1:
            raise KeyboardInterrupt  # the process dies after journaling, before broadcasting
        original(self, signer, tx_hash, raw)  # type: ignore[arg-type]

    monkeypatch.setattr(TransactionSender, "broadcast", crash_once)
    assert main(_roles(service_chain, registered, "grant")) == 130
    journal = _journal_record(service_chain).extra["role_grants"]
    assert len(journal["pending"]) == 1
    journaled = next(iter(journal["pending"].values()))["tx_hash"]
    capsys.readouterr()
    assert main(_roles(service_chain, registered, "grant")) == 0
    out = capsys.readouterr().out
    assert journaled in out and "2 grant(s) sent" in out and calls[1] == journaled  # resumed, not sent anew
    assert programme.hasRole(role_id("PAUSER_ROLE"), pauser)
    registry = service_chain.contracts["CertificateRegistry"]
    assert registry.hasRole(role_id("ISSUER_ROLE"), issuer)  # by accreditation (with its public name)
    journal = _journal_record(service_chain).extra["role_grants"]
    assert journal["pending"] == {} and len(journal["done"]) == 2
    assert "0x" + "0" * 64 not in json.dumps(journal)
    assert main(_roles(service_chain, registered, "grant")) == 0  # idempotent
    assert "nothing to grant" in capsys.readouterr().out


def test_grant_needs_the_admin(service_chain: ServiceChain, registered: str, capsys: pytest.CaptureFixture[str]
                               ) -> None:
    assert main([*_roles(service_chain, registered, "grant"), "--account", "dev7"]) == 1
    assert "is not the admin of" in capsys.readouterr().err
