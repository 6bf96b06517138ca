"""Registered contracts: register a deployed programme or registry, list them, read their indexed events.

`POST /v1/contracts` (admin) registers a deployed CashProgramme (`kind=programme`), EcoCreditRegistry
(`credits`) or CertificateRegistry (`certificates`); the indexer then follows it from its deployment block.
`GET /v1/contracts/{address}/events` pages through its history from the index (auditors and every key bound to
it); argument values are as emitted (keyed hashes only, never personal data).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from pilotkit_backend.api.deps import ChainDep, CurrentKey, IdempotencyDep, SessionDep, require_scope
from pilotkit_backend.api.pagination import Cursor, CursorDep
from pilotkit_backend.api.pagination import InvalidCursor as InvalidCursorParam
from pilotkit_backend.api.routing import IDEMPOTENT_RESPONSES, IdempotentRoute
from pilotkit_backend.catalogue import CONTRACT_TYPES, ContractKind
from pilotkit_backend.core.problems import Forbidden, problem_responses
from pilotkit_backend.platform import contract_types, registry
from pilotkit_backend.platform.auth import AuthenticatedKey
from pilotkit_backend.platform.indexer.queries import EventQuery, InvalidCursor
from pilotkit_backend.platform.models.access import Scope
from pilotkit_backend.platform.models.registry import RegisteredContract
from pilotkit_backend.platform.runtime import INDEXER_NAME

router = APIRouter(prefix="/v1/contracts", tags=["contracts"], route_class=IdempotentRoute,
                   responses=problem_responses(401, 429))

Admin = Annotated[AuthenticatedKey, require_scope(Scope.admin)]
ADDRESS_PATTERN = r"^0x[0-9a-fA-F]{40}$"


class RegisterContract(BaseModel):
    kind: ContractKind  # type: ignore[valid-type]
    address: str = Field(pattern=ADDRESS_PATTERN, description="the deployed contract")
    label: str = Field(min_length=1, max_length=120, description="a human name, e.g. 'Turkana cash pilot 2026'")


class ContractPublic(BaseModel):
    kind: ContractKind  # type: ignore[valid-type]
    address: str
    label: str
    chain_id: int
    deploy_block: int
    binding: str = Field(description="what to pass to `pilotkit api-key create --bind` for keys limited to it")
    created_at: datetime


class EventPublic(BaseModel):
    name: str | None
    block_number: int
    block_timestamp: int
    tx_hash: str
    log_index: int
    args: dict[str, Any]


class EventPagePublic(BaseModel):
    items: list[EventPublic]
    next_cursor: str | None


def contract_public(row: RegisteredContract) -> ContractPublic:
    kind = row.contract_kind
    return ContractPublic(kind=kind.value, address=row.address, label=row.label, chain_id=row.chain_id,
                          deploy_block=row.deploy_block, binding=f"{kind.binding_kind}:{row.address}",
                          created_at=row.created_at)


@router.post("", status_code=201, response_model=ContractPublic, responses=IDEMPOTENT_RESPONSES,
             summary="Register a deployed programme or registry (admin)")
def register_contract(body: RegisterContract, key: Admin, chain: ChainDep, idem: IdempotencyDep) -> ContractPublic:
    if key.binding is not None:
        raise Forbidden("a key bound to one object cannot register new ones")
    row = registry.register(idem.session, chain, contract_types.get(body.kind), body.address, body.label, key)
    return contract_public(row)


@router.get("", response_model=list[ContractPublic], summary="Registered contracts this key may see")
def list_contracts(key: CurrentKey, session: SessionDep, chain: ChainDep,
                   kind: Annotated[ContractKind | None, Query()] = None,  # type: ignore[valid-type]
                   ) -> list[ContractPublic]:
    wanted = contract_types.get(kind) if kind is not None else None
    return [contract_public(r) for r in registry.visible(session, chain, wanted, key)]


@router.get("/{address}/events", response_model=EventPagePublic, responses=problem_responses(400, 403, 404),
            summary="A registered contract's events from the index, oldest first (or newest with order=desc)")
def contract_events(
    address: str,
    key: CurrentKey,
    session: SessionDep,
    chain: ChainDep,
    name: Annotated[str | None, Query(max_length=128, description="only events of this name")] = None,
    cursor: CursorDep = None,
    limit: Annotated[int, Query(ge=1, le=1000)] = 100,
    order: Annotated[str, Query(pattern="^(asc|desc)$")] = "asc",
) -> EventPagePublic:
    row = _registered(session, chain, address, key)
    if not key.has_any([Scope.auditor, Scope.admin]) and key.binding is None:
        raise Forbidden("reading a contract's history needs the auditor scope or a key bound to it")
    query = EventQuery(session.get_bind(), chain_id=chain.chain_id, indexer=INDEXER_NAME)  # type: ignore[arg-type]
    try:
        page = query.page(row.address, name, after=None if cursor is None else Cursor.of(*cursor.pair()),
                          limit=limit, descending=order == "desc")
    except InvalidCursor:
        raise InvalidCursorParam from None
    return EventPagePublic(
        items=[EventPublic(name=e.name, block_number=e.block_number, block_timestamp=e.block_timestamp,
                           tx_hash=e.tx_hash, log_index=e.log_index, args=e.args) for e in page.items],
        next_cursor=page.next_cursor,
    )


def _registered(session: Any, chain: Any, address: str, key: AuthenticatedKey) -> RegisteredContract:
    for kind in CONTRACT_TYPES:
        try:
            return registry.find(session, chain, kind, address, key)
        except Exception:
            continue
    from pilotkit_backend.core.problems import NotFound

    raise NotFound("no such contract")
