"""Schemathesis over the eco-credit endpoints on a real chain: no generated input produces a 5xx.

Requests carry a key with every credits scope, and path values are swapped for the registered registry half
of the time, so the fuzzed bodies reach the handlers and the contract, not only the 404 for unknown registries.
"""

from __future__ import annotations

import pytest
import schemathesis
from _credits_support import setup_credits
from _domain_support import Service
from hypothesis import HealthCheck, settings

MAX_EXAMPLES = 20


def _schema() -> schemathesis.BaseSchema:
    from pilotkit_backend.core.config import Settings
    from pilotkit_backend.main import create_app

    described = create_app(Settings(database_url="sqlite://"))
    loaded = schemathesis.openapi.from_dict(described.openapi())
    loaded.config.generation.update(max_examples=MAX_EXAMPLES, deterministic=True)
    return loaded.include(path_regex=r"credit-registries")


schema = _schema()


@pytest.fixture
def fuzz_target(service: Service) -> tuple[Service, str, str]:
    c = setup_credits(service)
    return service, c.registry, service.key("admin", "verifier", "auditor")


@schema.parametrize()
@settings(max_examples=MAX_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=list(HealthCheck))
def test_no_server_errors(case: schemathesis.Case, fuzz_target: tuple[Service, str, str]) -> None:
    service, registry, token = fuzz_target
    if case.path_parameters and "registry" in case.path_parameters and hash(str(case.body)) % 2 == 0:
        case.path_parameters["registry"] = registry
    headers = {"Authorization": f"Bearer {token}", "Idempotency-Key": "fuzz-" + str(abs(hash(repr(case))))}
    response = case.call(app=service.app, base_url="http://testserver", headers=headers)
    assert response.status_code < 500, (case.method, case.formatted_path, response.status_code, response.text)
