"""Fixtures for the CashProgramme suites: per module, one direct-payment programme (`cash`) and one voucher-mode
programme (`vcash`), each with its own TestStablecoin, every role held by a different dev account, a funder that
approved the programme, and six beneficiaries enrolled at indexes 1..6 with throw-away wallets funded with ETH.

Account plan: dev0 admin, dev1 registrar, dev2 disburser, dev3 approver, dev4 pauser, dev5 merchant manager,
dev6 funder, dev7 relayer, dev8 stranger, dev9 merchant (approved in `vcash`).
"""

from __future__ import annotations

import pytest
from cash_helpers import (
    APPROVER_ROLE,
    DISBURSER_ROLE,
    FUNDING,
    MERCHANT_MANAGER_ROLE,
    N_BENEFICIARIES,
    PAUSER_ROLE,
    PERIOD,
    PERIOD_CAP,
    RECOVERY_DELAY,
    REGISTRAR_ROLE,
    Cash,
    Roles,
    make_wallet,
    person,
)
from eth_utils import keccak

from pilotkit.chain.control import ChainControl

ETH = 10**18


def build_programme(
    deploy, chain: ChainControl, accounts, *, voucher: bool, tag: str, beneficiaries: int = N_BENEFICIARIES
) -> Cash:
    """Deploys and sets up one programme (see the module docstring)."""
    roles = Roles.from_accounts(accounts)
    admin = roles.admin
    token = deploy("TestStablecoin", "Test USD", "tUSD", admin.address, sender=admin)
    config = (admin.address, token.address, voucher, RECOVERY_DELAY, PERIOD, PERIOD_CAP)
    prog = deploy("CashProgramme", config, sender=admin)
    for role, holder in (
        (REGISTRAR_ROLE, roles.registrar),
        (DISBURSER_ROLE, roles.disburser),
        (APPROVER_ROLE, roles.approver),
        (PAUSER_ROLE, roles.pauser),
        (MERCHANT_MANAGER_ROLE, roles.merchant_manager),
    ):
        prog.grantRole(role, holder.address, sender=admin)
    token.mint(roles.funder.address, FUNDING, sender=admin)
    token.approve(prog.address, 2**256 - 1, sender=roles.funder)
    wallets = [make_wallet(f"{tag}-{i}") for i in range(1, beneficiaries + 1)]
    for wallet in wallets:
        chain.set_balance(wallet.address, 100 * ETH)
    ids = [person(f"{tag}-{i}") for i in range(1, beneficiaries + 1)]
    prog.enrolBatch(ids, [w.address for w in wallets], sender=roles.registrar)
    if voucher:
        prog.approveMerchant(roles.merchant.address, keccak(text="merchant:corner-shop"), sender=roles.merchant_manager)
    return Cash(
        token=token,
        prog=prog,
        roles=roles,
        wallets=wallets,
        ids=ids,
        chain_id=int(prog.web3.eth.chain_id),
        voucher=voucher,
    )


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
