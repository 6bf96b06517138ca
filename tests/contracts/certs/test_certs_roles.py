"""CertificateRegistry access-control matrix: every role-gated function, called by every account lacking the role.

Arguments are valid for the rightful role (checked once per function), so only OpenZeppelin's
`AccessControlUnauthorizedAccount(account, role)` stops the others. Status changes are gated by record
ownership instead of a role (`UnauthorizedStatusChange`); their matrix is in test_certs_registry.py.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from certs_helpers import ADMIN_ROLE, ISSUER_ROLE, PAUSER_ROLE, SCHEMA_DIPLOMA, ZERO32, Roles, doc

from pilotkit.contracts.handle import ContractHandle
from pilotkit.testing.assertions import reverts

CALLERS = ("admin", "issuer", "pauser", "relayer")
HOLDS = {"admin": {ADMIN_ROLE}, "issuer": {ISSUER_ROLE}, "pauser": {PAUSER_ROLE}, "relayer": set()}


@dataclass(frozen=True)
class Gated:
    role: bytes
    args: Callable[[Roles], tuple[Any, ...]]
    prepare: Callable[[ContractHandle, Roles], None] = field(default=lambda reg, roles: None)


GATED: dict[str, Gated] = {
    "accreditIssuer": Gated(ADMIN_ROLE, lambda r: (r.outsider.address, "Vocational Training Authority")),
    "withdrawAccreditation": Gated(ADMIN_ROLE, lambda r: (r.issuer2.address,)),
    "unpause": Gated(ADMIN_ROLE, lambda r: (), prepare=lambda reg, r: reg.pause(sender=r.pauser)),
    "grantRole": Gated(ADMIN_ROLE, lambda r: (PAUSER_ROLE, r.outsider.address)),
    "revokeRole": Gated(ADMIN_ROLE, lambda r: (PAUSER_ROLE, r.pauser.address)),
    "issue": Gated(ISSUER_ROLE, lambda r: (doc("matrix-doc"), ZERO32, 0, SCHEMA_DIPLOMA)),
    "issueBatch": Gated(ISSUER_ROLE, lambda r: (doc("matrix-root"), 0, SCHEMA_DIPLOMA)),
    "pause": Gated(PAUSER_ROLE, lambda r: ()),
}
ROLE_NAMES = {ADMIN_ROLE: "admin", ISSUER_ROLE: "issuer", PAUSER_ROLE: "pauser"}
MATRIX = [pytest.param(fn, who, id=f"{fn}-by-{who}")
          for fn, case in GATED.items() for who in CALLERS if case.role not in HOLDS[who]]


@pytest.mark.parametrize(("function", "who"), MATRIX)
def test_role_gated_function_rejects_other_roles(reg, roles, function: str, who: str) -> None:
    case = GATED[function]
    case.prepare(reg, roles)
    caller = getattr(roles, who)
    with reverts("AccessControlUnauthorizedAccount", account=caller, neededRole=case.role):
        getattr(reg, function)(*case.args(roles), sender=caller)
    with reverts("AccessControlUnauthorizedAccount", account=roles.stranger, neededRole=case.role):
        getattr(reg, function)(*case.args(roles), sender=roles.stranger)


@pytest.mark.parametrize("function", list(GATED))
def test_role_gated_function_accepts_its_role(reg, roles, function: str) -> None:
    case = GATED[function]
    case.prepare(reg, roles)
    getattr(reg, function)(*case.args(roles), sender=getattr(roles, ROLE_NAMES[case.role]))


def test_matrix_covers_every_role_gated_function(reg) -> None:
    """Every state-changing function is in the matrix, ownership-gated, signature-gated or self-service."""
    ownership_gated = {"revoke", "suspend", "reinstate", "supersede", "revokeBatch", "suspendBatch",
                       "reinstateBatch", "supersedeBatch"}
    signature_gated = {"issueWithSig", "issueBatchWithSig"}
    mutating = {e["name"] for e in reg.abi
                if e.get("type") == "function" and e.get("stateMutability") not in ("view", "pure")}
    assert mutating == set(GATED) | ownership_gated | signature_gated | {"renounceRole"}
