"""Schemathesis over the whole API on a real chain: no generated request produces a 5xx.

Every operation of the OpenAPI schema is fuzzed with a key holding every scope, against a service whose
contracts are registered. Path parameters that name a contract are, for half of the cases, replaced by a
registered address (so the fuzzing reaches the handlers, not only the 404 for unknown objects).
"""

from __future__ import annotations

import hashlib

import pytest
import schemathesis
from _domain_support import Service
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

MAX_EXAMPLES = 12
ALL_SCOPES = ("registrar", "disburser", "approver", "merchant", "issuer", "verifier", "auditor", "admin")
KIND_OF = {"CashProgramme": "programme", "VoucherProgramme": "programme", "EcoCreditRegistry": "credits",
           "CertificateRegistry": "certificates"}
PARAMETER_ALIASES = {"programme": ["CashProgramme", "VoucherProgramme"], "registry": ["EcoCreditRegistry",
                                                                                      "CertificateRegistry"],
                     "address": list(KIND_OF)}

# Every response is checked against the OpenAPI document: documented status, media type, body schema, headers.
DOCUMENT_CHECKS = [status_code_conformance, content_type_conformance, response_schema_conformance,
                   response_headers_conformance]


def _schema() -> schemathesis.BaseSchema:
    from pilotkit_backend.core.config import Settings
    from pilotkit_backend.main import create_app

    loaded = schemathesis.openapi.from_dict(create_app(Settings(database_url="sqlite://")).openapi())
    loaded.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
    return loaded


schema = _schema()


@pytest.fixture
def fuzz_service(service: Service) -> tuple[Service, str]:
    token = service.key(*ALL_SCOPES)
    for alias, kind in KIND_OF.items():
        response = service.post("/v1/contracts", token, {"kind": kind, "address": service.chain.address(alias),
                                                         "label": alias})
        assert response.status_code == 201, response.text
    return service, token


def _aim(case: schemathesis.Case, service: Service) -> None:
    """Deterministically point half of the contract path parameters at registered contracts."""
    for name, value in list((case.path_parameters or {}).items()):
        aliases = PARAMETER_ALIASES.get(name)
        if not aliases:
            continue
        digest = hashlib.sha256(f"{case.formatted_path}:{value}".encode()).digest()
        if digest[0] % 2 == 0:
            case.path_parameters[name] = service.chain.address(aliases[digest[1] % len(aliases)])


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors_on_a_real_chain(case: schemathesis.Case, fuzz_service: tuple[Service, str]) -> None:
    service, token = fuzz_service
    _aim(case, service)
    for headers in (None, {"Authorization": f"Bearer {token}"}):
        response = case.call(app=service.app, base_url="http://testserver", headers=headers)
        assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text)
        if response.status_code >= 400:
            assert response.headers["content-type"][0].startswith("application/problem+json")
        case.validate_response(response, checks=DOCUMENT_CHECKS)  # the document tells the truth

