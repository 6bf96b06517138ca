"""Helpers for the eco-credit API tests: registration, a registered project, issued batches, request bodies."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from _domain_support import Service, register_contract
from eth_account import Account
from eth_utils import keccak

from pilotkit.accounts.dev import dev_accounts
from pilotkit.accounts.signer import Signer

VINTAGE_2021 = ("2021-01-01T00:00:00Z", "2021-12-31T00:00:00Z")
VINTAGE_2022 = ("2022-01-01T00:00:00Z", "2022-12-31T00:00:00Z")


def address_of(label: str) -> str:
    """A deterministic address nobody in the tests signs for (a credit buyer)."""
    return Account.from_key(keccak(text=f"pilotkit api credits test:{label}")).address


def outside_holder() -> Signer:
    """A dev account the service never signs with: a holder acting on chain with its own wallet."""
    return dev_accounts()[8]


def project_body(external_id: str | None = None, registry_code: str = "VERRA", **overrides: Any) -> dict[str, Any]:
    body = {"registry_code": registry_code, "external_id": external_id or f"VCS-{uuid.uuid4().hex[:8]}",
            "methodology": "VM0015", "country": "KE", "metadata_uri": "ipfs://bafy-project-doc",
            "metadata_hash": "0x" + keccak(text="project document").hex()}
    return {**body, **overrides}


def batch_body(project_id: int, serial_start: int, serial_end: int, vintage: tuple[str, str] = VINTAGE_2021,
               **overrides: Any) -> dict[str, Any]:
    body = {"project_id": project_id, "vintage_start": vintage[0], "vintage_end": vintage[1],
            "serial_start": serial_start, "serial_end": serial_end,
            "evidence_hash": "0x" + keccak(text=f"evidence {serial_start}").hex()}
    return {**body, **overrides}


@dataclass
class Credits:
    """A registered EcoCreditRegistry and keys for it."""

    service: Service
    registry: str
    admin: str
    verifier: str
    auditor: str

    @property
    def base(self) -> str:
        return f"/v1/credit-registries/{self.registry}"

    @property
    def contract(self) -> Any:
        return self.service.chain.contracts["EcoCreditRegistry"]

    @property
    def custody(self) -> str:
        return self.service.chain.signer("admin").address

    def post(self, path: str, token: str, body: Any = None, **kwargs: Any) -> Any:
        return self.service.post(f"{self.base}{path}", token, body, **kwargs)

    def get(self, path: str, token: str | None = None, **kwargs: Any) -> Any:
        return self.service.get(f"{self.base}{path}", token, **kwargs)

    def confirm(self, path: str, token: str, body: Any = None) -> dict[str, Any]:
        """POST and wait for the job to confirm; returns the 202 body."""
        response = self.post(path, token, body)
        self.service.confirmed(response, token)
        return response.json()

    def project(self, **kwargs: Any) -> int:
        """Register a project through the API; returns its id (read from the chain)."""
        self.confirm("/projects", self.admin, project_body(**kwargs))
        return int(self.contract.projectCount())

    def issue(self, project_id: int, serial_start: int, serial_end: int, **kwargs: Any) -> int:
        """Issue a batch through the API; returns its id."""
        self.confirm("/batches", self.verifier, batch_body(project_id, serial_start, serial_end, **kwargs))
        return int(self.contract.batchCount())


def setup_credits(service: Service) -> Credits:
    """Register the session chain's EcoCreditRegistry with a fresh admin key; keys for each credits scope."""
    admin = service.key("admin")
    registry = register_contract(service, "credits", "EcoCreditRegistry", "test credits", admin)
    return Credits(service, registry, admin, service.key("verifier"), service.key("auditor"))


def problem(response: Any, status: int, name: str | None = None) -> dict[str, Any]:
    """Assert a problem+json answer with `status` (and, for contract errors, the error's name)."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    body = response.json()
    if name is not None:
        assert body["title"] == name and body.get("contract_error", name) == name, body
    return body
