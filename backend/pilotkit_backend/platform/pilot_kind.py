"""What a pilot kind hands the service: its routers, contract types, ORM model modules and web-page paths.

Each kind folder (`pilotkit_backend/kinds/<kind>/`) ends in a `kind.py` with one `KIND = PilotKind(...)`; the
service's list of kinds is `pilotkit_backend.catalogue.KINDS`. The platform itself never imports a kind.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from fastapi import APIRouter

from pilotkit_backend.platform.contract_types import ContractType


@dataclass(frozen=True)
class PilotKind:
    """One pilot kind of the service (the same `name` as its folders in contracts/, frontend/, docs/ and tests/)."""

    name: str
    title: str
    routers: tuple[APIRouter, ...]
    contract_types: tuple[ContractType, ...]
    #: the modules that declare the kind's tables (the Alembic environment imports them)
    model_modules: tuple[ModuleType, ...] = ()
    #: web-app paths of the kind's pages (answered with the page shell; `frontend/static/js/pages/<name>/`)
    page_paths: tuple[str, ...] = ()
