"""Set-up a contract admin runs once so the service can act: grant each contract role to the service's signer.

Used by `pilotkit demo --serve` on a local chain and by the tests. On a real network the admin (a multisig or
timelock) grants the same roles itself; `role_grants(chain)` lists which address needs which role. Which roles
a contract needs is declared by its pilot kind (`platform.contract_types.ContractType.roles`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from eth_utils import keccak

from pilotkit_backend.platform import contract_types

if TYPE_CHECKING:
    from pilotkit.contracts.handle import ContractHandle
    from pilotkit_backend.platform.chain_context import ChainContext

def role_id(name: str) -> bytes:
    return keccak(text=name)


def role_grants(chain: ChainContext, contract: str) -> list[tuple[str, str]]:
    """[(role constant, signer address)] the service needs on a `contract`."""
    return [(role, chain.signer_for(signing_role).address) for role, signing_role in _roles_of(contract)]


def _roles_of(contract: str) -> tuple[tuple[str, str], ...]:
    declared = contract_types.by_contract_name().get(contract)
    return declared.roles if declared is not None else ()


def contract_of(chain: ChainContext, handle: ContractHandle) -> str:
    """Which core contract a handle is (by its ABI: a handle's name may be a deployment alias)."""
    for name in contract_types.by_contract_name():
        if chain.abi(name) == list(handle.abi):
            return name
    return handle.contract_name


def grant_service_roles(chain: ChainContext, handle: ContractHandle, issuer_name: str = "pilotkit issuer") -> int:
    """Grant (as the handle's sender, the contract admin) every role the service needs; returns grants made.

    A contract type may grant a role its own way (`ContractType.grant`: a CertificateRegistry accredits its issuer
    with the public name `issuer_name`, shown to everyone who verifies a certificate).
    """
    made = 0
    contract = contract_of(chain, handle)
    declared = contract_types.by_contract_name().get(contract)
    for role, address in role_grants(chain, contract):
        if handle.hasRole(role_id(role), address):
            continue
        if declared is None or declared.grant is None or not declared.grant(handle, role, address, issuer_name):
            handle.grantRole(role_id(role), address)
        made += 1
    return made
