"""Fixtures for the EcoCreditRegistry suites: one registry per module, with roles and three projects."""

from __future__ import annotations

import pytest
from credits_helpers import PAUSER_ROLE, URI_TEMPLATE, VERIFIER_ROLE, Roles, b32, issue, project

from pilotkit.contracts.handle import ContractHandle


@pytest.fixture(scope="module")
def roles(accounts) -> Roles:
    return Roles.from_accounts(accounts)


@pytest.fixture(scope="module")
def reg(deploy, roles: Roles) -> ContractHandle:
    """A registry with a verifier, a second verifier, a pauser and projects 1, 2 (VERRA) and 3 (GOLD)."""
    registry = deploy("EcoCreditRegistry", roles.admin.address, URI_TEMPLATE, sender=roles.admin)
    registry.grantRole(VERIFIER_ROLE, roles.verifier.address, sender=roles.admin)
    registry.grantRole(VERIFIER_ROLE, roles.verifier2.address, sender=roles.admin)
    registry.grantRole(PAUSER_ROLE, roles.pauser.address, sender=roles.admin)
    registry.registerProject(project("VERRA", "VCS-1001"), sender=roles.admin)
    registry.registerProject(project("VERRA", "VCS-1002", uri="ipfs://bafy-project-1002"), sender=roles.admin)
    registry.registerProject(project("GOLD", "GS-77", methodology="GS-TPDDTEC", country=b"IN"),
                             sender=roles.admin)
    return registry


@pytest.fixture
def batch1(reg: ContractHandle, roles: Roles) -> int:
    """Batch 1: VERRA serials 1001..2000 of project 1 (1,000 credits), held by alice. Reverted after the test."""
    return issue(reg, roles.verifier, 1, 1001, 2000, roles.alice, registry=b32("VERRA"))
