"""The eco-credits kind's contract as the service registers it: an EcoCreditRegistry (`kind=credits`)."""

from __future__ import annotations

from pilotkit_backend.platform.contract_types import ContractType, register

CREDITS_REGISTRY = register(ContractType(
    value="credits",
    contract_name="EcoCreditRegistry",
    binding_kind="registry",
    probe="VERIFIER_ROLE",
    roles=(("VERIFIER_ROLE", "verifier"), ("PAUSER_ROLE", "pauser")),
    demo_label="Demo eco-credit registry",
    public=True,
))
