"""Helpers for the certificate API tests: register the registry, make document hashes, issue and wait."""

from __future__ import annotations

import hashlib
from typing import Any

from _domain_support import Service, register_contract

ZERO32 = "0x" + "00" * 32


def registry_address(service: Service) -> str:
    return service.chain.address("CertificateRegistry")


def register(service: Service, admin: str | None = None) -> str:
    """Register the session's CertificateRegistry through the API; returns its address."""
    return register_contract(service, "certificates", "CertificateRegistry", "diplomas", admin)


def doc(label: str) -> str:
    """A document hash as the service computes it for a file: SHA-256 of the bytes."""
    return "0x" + hashlib.sha256(label.encode()).hexdigest()


def base(registry: str) -> str:
    return f"/v1/certificate-registries/{registry}"


def public(registry: str) -> str:
    return f"/v1/public/certificate-registries/{registry}"


def issue(service: Service, token: str, registry: str, doc_hash: str, **fields: Any) -> dict[str, Any]:
    """Issue one certificate and wait until its job is confirmed; returns the 202 body."""
    body = {"doc_hash": doc_hash, "schema_id": "diploma:v1", **fields}
    response = service.post(f"{base(registry)}/certificates", token, body)
    service.confirmed(response, token)
    return response.json()


def issue_batch(service: Service, token: str, registry: str, hashes: list[str], **fields: Any) -> dict[str, Any]:
    response = service.post(f"{base(registry)}/batches", token, {"doc_hashes": hashes, "schema_id": "diploma:v1",
                                                                 **fields})
    service.confirmed(response, token)
    return response.json()


def act(service: Service, token: str, registry: str, doc_hash: str, action: str, body: Any = None) -> None:
    """A document status change, waited for until confirmed."""
    response = service.post(f"{base(registry)}/certificates/{doc_hash}/{action}", token, body)
    service.confirmed(response, token)


def verdict(service: Service, registry: str, doc_hash: str, **params: Any) -> dict[str, Any]:
    response = service.get(f"{public(registry)}/certificates/{doc_hash}", None, params=params)
    assert response.status_code == 200, response.text
    return response.json()
