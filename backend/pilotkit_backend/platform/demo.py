"""Preparing the service on the demo chain (`pilotkit demo --serve`): roles, test funds, registrations, keys.

Only for local chains: the contract admin is the dev account that deployed them, and the keys are printed.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from pilotkit_backend.platform import registry
from pilotkit_backend.platform.auth import create_key
from pilotkit_backend.platform.bootstrap import grant_service_roles
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.contract_types import ContractType

if TYPE_CHECKING:
    from pilotkit.deploy.deployer import Deployer

DEMO_FUNDS = 1_000_000 * 10**6  # test USD (6 decimals) minted to the approver (who funds rounds)
#: Two people, so that a round proposed by the first can be approved by the second.
DEMO_KEYS = [
    ("programme officer", ["admin", "registrar", "disburser", "issuer", "verifier", "merchant", "auditor"]),
    ("finance approver", ["approver", "auditor"]),
]


def prepare_demo_service(session: Session, chain: ChainContext, deployer: Deployer,
                         types: Sequence[ContractType]) -> list[tuple[str, str]]:
    """Grant the service's roles, fund the approver, register the core contracts; returns (label, API key)."""
    if not chain.is_local:
        raise ValueError("the demo set-up runs on local chains only")
    record = deployer.record
    for kind in types:  # every pilot kind's contract type (catalogue.CONTRACT_TYPES) the demo script deployed
        entry = record.get(kind.contract_name)
        if entry is None:
            continue
        grant_service_roles(chain, deployer.at(kind.contract_name), issuer_name="pilotkit demo issuer")
        registry.register(session, chain, kind, entry.address, kind.demo_label, None)
    if record.get("TestStablecoin") is not None:
        deployer.at("TestStablecoin").mint(chain.signer_for("approver").address, DEMO_FUNDS)
    session.commit()
    keys = []
    for label, scopes in DEMO_KEYS:
        _, token = create_key(session, label, scopes)
        keys.append((label, token))
    return keys
