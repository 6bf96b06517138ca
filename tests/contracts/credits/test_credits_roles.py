"""EcoCreditRegistry access-control matrix: every role-gated function, called by every account lacking the role.

Each case is called with arguments that succeed for the rightful role (checked once per function), so the
only thing that stops the other callers is OpenZeppelin's `AccessControlUnauthorizedAccount(account, role)`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from credits_helpers import (
    ADMIN_ROLE,
    PAUSER_ROLE,
    VERIFIER_ROLE,
    Roles,
    batch_params,
    h32,
    issue,
    project,
)

from pilotkit.contracts.handle import ContractHandle
from pilotkit.testing.assertions import reverts

CALLERS = ("admin", "verifier", "pauser", "holder")
HOLDS = {"admin": {ADMIN_ROLE}, "verifier": {VERIFIER_ROLE}, "pauser": {PAUSER_ROLE}, "holder": set()}


@dataclass(frozen=True)
class Gated:
    role: bytes
    args: Callable[[Roles], tuple[Any, ...]]
    prepare: Callable[[ContractHandle, Roles], None] = field(default=lambda reg, roles: None)
    also: frozenset[str] = frozenset()  # callers without the role that are deliberately allowed too
    accepted_by: str | None = None  # who shows the call succeeds (default: the role's holder)


GATED: dict[str, Gated] = {
    "registerProject": Gated(ADMIN_ROLE, lambda r: (project("VERRA", "VCS-NEW"),)),
    "updateProjectMetadata": Gated(ADMIN_ROLE, lambda r: (1, "ipfs://new", h32("new"))),
    "setHolderAllowlistEnabled": Gated(ADMIN_ROLE, lambda r: (True,)),
    "setHolderAllowlisted": Gated(ADMIN_ROLE, lambda r: ([r.carol.address], True)),
    "unpause": Gated(ADMIN_ROLE, lambda r: (), prepare=lambda reg, r: reg.pause(sender=r.pauser)),
    "grantRole": Gated(ADMIN_ROLE, lambda r: (VERIFIER_ROLE, r.carol.address)),
    "revokeRole": Gated(ADMIN_ROLE, lambda r: (VERIFIER_ROLE, r.verifier2.address)),
    "issueBatch": Gated(VERIFIER_ROLE, lambda r: (batch_params(1, 5000, 5099, r.alice), 1001)),
    "freezeBatch": Gated(VERIFIER_ROLE, lambda r: (1, 4)),
    # The admin may unfreeze too; the batch's own verifier may not (IssuerCannotUnfreeze, review finding 3).
    "unfreezeBatch": Gated(VERIFIER_ROLE, lambda r: (1, 5),
                           prepare=lambda reg, r: reg.freezeBatch(1, 4, sender=r.verifier),
                           also=frozenset({"admin"}), accepted_by="admin"),
    "pause": Gated(PAUSER_ROLE, lambda r: ()),
}

ROLE_NAMES = {ADMIN_ROLE: "admin", VERIFIER_ROLE: "verifier", PAUSER_ROLE: "pauser"}


def _caller(roles: Roles, who: str):
    return {"admin": roles.admin, "verifier": roles.verifier, "pauser": roles.pauser, "holder": roles.alice}[who]


@pytest.fixture
def batch(reg: ContractHandle, roles: Roles) -> int:
    return issue(reg, roles.verifier, 1, 1001, 2000, roles.alice)


MATRIX = [pytest.param(fn, who, id=f"{fn}-by-{who}")
          for fn, case in GATED.items() for who in CALLERS if case.role not in HOLDS[who] and who not in case.also]


@pytest.mark.parametrize(("function", "who"), MATRIX)
def test_role_gated_function_rejects_other_roles(reg, roles, batch, function: str, who: str) -> None:
    case = GATED[function]
    case.prepare(reg, roles)
    caller = _caller(roles, who)
    with reverts("AccessControlUnauthorizedAccount", account=caller, neededRole=case.role):
        getattr(reg, function)(*case.args(roles), sender=caller)
    # An unrelated account (never granted anything) is rejected the same way.
    with reverts("AccessControlUnauthorizedAccount", account=roles.stranger, neededRole=case.role):
        getattr(reg, function)(*case.args(roles), sender=roles.stranger)


@pytest.mark.parametrize("function", list(GATED))
def test_role_gated_function_accepts_its_role(reg, roles, batch, function: str) -> None:
    case = GATED[function]
    case.prepare(reg, roles)
    who = case.accepted_by or ROLE_NAMES[case.role]
    getattr(reg, function)(*case.args(roles), sender=_caller(roles, who))


def test_matrix_covers_every_role_gated_function(reg, roles, batch) -> None:
    """Every non-view ABI function is either in the matrix or deliberately open to holders."""
    open_to_holders = {"safeTransferFrom", "safeBatchTransferFrom", "setApprovalForAll", "retire", "retireFrom",
                       "renounceRole"}
    mutating = {e["name"] for e in reg.abi
                if e.get("type") == "function" and e.get("stateMutability") not in ("view", "pure")}
    assert mutating == set(GATED) | open_to_holders


def test_the_matrix_has_every_caller_for_every_function() -> None:
    assert len(MATRIX) == sum(len(CALLERS) - 1 - len(case.also) for case in GATED.values())
