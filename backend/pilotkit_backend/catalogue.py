"""The pilot kinds this service serves: one line per kind. `main.create_app` mounts their routers from here.

Adding a kind: create its folders (docs/adding-a-pilot-kind.md) and add its `KIND` below.
"""

from __future__ import annotations

from types import ModuleType
from typing import Literal

from pilotkit_backend.kinds.cash.kind import KIND as CASH
from pilotkit_backend.kinds.certs.kind import KIND as CERTS
from pilotkit_backend.kinds.credits.kind import KIND as CREDITS
from pilotkit_backend.platform import contract_types
from pilotkit_backend.platform import models as platform_models
from pilotkit_backend.platform.contract_types import ContractType
from pilotkit_backend.platform.pilot_kind import PilotKind

KINDS: tuple[PilotKind, ...] = (CASH, CREDITS, CERTS)

#: every kind's contract types, in the order of KINDS
CONTRACT_TYPES: tuple[ContractType, ...] = tuple(t for kind in KINDS for t in kind.contract_types)
#: their `kind` values, as the request and response models name them (the OpenAPI document lists them)
ContractKind = contract_types.as_enum(
    "ContractKind", CONTRACT_TYPES,
    "What a registered contract is; `binding_kind` is the API-key binding that reaches it.")
#: the contract types the public pages may list (GET /v1/public/registries)
PUBLIC_TYPES: tuple[ContractType, ...] = tuple(t for t in CONTRACT_TYPES if t.public)
PublicRegistryKind = Literal[tuple(t.value for t in PUBLIC_TYPES)]  # type: ignore[valid-type]


def model_modules() -> tuple[ModuleType, ...]:
    """Every module that declares tables: the platform's, then each kind's (importing them fills the metadata)."""
    return tuple(platform_models.MODULES) + tuple(m for kind in KINDS for m in kind.model_modules)
