"""`GET /v1/me`: what the calling API key is (never its secret). Keys are managed with `pilotkit api-key`."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from pilotkit_backend.api.deps import CurrentKey
from pilotkit_backend.core.problems import problem_responses
from pilotkit_backend.platform.models.access import Scope

router = APIRouter(prefix="/v1", tags=["access"], responses=problem_responses(401, 429))


class BindingPublic(BaseModel):
    kind: str
    id: str


class KeyPublic(BaseModel):
    id: int
    prefix: str
    label: str
    scopes: list[Scope]
    binding: BindingPublic | None


@router.get("/me", response_model=KeyPublic, summary="The calling API key: label, scopes and binding")
def read_me(key: CurrentKey) -> KeyPublic:
    binding = BindingPublic(kind=key.binding.kind, id=key.binding.object_id) if key.binding else None
    return KeyPublic(id=key.id, prefix=key.prefix, label=key.label, scopes=sorted(key.scopes), binding=binding)
