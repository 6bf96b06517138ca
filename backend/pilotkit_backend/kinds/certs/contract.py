"""The certificates kind's contract as the service registers it: a CertificateRegistry (`kind=certificates`)."""

from __future__ import annotations

from typing import Any

from pilotkit_backend.platform.contract_types import ContractType, register


def _accredit(handle: Any, role: str, address: str, display_name: str) -> bool:
    """The issuer role comes with a public issuer name (`accreditIssuer`), shown to everyone who verifies."""
    if role != "ISSUER_ROLE":
        return False
    handle.accreditIssuer(address, display_name)
    return True


CERTIFICATE_REGISTRY = register(ContractType(
    value="certificates",
    contract_name="CertificateRegistry",
    binding_kind="registry",
    probe="ISSUER_ROLE",
    roles=(("ISSUER_ROLE", "issuer"), ("PAUSER_ROLE", "pauser")),
    grant=_accredit,
    demo_label="Demo certificate registry",
    public=True,
))
