"""One cursor type for every paginated endpoint (issue 12, defect 2).

Before: `?cursor=99999999999999999999` gave 500 on rounds and beneficiaries (OverflowError binding the value),
`?cursor=²` gave 500 on rounds, beneficiaries and certificates (`str.isdigit` accepts superscripts, `int()` does
not). Every GET operation of the OpenAPI document that takes `cursor` is walked here, on registered contracts.
"""

from __future__ import annotations

import pytest
from _domain_support import Service, register_contract
from pilotkit_backend.api.pagination import CURSOR_PATTERN, MAX_CURSOR_LENGTH

ALL_SCOPES = ("registrar", "disburser", "approver", "merchant", "issuer", "verifier", "auditor", "admin")
BAD_CURSORS = ["99999999999999999999", "²", "1²", "١٢", "-1", "+1", " 1", "1 ", "1.2.3", "0x10", "1e3", "",
               "9" * 5000, "1\n", "１", "1.", ".1", "ⅷ"]


@pytest.fixture
def pages(service: Service) -> tuple[Service, str, list[str]]:
    token = service.key(*ALL_SCOPES)
    addresses = {
        "programme": register_contract(service, "programme", "CashProgramme", "cash", token),
        "registry_credits": register_contract(service, "credits", "EcoCreditRegistry", "credits", token),
        "registry_certs": register_contract(service, "certificates", "CertificateRegistry", "certs", token),
    }
    document = service.app.openapi()
    paths = []
    for path, item in document["paths"].items():
        get = item.get("get")
        if not get or not any(p["name"] == "cursor" for p in get.get("parameters", [])):
            continue
        registry = addresses["registry_credits"] if "credit-registries" in path else addresses["registry_certs"]
        filled = (path.replace("{programme}", addresses["programme"]).replace("{registry}", registry)
                  .replace("{address}", addresses["programme"]).replace("{round_id}", "1")
                  .replace("{root}", "0x" + "11" * 32))
        paths.append(filled)
    assert len(paths) >= 10, paths
    return service, token, paths


def test_every_paginated_endpoint_refuses_bad_cursors_with_one_400(pages: tuple[Service, str, list[str]]) -> None:
    service, token, paths = pages
    for path in paths:
        for cursor in BAD_CURSORS:
            response = service.get(path, token, params={"cursor": cursor})
            assert response.status_code == 400, (path, cursor, response.status_code, response.text[:300])
            problem = response.json()
            assert response.headers["content-type"].startswith("application/problem+json")
            assert problem["type"] == "/problems/invalid-cursor" and problem["parameter"] == "cursor", problem


def test_the_cursor_is_documented_once_for_every_paginated_endpoint(pages: tuple[Service, str, list[str]]) -> None:
    service, _, _ = pages
    document = service.app.openapi()
    for path, item in document["paths"].items():
        for method, operation in item.items():
            for parameter in operation.get("parameters", []):
                if parameter["name"] != "cursor":
                    continue
                schema = parameter["schema"]
                assert schema.get("pattern") == CURSOR_PATTERN, (method, path, schema)
                assert schema.get("maxLength") == MAX_CURSOR_LENGTH
                assert "400" in operation["responses"], (method, path)
