"""The cash kind's contract as the service registers it: a CashProgramme (`kind=programme`)."""

from __future__ import annotations

from pilotkit_backend.platform.contract_types import ContractType, register

PROGRAMME = register(ContractType(
    value="programme",
    contract_name="CashProgramme",
    binding_kind="programme",
    probe="MAX_ENROL_BATCH",
    roles=(("REGISTRAR_ROLE", "registrar"), ("DISBURSER_ROLE", "disburser"), ("APPROVER_ROLE", "approver"),
           ("PAUSER_ROLE", "pauser"), ("MERCHANT_MANAGER_ROLE", "registrar")),
    demo_label="Demo cash programme",
))
