"""Test-only routes and helpers for the API tests (never part of the service).

`/test/...` routes stand in for the domain routes that come later: a POST that moves "value" (increments a
counter row) behind scope, binding and Idempotency-Key checks, plus routes that fail in each way an error can.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, FastAPI
from fastapi.testclient import TestClient
from pilotkit_backend.api.deps import IdempotencyDep, SessionDep, bound_to, require_scope
from pilotkit_backend.api.routing import IDEMPOTENT_RESPONSES, IdempotentRoute
from pilotkit_backend.core.problems import Conflict
from pilotkit_backend.platform.auth import AuthenticatedKey, create_key, ensure_bound, parse_binding, revoke_key
from pilotkit_backend.platform.models.access import IdempotencyRecord, Scope
from pydantic import BaseModel, Field
from sqlalchemy import Column, Integer, MetaData, String, Table, select, update
from sqlalchemy.engine import Engine

from pilotkit.contracts.reverts import revert_class

PROGRAMME_A = "0x5FbDB2315678afecb367f032d93F642f64180aa3"
PROGRAMME_B = "0xe7f1725E7734CE288F8367e1Bb143E90bb3F0512"

# A secret-looking string the failing routes put into exception messages: it must never reach a body or log.
LEAKY = "pk_000000000000_LEAKED-secret-in-an-exception-message-000000000 national-id 19840512-1234"

test_metadata = MetaData()
counters = Table(
    "test_counters",
    test_metadata,
    Column("name", String(64), primary_key=True),
    Column("value", Integer, nullable=False),
)


@dataclass
class Probe:
    """What the handlers did, seen from the test (a handler run is counted even if its writes roll back)."""

    calls: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)
    entered: threading.Event = field(default_factory=threading.Event)
    release: threading.Event = field(default_factory=threading.Event)
    hold: bool = False

    def record(self, what: str) -> int:
        with self.lock:
            self.calls.append(what)
            return len(self.calls)


class Increment(BaseModel):
    amount: int = Field(ge=1, le=1_000_000)
    note: str | None = Field(default=None, max_length=100)


class CounterPublic(BaseModel):
    programme: str
    total: int
    run: int
    ref: str = ""


Disburser = Annotated[AuthenticatedKey, require_scope(Scope.disburser)]
Auditor = Annotated[AuthenticatedKey, require_scope(Scope.auditor, Scope.disburser)]


def _bump(session: Any, name: str, amount: int) -> int:
    current = session.scalar(select(counters.c.value).where(counters.c.name == name))
    if current is None:
        session.execute(counters.insert().values(name=name, value=amount))
        return amount
    session.execute(update(counters).where(counters.c.name == name).values(value=current + amount))
    return int(current) + amount


def build_router(probe: Probe) -> APIRouter:
    router = APIRouter(prefix="/test", route_class=IdempotentRoute, tags=["test-only"], responses=IDEMPOTENT_RESPONSES)

    @router.post("/programmes/{address}/counter", status_code=201, response_model=CounterPublic)
    def increment(
        address: str, body: Increment, key: Disburser, idem: IdempotencyDep, session: SessionDep
    ) -> CounterPublic:
        ensure_bound(key, "programme", address)
        run = probe.record(f"increment:{address}:{idem.key}")
        if probe.hold:
            probe.entered.set()
            probe.release.wait(30)
        total = _bump(session, address.lower(), body.amount)
        session.flush()
        return CounterPublic(programme=address, total=total, run=run, ref=idem.ref)

    @router.get(
        "/programmes/{address}/counter", response_model=CounterPublic, dependencies=[bound_to("programme", "address")]
    )
    def read(address: str, key: Auditor, session: SessionDep) -> CounterPublic:
        total = session.scalar(select(counters.c.value).where(counters.c.name == address.lower()))
        return CounterPublic(programme=address, total=int(total or 0), run=0)

    @router.post("/programmes/{address}/refused", status_code=201)
    def refused(
        address: str, body: Increment, key: Disburser, idem: IdempotencyDep, session: SessionDep
    ) -> dict[str, str]:
        probe.record("refused")
        _bump(session, address.lower(), body.amount)
        session.flush()
        raise Conflict("the programme is paused")

    @router.post("/programmes/{address}/commits", status_code=201)
    def commits(
        address: str, body: Increment, key: Disburser, idem: IdempotencyDep, session: SessionDep
    ) -> dict[str, str]:
        probe.record("commits")
        _bump(session, address.lower(), body.amount)
        session.commit()  # not allowed on an idempotent route
        return {}

    @router.post("/boom")
    def boom(key: Disburser) -> None:
        raise RuntimeError(LEAKY)

    @router.post("/revert/{name}")
    def revert(name: str, key: Disburser) -> None:
        raise revert_class(name)({"idHash": "0x" + "ab" * 32}, function="enrol(bytes32)")

    return router


def build_plain_router() -> APIRouter:
    """A router that forgot `route_class=IdempotentRoute`: IdempotencyDep must refuse to run there."""
    router = APIRouter(prefix="/test-plain")

    @router.post("/counter")
    def counter(idem: IdempotencyDep) -> dict[str, str]:
        return {}

    return router


def mount_test_routes(app: FastAPI, probe: Probe) -> None:
    app.include_router(build_router(probe))
    app.include_router(build_plain_router())


def create_test_tables(engine: Engine) -> None:
    test_metadata.create_all(engine)


def counter_value(engine: Engine, name: str) -> int:
    with engine.connect() as connection:
        value = connection.scalar(select(counters.c.value).where(counters.c.name == name.lower()))
        return int(value or 0)


@dataclass
class Api:
    """The running app, a client, and helpers to make keys and look at the database."""

    app: FastAPI
    client: TestClient
    probe: Probe

    @property
    def engine(self) -> Engine:
        engine: Engine = self.app.state.engine
        return engine

    def key(self, *scopes: str, bind: str | None = None, label: str = "test key") -> str:
        with self.app.state.session_factory() as session:
            _, token = create_key(session, label, scopes, parse_binding(bind) if bind else None)
        return token

    def revoke(self, token: str) -> None:
        with self.app.state.session_factory() as session:
            revoke_key(session, token[3:15])

    def records(self) -> list[IdempotencyRecord]:
        with self.app.state.session_factory() as session:
            return list(session.scalars(select(IdempotencyRecord).order_by(IdempotencyRecord.id)))

    def counter(self, name: str) -> int:
        return counter_value(self.engine, name)

    def post_counter(
        self,
        token: str | None,
        idem: str | None,
        amount: int = 5,
        programme: str = PROGRAMME_A,
        route: str = "counter",
        **extra: Any,
    ) -> Any:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if idem is not None:
            headers["Idempotency-Key"] = idem
        headers.update(extra.pop("headers", {}))
        body = extra.pop("json", {"amount": amount})
        return self.client.post(f"/test/programmes/{programme}/{route}", json=body, headers=headers, **extra)


ApiFactory = Callable[..., Api]
