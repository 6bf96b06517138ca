"""CashProgramme deployment, settings, views, pause switch and role administration; TestStablecoin."""

from __future__ import annotations

import pytest
from cash_helpers import (
    ADMIN_ROLE,
    APPROVER_ROLE,
    DAY,
    DISBURSER_ROLE,
    MAX_BATCH,
    MAX_CLAIM_CAP,
    MAX_ENROL_BATCH,
    MAX_LIVE_CLAIM_ROUNDS,
    MERCHANT_MANAGER_ROLE,
    MINTER_ROLE,
    PAUSER_ROLE,
    PERIOD,
    PERIOD_CAP,
    RECOVERY_DELAY,
    REGISTRAR_ROLE,
    USDC,
    ZERO_ADDRESS,
    Cash,
)

from pilotkit.cash_claims import DOMAIN_NAME, DOMAIN_VERSION
from pilotkit.testing.assertions import assert_event, reverts


def test_constructor_emits_configuration_and_grants_admin(cash: Cash) -> None:
    prog, roles = cash.prog, cash.roles
    events = prog.event_decoder.decode_receipt(prog.deploy_receipt)
    configured = [e for e in events if e.name == "ProgrammeConfigured"]
    assert len(configured) == 1
    assert configured[0].args == {
        "token": cash.token.address,
        "voucherMode": False,
        "recoveryDelay": RECOVERY_DELAY,
        "periodLength": PERIOD,
        "periodCap": PERIOD_CAP,
    }
    granted = [e.args for e in events if e.name == "RoleGranted"]
    assert granted == [{"role": "0x" + ADMIN_ROLE.hex(), "account": roles.admin.address, "sender": roles.admin.address}]
    assert prog.hasRole(ADMIN_ROLE, roles.admin.address)
    assert not prog.hasRole(ADMIN_ROLE, roles.disburser.address)


def test_settings_and_constants(cash: Cash, vcash: Cash) -> None:
    prog = cash.prog
    assert prog.token() == cash.token.address
    assert prog.voucherMode() is False
    assert vcash.prog.voucherMode() is True
    assert prog.recoveryDelay() == RECOVERY_DELAY
    assert prog.periodLength() == PERIOD
    assert prog.periodCap() == PERIOD_CAP
    assert prog.MAX_BATCH() == MAX_BATCH
    assert prog.MAX_ENROL_BATCH() == MAX_ENROL_BATCH
    assert prog.MAX_CLAIM_CAP() == MAX_CLAIM_CAP
    assert prog.MAX_LIVE_CLAIM_ROUNDS() == MAX_LIVE_CLAIM_ROUNDS
    for name, role in (
        ("REGISTRAR_ROLE", REGISTRAR_ROLE),
        ("DISBURSER_ROLE", DISBURSER_ROLE),
        ("APPROVER_ROLE", APPROVER_ROLE),
        ("PAUSER_ROLE", PAUSER_ROLE),
        ("MERCHANT_MANAGER_ROLE", MERCHANT_MANAGER_ROLE),
    ):
        assert getattr(prog, name)() == role
        assert prog.getRoleAdmin(role) == ADMIN_ROLE
    assert prog.DEFAULT_ADMIN_ROLE() == ADMIN_ROLE
    assert prog.roundCount() == 0
    assert prog.totalFunded() == prog.totalSwept() == prog.totalRedeemed() == 0
    assert prog.liveClaimRounds() == []
    assert prog.paused() is False


def test_eip712_domain(cash: Cash) -> None:
    domain = cash.prog.eip712Domain()
    assert domain[0] == b"\x0f"
    assert list(domain[1:5]) == [DOMAIN_NAME, DOMAIN_VERSION, cash.chain_id, cash.prog.address]


def test_supports_access_control_interface(cash: Cash) -> None:
    assert cash.prog.supportsInterface(bytes.fromhex("7965db0b"))  # IAccessControl
    assert cash.prog.supportsInterface(bytes.fromhex("01ffc9a7"))  # IERC165
    assert not cash.prog.supportsInterface(bytes.fromhex("ffffffff"))


@pytest.mark.parametrize("field", ["admin", "token", "recoveryDelay", "periodLength", "periodCap"])
def test_constructor_rejects_unusable_settings(deploy, cash: Cash, field: str) -> None:
    config = {
        "admin": cash.roles.admin.address,
        "token": cash.token.address,
        "voucherMode": False,
        "recoveryDelay": RECOVERY_DELAY,
        "periodLength": PERIOD,
        "periodCap": PERIOD_CAP,
    }
    config[field] = ZERO_ADDRESS if field in ("admin", "token") else 0
    with reverts("InvalidProgrammeConfig"):
        deploy("CashProgramme", tuple(config.values()), sender=cash.roles.admin)


@pytest.mark.parametrize("delay", [1, 60, DAY - 1])
def test_constructor_rejects_a_recovery_delay_under_24_hours(deploy, cash: Cash, delay: int) -> None:
    """Review finding 7: a one-second recovery delay left no time for anyone to notice a hostile recovery."""
    config = (cash.roles.admin.address, cash.token.address, False, delay, PERIOD, PERIOD_CAP)
    with reverts("InvalidProgrammeConfig"):
        deploy("CashProgramme", config, sender=cash.roles.admin)
    assert cash.prog.MIN_RECOVERY_DELAY() == DAY
    deployed = deploy("CashProgramme", config[:3] + (DAY,) + config[4:], sender=cash.roles.admin)
    assert deployed.recoveryDelay() == DAY


