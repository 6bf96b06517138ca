"""Set-up a contract admin runs once so the service can act: grant each contract role to the service's signer.

Used by `pilotkit demo --serve` on a local chain and by the tests. On a real network the admin (a multisig or
timelock) grants the same roles itself; `role_grants(chain)` lists which address needs which role.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from eth_utils import keccak

if TYPE_CHECKING:
    from pilotkit.contracts.handle import ContractHandle
    from pilotkit_backend.services.chain_context import ChainContext

#: contract name → [(role constant, service signing role)]
CONTRACT_ROLES: Mapping[str, list[tuple[str, str]]] = {
    "CashProgramme": [
        ("REGISTRAR_ROLE", "registrar"), ("DISBURSER_ROLE", "disburser"), ("APPROVER_ROLE", "approver"),
        ("PAUSER_ROLE", "pauser"), ("MERCHANT_MANAGER_ROLE", "registrar"),
    ],
    "EcoCreditRegistry": [("VERIFIER_ROLE", "verifier"), ("PAUSER_ROLE", "pauser")],
    "CertificateRegistry": [("ISSUER_ROLE", "issuer"), ("PAUSER_ROLE", "pauser")],
}


def role_id(name: str) -> bytes:
    return keccak(text=name)


def role_grants(chain: ChainContext, contract: str) -> list[tuple[str, str]]:
    """[(role constant, signer address)] the service needs on a `contract`."""
    return [(role, chain.signer_for(signing_role).address) for role, signing_role in CONTRACT_ROLES.get(contract, [])]


def contract_of(chain: ChainContext, handle: ContractHandle) -> str:
    """Which core contract a handle is (by its ABI: a handle's name may be a deployment alias)."""
    for name in CONTRACT_ROLES:
        if chain.abi(name) == list(handle.abi):
            return name
    return handle.contract_name


def grant_service_roles(chain: ChainContext, handle: ContractHandle, issuer_name: str = "pilotkit issuer") -> int:
    """Grant (as the handle's sender, the contract admin) every role the service needs; returns grants made.

    On a CertificateRegistry the issuer role comes with a public issuer name (`accreditIssuer`), shown to
    everyone who verifies a certificate.
    """
    made = 0
    contract = contract_of(chain, handle)
    for role, address in role_grants(chain, contract):
        if handle.hasRole(role_id(role), address):
            continue
        if contract == "CertificateRegistry" and role == "ISSUER_ROLE":
            handle.accreditIssuer(address, issuer_name)
        else:
            handle.grantRole(role_id(role), address)
        made += 1
    return made
