"""API keys through the API: `GET /v1/me` (any key), and for admin keys create, list, revoke and the audit trail.

`pilotkit api-key` does the same on the server's database. Rules for a calling admin key:
- the new key's secret is in the 201 answer only: it is stored as a SHA-256 hash, and a retry with the same
  Idempotency-Key answers the same key with `secret: null` (the secret is never stored to be replayed);
- a key bound to one object creates keys bound to that same object only, and lists, revokes and audits those;
- no key grants more than an unbound admin may: the eight scopes, each at most once;
- the last active unbound admin key cannot be revoked (409 `/problems/last-admin-key`): create another first;
- every creation and revocation is recorded (`api_key_events`: who, which key, when; never a secret).
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel, Field

from pilotkit_backend.api.deps import CurrentKey, IdempotencyDep, SessionDep, require_scope
from pilotkit_backend.api.pagination import Cursor, CursorDep
from pilotkit_backend.api.routing import IDEMPOTENT_RESPONSES, IdempotentRoute
from pilotkit_backend.core.problems import Conflict, Forbidden, NotFound, Unprocessable, problem_responses
from pilotkit_backend.platform import auth
from pilotkit_backend.platform.models.access import ApiKey, BindingKind, Scope

router = APIRouter(prefix="/v1", tags=["access"], route_class=IdempotentRoute, responses=problem_responses(401, 429))

Admin = Annotated[auth.AuthenticatedKey, require_scope(Scope.admin)]
Overseer = Annotated[auth.AuthenticatedKey, require_scope(Scope.admin, Scope.auditor)]
BINDING_PATTERN = rf"^({'|'.join(k.value for k in BindingKind)}):0x[0-9a-fA-F]{{40}}$"
KeyId = Annotated[int, Path(ge=1, le=2**31 - 1, description="the key's id, as listed")]


class LastAdminKey(Conflict):
    type, title = "/problems/last-admin-key", "The last admin key cannot be revoked"


class BindingPublic(BaseModel):
    kind: str
    id: str


class KeyPublic(BaseModel):
    id: int
    prefix: str
    label: str
    scopes: list[Scope]
    binding: BindingPublic | None


class KeyDetail(KeyPublic):
    status: str = Field(description="active or revoked")
    created_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class KeyPage(BaseModel):
    items: list[KeyDetail]
    next_cursor: str | None


class CreateKey(BaseModel):
    label: str = Field(min_length=1, max_length=200, description="who or what uses it, e.g. 'tablet 14, Kakuma'")
    scopes: list[Scope] = Field(min_length=1, max_length=len(Scope), description="what the key may do")
    binding: str | None = Field(default=None, pattern=BINDING_PATTERN, max_length=64,
                                description="limit the key to one object: programme:ADDRESS or registry:ADDRESS "
                                "(what GET /v1/contracts lists as `binding`)")


class CreatedKey(BaseModel):
    key: KeyDetail
    secret: str | None = Field(description="the key's secret, shown only in this answer (store it in the field app; "
                               "it cannot be recovered); null when a retry replays the answer")


class KeyEventPublic(BaseModel):
    id: int
    at: datetime
    action: str = Field(description="created or revoked")
    key_id: int
    actor_key_id: int | None = Field(description="the admin key that did it; null: the `pilotkit api-key` command")
    actor: str
    label: str
    scopes: list[str]
    binding: str | None


class KeyEventPage(BaseModel):
    items: list[KeyEventPublic]
    next_cursor: str | None


def _binding(row: ApiKey) -> BindingPublic | None:
    return BindingPublic(kind=row.bound_kind, id=row.bound_id) if row.bound_kind and row.bound_id else None


def _detail(row: ApiKey) -> KeyDetail:
    return KeyDetail(id=row.id, prefix=row.prefix, label=row.label, scopes=sorted(Scope(s) for s in row.scopes),
                     binding=_binding(row), status="revoked" if row.revoked_at else "active",
                     created_at=row.created_at, revoked_at=row.revoked_at, last_used_at=row.last_used_at)


def _visible(key: auth.AuthenticatedKey, bound_kind: str | None, bound_id: str | None) -> bool:
    """A bound key manages only keys with its own binding; an unbound one every key."""
    return key.binding is None or (bound_kind, bound_id) == (key.binding.kind, key.binding.object_id)


@router.get("/me", response_model=KeyPublic, summary="The calling API key: label, scopes and binding")
def read_me(key: CurrentKey) -> KeyPublic:
    binding = BindingPublic(kind=key.binding.kind, id=key.binding.object_id) if key.binding else None
    return KeyPublic(id=key.id, prefix=key.prefix, label=key.label, scopes=sorted(key.scopes), binding=binding)


@router.post("/keys", status_code=201, response_model=CreatedKey, responses=IDEMPOTENT_RESPONSES,
             summary="Create an API key (admin); its secret is in this answer only")
def create_key(body: CreateKey, key: Admin, idem: IdempotencyDep) -> CreatedKey:
    try:
        binding = auth.parse_binding(body.binding) if body.binding else None
    except auth.InvalidBinding as exc:
        raise Unprocessable(str(exc)) from None
    if key.binding is not None and binding != key.binding:
        raise Forbidden(f"a key bound to {key.binding} may only create keys bound to {key.binding}")
    if len(set(body.scopes)) != len(body.scopes):
        raise Unprocessable("each scope may be listed once")
    row, token = auth.create_key(idem.session, body.label, body.scopes, binding, actor=key, commit=False)
    answer = CreatedKey(key=_detail(row), secret=token)
    idem.replay_body = CreatedKey(key=answer.key, secret=None).model_dump_json().encode()
    return answer


@router.get("/keys", response_model=KeyPage, responses=problem_responses(400, 403),
            summary="API keys this admin key may manage (never a secret), oldest first")
def list_keys(key: Admin, session: SessionDep, cursor: CursorDep = None,
              limit: Annotated[int, Query(ge=1, le=500)] = 100) -> KeyPage:
    after = cursor.id() if cursor is not None else 0
    rows = [r for r in auth.list_keys(session) if r.id > after and _visible(key, r.bound_kind, r.bound_id)]
    page = rows[:limit]
    return KeyPage(items=[_detail(r) for r in page],
                   next_cursor=Cursor.of(page[-1].id) if len(rows) > limit else None)


@router.post("/keys/{key_id}/revoke", response_model=KeyDetail, responses=IDEMPOTENT_RESPONSES,
             summary="Revoke an API key at once, for good (admin); the last unbound admin key is refused")
def revoke_key(key_id: KeyId, key: Admin, idem: IdempotencyDep) -> KeyDetail:
    row = idem.session.get(ApiKey, key_id)
    if row is None or not _visible(key, row.bound_kind, row.bound_id):
        raise NotFound("no such API key")
    if auth.is_admin_key(row) and auth.other_admin_keys(idem.session, row) == 0:
        raise LastAdminKey("this is the last active unbound admin key: create another admin key first, "
                           "or revoke it with `pilotkit api-key revoke` on the server")
    auth.revoke_key(idem.session, row, actor=key, commit=False)
    return _detail(row)


@router.get("/keys/events", response_model=KeyEventPage, responses=problem_responses(400, 403),
            summary="Who created or revoked which API key, when (admin, auditor), oldest first")
def key_events(key: Overseer, session: SessionDep, cursor: CursorDep = None,
               limit: Annotated[int, Query(ge=1, le=500)] = 100) -> KeyEventPage:
    after = cursor.id() if cursor is not None else None
    visible = [e for e in auth.key_events(session, after=after)
               if key.binding is None or e.detail.get("binding") == str(key.binding)]
    items = visible[:limit]
    more = len(visible) > limit
    return KeyEventPage(
        items=[KeyEventPublic(id=e.id, at=e.at, action=e.action, key_id=e.key_id, actor_key_id=e.actor_key_id,
                              actor=e.actor, label=str(e.detail.get("label", "")),
                              scopes=list(e.detail.get("scopes", [])),  # type: ignore[call-overload]
                              binding=e.detail.get("binding"))  # type: ignore[arg-type]
               for e in items],
        next_cursor=Cursor.of(items[-1].id) if more and items else None,
    )
