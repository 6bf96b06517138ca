"""What a kind's `--via api` mapping builds on: the request and refusal records, and the client it is handed.

`actions_api.ApiActions` is the client (the `ApiClient` protocol here); each kind's `api.py` is a `KindApi` that
turns the kind's operations into API requests (`route`) and keeps what it learns from the API (ids, rounds). A
leaf module, so the kinds never import `actions_api` (which reads them through the registry).
"""

from __future__ import annotations

from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    import httpx

    from pilotkit.pilots.actions import DirectActions, Operation, Pending
    from pilotkit.pilots.txs import ReplaySigner


@dataclass
class Refusal:
    """An API answer that refused a request before any job: its status and problem document."""

    operation: str
    status: int
    title: str
    detail: str
    type: str

    @property
    def contract_error(self) -> str | None:
        return self.title if "/problems/contract/" in self.type else None

    def public(self) -> dict[str, Any]:
        return {"status": self.status, "title": self.title, "detail": self.detail[:300], "type": self.type}


@dataclass
class ApiRequest:
    """One API call made for queued operations; its jobs fill them in once mined.

    `split`: the request's jobs each carry part of its operations (a round's payments): every job is its own
    settled entry with the items it carried, which `split(pendings, settled)` works out.
    """

    pendings: list[Pending]
    jobs: list[str] = field(default_factory=list)
    refusal: Refusal | None = None
    after: Callable[[ApiRequest, list[dict[str, Any]]], None] | None = None
    job_rows: list[dict[str, Any]] = field(default_factory=list)
    split: Callable[[list[Pending], list[Pending]], None] | None = None


Route = Callable[[list["Pending"]], "ApiRequest | None"]

#: OpenZeppelin's DEFAULT_ADMIN_ROLE (bytes32 zero), as `KindApi.extra_roles` names it
ADMIN_ROLE = "DEFAULT_ADMIN_ROLE"


def hex_(value: bytes) -> str:
    return "0x" + value.hex()


def bytes_(value: Any) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def iso(timestamp: int) -> str:
    return datetime.fromtimestamp(int(timestamp), UTC).isoformat()


class ApiClient(Protocol):
    """What a kind's API mapping may use of `ApiActions`."""

    direct: DirectActions
    service: Any
    #: contract key → the address it is registered under in the API
    programme_of: dict[str, str]

    def post(self, pendings: list[Pending], path: str, role: str,
             after: Callable[[ApiRequest, list[dict[str, Any]]], None] | None = None,
             **kwargs: Any) -> ApiRequest: ...

    def send(self, method: str, path: str, role: str, **kwargs: Any) -> httpx.Response: ...


class KindApi:
    """A kind's part of `--via api`. The defaults: nothing routed, role grants as `grantRole`."""

    #: the kind's contracts (artifact name) → the `kind` the API registers them as (`POST /v1/contracts`)
    contracts: dict[str, str] = {}
    #: roles the replay's admin also grants the service's signers, beyond the service's own role grants:
    #: (role constant or ADMIN_ROLE, the service's signing role), e.g. the API's admin routes need the admin role
    extra_roles: tuple[tuple[str, str], ...] = ()

    def __init__(self, client: ApiClient) -> None:
        self.client = client

    def grant(self, contract: str, role: str, grantee: str, key: str, sender: ReplaySigner) -> Operation | None:
        """The operation that gives the service's `grantee` `role` on a new contract; None: `grantRole`."""
        return None

    def route(self, op: Operation, role: str) -> Route | None:
        """The request maker for an operation the API offers (its contract is registered, `role` has a key)."""
        return None

    def library(self, op: Operation) -> None:
        """An operation about to go the library path (e.g. translate ids the API put on chain)."""

    def group(self, pending: Pending) -> Hashable | None:
        """A key when queued operations are sent together as one request (`grouped`) at the flush."""
        return None

    def grouped(self, key: Hashable, pendings: list[Pending]) -> ApiRequest:
        raise NotImplementedError
