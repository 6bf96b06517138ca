"""CashProgramme access-control matrix: every role-gated function, called by every other role and a stranger,
reverts with OpenZeppelin's `AccessControlUnauthorizedAccount(account, neededRole)`.

Runs on the voucher-mode programme so that every function (merchant management included) is valid for its
rightful role, which `test_role_gated_function_accepts_its_role` checks with the very same arguments.
`cancelRound` (proposer or approver) and `cancelWalletRecovery` (registrar, admin, or the bound wallet while its
beneficiary is Active) have composite rules, tested in test_cash_round_rules.py and test_cash_registry.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from cash_helpers import (
    ADMIN_ROLE,
    AMOUNT,
    APPROVER_ROLE,
    DISBURSER_ROLE,
    MERCHANT_MANAGER_ROLE,
    PAUSER_ROLE,
    REGISTRAR_ROLE,
    Cash,
    Kind,
    address_of,
    open_round,
    person,
    propose,
    round_params,
)
from eth_utils import keccak

from pilotkit.cash_claims import BatchTree, ClaimTree
from pilotkit.chain.control import ChainControl
from pilotkit.testing.assertions import reverts

CALLERS = ("admin", "registrar", "disburser", "approver", "pauser", "merchant_manager", "stranger")
ROLE_HOLDER = {
    ADMIN_ROLE: "admin",
    REGISTRAR_ROLE: "registrar",
    DISBURSER_ROLE: "disburser",
    APPROVER_ROLE: "approver",
    PAUSER_ROLE: "pauser",
    MERCHANT_MANAGER_ROLE: "merchant_manager",
}
Prepare = Callable[[Cash, ChainControl], tuple[Any, ...]]


@dataclass(frozen=True)
class Gated:
    role: bytes
    prepare: Prepare


def _propose_args(cash: Cash, chain: ChainControl) -> tuple[Any, ...]:
    now = chain.time()
    return (round_params(Kind.FlatPush, 10 * AMOUNT, AMOUNT, now, now + 86_400, funder=cash.roles.funder.address),)


def _claim_cap_args(cash: Cash, chain: ChainControl) -> tuple[Any, ...]:
    tree = ClaimTree({1: AMOUNT, 2: AMOUNT}, cap_size=2)
    return propose(cash, chain, Kind.MerkleClaim, root=tree.root), 2, 0, tree.cap_nodes


def _pay_list_args(cash: Cash, chain: ChainControl) -> tuple[Any, ...]:
    tree = BatchTree([([1, 2], [AMOUNT, AMOUNT])])
    return open_round(cash, chain, Kind.ListPush, root=tree.root), [1, 2], [AMOUNT, AMOUNT], tree.proof(0)


def _paused(cash: Cash, chain: ChainControl) -> tuple[Any, ...]:
    cash.prog.pause(sender=cash.roles.pauser)
    return ()


def _suspended(cash: Cash, chain: ChainControl) -> tuple[Any, ...]:
    cash.prog.suspend(cash.id(2), 1, sender=cash.roles.registrar)
    return (cash.id(2),)


GATED: dict[str, Gated] = {
    "setPeriodCap": Gated(ADMIN_ROLE, lambda c, ch: (123 * AMOUNT,)),
    "setRecoveryDelay": Gated(ADMIN_ROLE, lambda c, ch: (4 * 86_400,)),
    "unpause": Gated(ADMIN_ROLE, _paused),
    "grantRole": Gated(ADMIN_ROLE, lambda c, ch: (PAUSER_ROLE, c.roles.stranger.address)),
    "revokeRole": Gated(ADMIN_ROLE, lambda c, ch: (PAUSER_ROLE, c.roles.pauser.address)),
    "enrol": Gated(REGISTRAR_ROLE, lambda c, ch: (person("matrix"), address_of("matrix"))),
    "enrolBatch": Gated(REGISTRAR_ROLE, lambda c, ch: ([person("matrix")], [address_of("matrix")])),
    "suspend": Gated(REGISTRAR_ROLE, lambda c, ch: (c.id(1), 1)),
    "reinstate": Gated(REGISTRAR_ROLE, _suspended),
    "remove": Gated(REGISTRAR_ROLE, lambda c, ch: (c.id(3), 1)),
    "requestWalletRecovery": Gated(REGISTRAR_ROLE, lambda c, ch: (c.id(4), address_of("matrix-recovery"))),
    "proposeRound": Gated(DISBURSER_ROLE, _propose_args),
    "setClaimCap": Gated(DISBURSER_ROLE, _claim_cap_args),
    "payFlat": Gated(DISBURSER_ROLE, lambda c, ch: (open_round(c, ch), [1, 2])),
    "payList": Gated(DISBURSER_ROLE, _pay_list_args),
    "approveRound": Gated(APPROVER_ROLE, lambda c, ch: (propose(c, ch),)),
    "pause": Gated(PAUSER_ROLE, lambda c, ch: ()),
    "approveMerchant": Gated(MERCHANT_MANAGER_ROLE, lambda c, ch: (address_of("shop"), keccak(text="shop"))),
    "revokeMerchant": Gated(MERCHANT_MANAGER_ROLE, lambda c, ch: (c.roles.merchant.address, 3)),
}
MATRIX = [
    pytest.param(function, who, id=f"{function}-by-{who}")
    for function, case in GATED.items()
    for who in CALLERS
    if ROLE_HOLDER[case.role] != who
]


@pytest.mark.parametrize(("function", "who"), MATRIX)
def test_role_gated_function_rejects_other_roles(vcash: Cash, chain, function: str, who: str) -> None:
    case = GATED[function]
    args = case.prepare(vcash, chain)
    caller = getattr(vcash.roles, who)
    with reverts("AccessControlUnauthorizedAccount", account=caller, neededRole=case.role):
        getattr(vcash.prog, function)(*args, sender=caller)


@pytest.mark.parametrize("function", list(GATED))
def test_role_gated_function_accepts_its_role(vcash: Cash, chain, function: str) -> None:
    case = GATED[function]
    args = case.prepare(vcash, chain)
    getattr(vcash.prog, function)(*args, sender=getattr(vcash.roles, ROLE_HOLDER[case.role]))


def test_matrix_covers_every_state_changing_function(vcash: Cash) -> None:
    """Every state-changing function is role-gated (matrix above), composite-gated, signature-gated or open."""
    composite = {"cancelRound", "cancelWalletRecovery", "confirmWalletRecovery"}  # approver or admin
    signature_gated = {"claimFor", "spendFor"}
    caller_bound = {"claim", "spend", "redeem", "renounceRole"}  # act on the caller's own wallet or balance
    anyone = {"sweep", "executeWalletRecovery"}  # only finish what a role started, to fixed recipients
    mutating = {
        e["name"]
        for e in vcash.prog.abi
        if e.get("type") == "function" and e.get("stateMutability") not in ("view", "pure")
    }
    assert mutating == set(GATED) | composite | signature_gated | caller_bound | anyone


def test_roles_are_granted_only_by_the_admin(vcash: Cash) -> None:
    prog, roles = vcash.prog, vcash.roles
    for role in ROLE_HOLDER:
        assert prog.getRoleAdmin(role) == ADMIN_ROLE
    for who in ("registrar", "disburser", "approver", "pauser", "merchant_manager", "stranger"):
        caller = getattr(roles, who)
        with reverts("AccessControlUnauthorizedAccount", account=caller, neededRole=ADMIN_ROLE):
            prog.grantRole(DISBURSER_ROLE, caller.address, sender=caller)
