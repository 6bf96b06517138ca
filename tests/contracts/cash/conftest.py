"""Fixtures for the CashProgramme suites: per module, one direct-payment programme (`cash`) and one voucher-mode
programme (`vcash`), each with its own TestStablecoin, every role held by a different dev account, a funder that
approved the programme, and six beneficiaries enrolled at indexes 1..6 with throw-away wallets funded with ETH.

Account plan: dev0 admin, dev1 registrar, dev2 disburser, dev3 approver, dev4 pauser, dev5 merchant manager,
dev6 funder, dev7 relayer, dev8 stranger, dev9 merchant (approved in `vcash`).
"""

from __future__ import annotations

import pytest
from cash_helpers import Cash, Roles, build_programme


@pytest.fixture(scope="module")
def roles(accounts) -> Roles:
    return Roles.from_accounts(accounts)


@pytest.fixture(scope="module")
def cash(deploy, chain, accounts) -> Cash:
    """A direct-payment programme."""
    return build_programme(deploy, chain, accounts, voucher=False, tag="direct")


@pytest.fixture(scope="module")
def vcash(deploy, chain, accounts) -> Cash:
    """A voucher-mode programme with dev9 approved as a merchant."""
    return build_programme(deploy, chain, accounts, voucher=True, tag="voucher")
