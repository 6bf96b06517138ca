"""Fixtures for the CashProgramme suites: per module, one direct-payment programme (`cash`) and one voucher-mode
programme (`vcash`), each with its own TestStablecoin, every role held by a different dev account, a funder that
approved the programme, and six beneficiaries enrolled at indexes 1..6 with throw-away wallets funded with ETH.

Account plan: dev0 admin, dev1 registrar, dev2 disburser, dev3 approver, dev4 pauser, dev5 merchant manager,
dev6 funder, dev7 relayer, dev8 stranger, dev9 merchant (approved in `vcash`).

Clock: a round's window must lie in one cap period (PERIOD, 30 days), and chains start at the wall-clock time,
so every test starts ALIGNED (2 days) into a fresh period (`_period_aligned_clock`, inside the test's snapshot:
the jump is undone with the rest). Rounds opening now and lasting up to 28 days then fit whatever the date.
"""

from __future__ import annotations

import pytest
from cash_helpers import Cash, Roles, align_clock, build_programme

from pilotkit.chain.control import ChainControl


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


@pytest.fixture(autouse=True)
def _period_aligned_clock(chain: ChainControl) -> int:
    """Moves the clock ALIGNED seconds into the next cap period before each test (after the isolation snapshot,
    which the plugin's autouse fixture takes first, so the jump is reverted with the test)."""
    return align_clock(chain)