def test_recovery_delay_can_only_be_raised(cash: Cash) -> None:
    prog, admin = cash.prog, cash.roles.admin
    with reverts("RecoveryDelayDecrease", current=RECOVERY_DELAY, requested=RECOVERY_DELAY - 1):
        prog.setRecoveryDelay(RECOVERY_DELAY - 1, sender=admin)
    with reverts("AccessControlUnauthorizedAccount"):
        prog.setRecoveryDelay(RECOVERY_DELAY + 1, sender=cash.roles.registrar)
    result = prog.setRecoveryDelay(RECOVERY_DELAY + DAY, sender=admin)
    assert_event(result, "RecoveryDelayUpdated", oldDelay=RECOVERY_DELAY, newDelay=RECOVERY_DELAY + DAY)
    assert prog.recoveryDelay() == RECOVERY_DELAY + DAY


def test_set_period_cap(cash: Cash) -> None:
    result = cash.prog.setPeriodCap(123 * USDC, sender=cash.roles.admin)
    assert_event(result, "PeriodCapUpdated", oldCap=PERIOD_CAP, newCap=123 * USDC)
    assert cash.prog.periodCap() == 123 * USDC
    with reverts("ZeroAmount"):
        cash.prog.setPeriodCap(0, sender=cash.roles.admin)


def test_pause_and_unpause(cash: Cash) -> None:
    prog, roles = cash.prog, cash.roles
    with reverts("ExpectedPause"):
        prog.unpause(sender=roles.admin)
    assert_event(prog.pause(sender=roles.pauser), "Paused", account=roles.pauser)
    assert prog.paused() is True
    with reverts("EnforcedPause"):
        prog.pause(sender=roles.pauser)
    with reverts("AccessControlUnauthorizedAccount", account=roles.pauser, neededRole=ADMIN_ROLE):
        prog.unpause(sender=roles.pauser)
    assert_event(prog.unpause(sender=roles.admin), "Unpaused", account=roles.admin)
    assert prog.paused() is False


def test_role_administration(cash: Cash) -> None:
    prog, roles = cash.prog, cash.roles
    result = prog.grantRole(PAUSER_ROLE, roles.stranger.address, sender=roles.admin)
    assert_event(result, "RoleGranted", role=PAUSER_ROLE, account=roles.stranger, sender=roles.admin)
    result = prog.revokeRole(PAUSER_ROLE, roles.stranger.address, sender=roles.admin)
    assert_event(result, "RoleRevoked", role=PAUSER_ROLE, account=roles.stranger, sender=roles.admin)
    with reverts("AccessControlBadConfirmation"):
        prog.renounceRole(PAUSER_ROLE, roles.admin.address, sender=roles.pauser)
    result = prog.renounceRole(PAUSER_ROLE, roles.pauser.address, sender=roles.pauser)
    assert_event(result, "RoleRevoked", role=PAUSER_ROLE, account=roles.pauser, sender=roles.pauser)
    assert not prog.hasRole(PAUSER_ROLE, roles.pauser.address)


def test_stablecoin(cash: Cash) -> None:
    token, roles = cash.token, cash.roles
    assert token.decimals() == 6
    assert token.call("name") == "Test USD"  # `token.name` is the handle's own attribute (harness quirk)
    assert token.symbol() == "tUSD"
    assert token.MINTER_ROLE() == MINTER_ROLE
    assert token.hasRole(MINTER_ROLE, roles.admin.address)
    before = token.totalSupply()
    result = token.mint(roles.stranger.address, 7 * USDC, sender=roles.admin)
    assert_event(result, "Transfer", **{"from": ZERO_ADDRESS, "to": roles.stranger.address, "value": 7 * USDC})
    assert token.totalSupply() == before + 7 * USDC
    with reverts("AccessControlUnauthorizedAccount", account=roles.stranger, neededRole=MINTER_ROLE):
        token.mint(roles.stranger.address, 1, sender=roles.stranger)
    with reverts("AccessControlUnauthorizedAccount", account=roles.stranger, neededRole=ADMIN_ROLE):
        token.grantRole(MINTER_ROLE, roles.stranger.address, sender=roles.stranger)
    token.grantRole(MINTER_ROLE, roles.funder.address, sender=roles.admin)
    token.mint(roles.funder.address, 1, sender=roles.funder)


def test_stablecoin_permit(cash: Cash, chain) -> None:
    """EIP-2612: a funder can approve the programme by signature (the relayer submits)."""
    token, funder = cash.token, cash.roles.funder
    deadline = chain.time() + 3600
    nonce = token.nonces(funder.address)
    message = {
        "owner": funder.address,
        "spender": cash.roles.stranger.address,
        "value": 5 * USDC,
        "nonce": nonce,
        "deadline": deadline,
    }
    typed = {
        "types": {
            "EIP712Domain": [
                {"name": "name", "type": "string"},
                {"name": "version", "type": "string"},
                {"name": "chainId", "type": "uint256"},
                {"name": "verifyingContract", "type": "address"},
            ],
            "Permit": [
                {"name": "owner", "type": "address"},
                {"name": "spender", "type": "address"},
                {"name": "value", "type": "uint256"},
                {"name": "nonce", "type": "uint256"},
                {"name": "deadline", "type": "uint256"},
            ],
        },
        "primaryType": "Permit",
        "domain": {"name": "Test USD", "version": "1", "chainId": cash.chain_id, "verifyingContract": token.address},
        "message": message,
    }
    signed = funder.sign_typed_data(typed)
    result = token.permit(
        funder.address,
        cash.roles.stranger.address,
        5 * USDC,
        deadline,
        signed.v,
        signed.r.to_bytes(32, "big"),
        signed.s.to_bytes(32, "big"),
        sender=cash.roles.relayer,
    )
    assert_event(result, "Approval", owner=funder, spender=cash.roles.stranger, value=5 * USDC)
    assert token.nonces(funder.address) == nonce + 1
