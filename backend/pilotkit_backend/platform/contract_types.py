"""The contract types the service can register, each declared by the pilot kind that owns it.

A kind declares its contracts once (`register(ContractType(...))` in its `contract.py`); the platform (the
registry, the role bootstrap, the indexer, the demo set-up) works from these declarations and knows no kind by
name. `value` is what `registered_contracts.kind` stores and what `POST /v1/contracts` takes as `kind`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class UnknownContractType(LookupError):
    """No pilot kind declared a contract type of this name (a kind module was not imported, or a typo)."""


@dataclass(frozen=True)
class ContractType:
    """One deployable contract of a pilot kind, as the service sees it."""

    value: str  # stored and answered as the contract's `kind` ("programme", "credits", ...)
    contract_name: str  # the compiled contract ("CashProgramme")
    binding_kind: str  # the API-key binding that reaches it ("programme" or "registry")
    probe: str  # a view this contract answers and other registered types do not (checked on registration)
    #: [(role constant, service signing role)] the service's signers need on it
    roles: tuple[tuple[str, str], ...] = ()
    #: grants a role in a contract-specific way (e.g. an issuer accreditation that carries a public name);
    #: `grant(handle, role_constant, address, display_name)` returns True when it handled that role
    grant: Callable[[Any, str, str, str], bool] | None = field(default=None, compare=False)
    demo_label: str = ""  # the label `pilotkit demo --serve` registers it under
    public: bool = False  # listed by the public pages (GET /v1/public/registries)

    def __str__(self) -> str:
        return self.value


_TYPES: dict[str, ContractType] = {}


def register(contract_type: ContractType) -> ContractType:
    """Declare a contract type (idempotent for the same declaration); returns it."""
    known = _TYPES.get(contract_type.value)
    if known is not None and known != contract_type:
        raise ValueError(f"contract type {contract_type.value!r} is declared twice, differently")
    _TYPES[contract_type.value] = contract_type
    return contract_type


def get(value: str) -> ContractType:
    try:
        return _TYPES[value]
    except KeyError:
        raise UnknownContractType(f"no pilot kind declares a contract type {value!r}; "
                                  f"known: {sorted(_TYPES)}") from None


def all_types() -> list[ContractType]:
    """Every declared type, in declaration order."""
    return list(_TYPES.values())


def by_contract_name() -> Mapping[str, ContractType]:
    return {t.contract_name: t for t in _TYPES.values()}


def as_enum(name: str, types: Sequence[ContractType], doc: str) -> type[StrEnum]:
    """A string enum of `types`' values (for request and response models: the OpenAPI document lists them)."""
    enum = StrEnum(name, {t.value: t.value for t in types})  # type: ignore[misc]
    enum.__doc__ = doc
    return enum
