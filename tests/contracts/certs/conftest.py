"""Fixtures for the CertificateRegistry suites: one registry per module with two issuers and a pauser."""

from __future__ import annotations

import pytest
from certs_helpers import ISSUER2_NAME, ISSUER_NAME, PAUSER_ROLE, Roles

from pilotkit.contracts.handle import ContractHandle


@pytest.fixture(scope="module")
def roles(accounts) -> Roles:
    return Roles.from_accounts(accounts)


@pytest.fixture(scope="module")
def reg(deploy, roles: Roles) -> ContractHandle:
    registry = deploy("CertificateRegistry", roles.admin.address, sender=roles.admin)
    registry.accreditIssuer(roles.issuer.address, ISSUER_NAME, sender=roles.admin)
    registry.accreditIssuer(roles.issuer2.address, ISSUER2_NAME, sender=roles.admin)
    registry.grantRole(PAUSER_ROLE, roles.pauser.address, sender=roles.admin)
    return registry


@pytest.fixture(scope="module")
def chain_id(web3) -> int:
    return int(web3.eth.chain_id)
