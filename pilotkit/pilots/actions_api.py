"""`--via api`: a replay's operations through the backend's HTTP API, as a field app would send them.

`ApiActions` implements the `Actions` protocol on top of a `DirectActions` on the same Anvil. Every operation the
API offers is translated to its endpoint (table `ROUTES`), sent with httpx with an `Idempotency-Key` and the API
key of the replay role that asks (proposer and approver hold different keys), and its job(s) polled at
`GET /v1/jobs/{id}` until final. What the API does not offer stays on the library path: deployments, role grants,
chain time, pausing, and third parties acting from their own wallets (a beneficiary claiming or spending, a
stranger trying an unauthorised call, a merchant redeeming for itself). `via_counts` and the per-step marks say
which path each operation took.

Blocks: requests are made at `flush`, the engine's block boundary. Once every job is in the node's pool (status
`sent`) or refused, the block is mined at the scenario clock's time (the replay's node never automines), then the
jobs are awaited and their receipts read, so gas, events and timestamps are measured as on the direct path. The
API signs with its own role accounts, so transaction hashes differ from the direct path; the on-chain outcome
(counts, statuses, amounts) is what `--via api` must reproduce.

Refusals: a 4xx answer is recorded on the operation as its error: the contract error's name when the API names
one (`title` of a `/problems/contract/<Error>` problem), else `api:<status>` with the API's own problem, both kept
in `refusals` for the report (misuse attempts map them, see `equivalent_refusal`).

Kinds: this module is the kind-neutral client (HTTP, jobs, blocks, settling). Which operations the API offers
and how they map to its endpoints is each kind's `api.py` (`kinds/<kind>/api.py`, a `KindApi`), made per replay
from the registry; the kinds' `api_equivalents` say which API refusals equal a misuse attempt's expected one.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Hashable
from typing import TYPE_CHECKING, Any

import httpx

from pilotkit.pilots import ReplayError, registry
from pilotkit.pilots.actions import DirectActions, Operation, Pending
from pilotkit.pilots.api_kit import ADMIN_ROLE, ApiRequest, KindApi, Refusal, Route

if TYPE_CHECKING:
    from pilotkit.pilots.api_service import ApiService
    from pilotkit.pilots.txs import ReplaySigner

__all__ = ["API_EQUIVALENTS", "ApiActions", "Refusal", "equivalent_refusal"]

FINAL = {"confirmed", "failed", "expired", "cancelled"}
IN_POOL = FINAL | {"sent"}
JOB_TIMEOUT = 120.0
STALL_SECONDS = 2.0
INDEX_BEHIND_TIMEOUT = 60.0

#: misuse attempt → API refusals (status, title or detail fragment) that are the same refusal as the expected one
#: (each kind's `api_equivalents`).
API_EQUIVALENTS: dict[str, list[tuple[int, str]]] = registry.API_EQUIVALENTS


def equivalent_refusal(attempt: str, refusal: Refusal) -> bool:
    """Whether the API's refusal of a misuse attempt is the refusal the scenario expects from the contract."""
    return any(refusal.status == status and (text == refusal.title or text in refusal.detail)
               for status, text in API_EQUIVALENTS.get(attempt, []))


class ApiActions:
    """Operations through the backend HTTP API where it offers them, through the library otherwise."""

    via = "api"

    def __init__(self, direct: DirectActions, service: ApiService, timeout: float = 30.0) -> None:
        self.direct = direct
        self.service = service
        self.chain_id = direct.chain_id
        self.on_block = direct.on_block
        direct.on_block = None
        self.http = httpx.Client(base_url=service.base_url, timeout=timeout)
        self._queue: list[tuple[Pending, Route]] = []
        self.programme_of: dict[str, str] = {}  # actions key → registered address
        #: each kind's part of the mapping (what it offers, and what it learns from the API)
        self.kinds: dict[str, KindApi] = {k.name: k.api(self) for k in registry.KINDS if k.api is not None}
        self.via_counts = {"api": 0, "library": 0}
        self.step_via: set[str] = set()
        self.refusals: list[Refusal] = []
        self.jobs = 0
        self.requests = 0
        self.latencies: list[float] = []
        self._step_mark = (0, 0)

    # --- the Actions protocol -------------------------------------------------------------------------------

    @property
    def transactions(self) -> int:
        return self.direct.transactions + self.jobs

    def kind_api(self, name: str) -> Any:
        """The kind's part of the mapping (e.g. the cash kind's `funder_address`)."""
        return self.kinds[name]

    def address(self, key: str) -> str:
        return self.direct.address(key)

    def call(self, key: str, function: str, *args: Any) -> tuple[Any, ...]:
        return self.direct.call(key, function, *args)

    def fund(self, addresses: list[str], wei: int) -> None:
        self.direct.fund(addresses, wei)

    def pending_count(self) -> int:
        return self.direct.pending_count() + len(self._queue)

    def deploy(self, key: str, contract: str, args: tuple[Any, ...], sender: ReplaySigner, timestamp: int) -> str:
        """Deploy through the library, queue the service's role grants (mined with the step), register it."""
        from pilotkit_backend.platform.bootstrap import role_grants, role_id

        self.direct.on_block = self.on_block
        try:
            address = self.direct.deploy(key, contract, args, sender, timestamp)
        finally:
            self.direct.on_block = None
        self._mark("library")
        owner = next((api for api in self.kinds.values() if contract in api.contracts), None)
        if owner is None:
            return address
        kind = owner.contracts[contract]
        grants = [*role_grants(self.service.chain, contract),
                  *((role, self.service.chain.signer_for(signing).address) for role, signing in owner.extra_roles)]
        for role, grantee in grants:
            operation = owner.grant(contract, role, grantee, key, sender) or \
                Operation(key, "grantRole", (role_id(role) if role != ADMIN_ROLE else b"\0" * 32, grantee), sender,
                          600_000)
            self.direct.submit(operation)
        response = self.send("POST", "/v1/contracts", "admin",
                              json={"kind": kind, "address": address, "label": f"replay {key}"})
        if response.status_code != 201 and response.status_code != 200:
            raise ReplayError(f"registering {contract} through the API answered {response.status_code}: "
                              f"{response.text[:300]}")
        self.programme_of[key] = address
        return address

    def submit(self, operation: Operation) -> Pending:
        route = self._route(operation)
        if route is None:
            self._mark("library")
            for api in self.kinds.values():
                api.library(operation)
            return self.direct.submit(operation)
        self._mark("api")
        pending = Pending(operation, "", b"", self.direct.address(operation.contract), _decoder=self.direct.events)
        self._queue.append((pending, route))
        return pending

    def flush(self, timestamp: int) -> list[Pending]:
        """Send the queued requests, mine one block at `timestamp` once their jobs are in the pool, settle them.

        A job the sender holds back until an earlier one of its signer is mined (e.g. `approveRound` after the
        approver's token allowance) gets extra blocks, one second apart, until every job is final.
        """
        started = time.perf_counter()
        queue, self._queue = self._queue, []
        requests = self._make_requests(queue)
        jobs = [job for request in requests for job in request.jobs]
        rows = self._wait(jobs, IN_POOL)
        library = self.direct.flush(timestamp)
        extra = 0
        deadline = time.monotonic() + JOB_TIMEOUT
        while True:
            rows.update(self._wait(jobs, FINAL))
            if all(rows[job]["status"] in FINAL for job in jobs):
                break
            if time.monotonic() > deadline:
                stuck = next(job for job in jobs if rows[job]["status"] not in FINAL)
                raise ReplayError(f"API job {stuck} is still {rows[stuck]['status']} after {JOB_TIMEOUT:.0f} s")
            rows.update(self._wait(jobs, IN_POOL))
            extra += 1
            self.direct.flush(timestamp + extra)
        settled = list(library)
        for request in requests:
            settled += self._settle(request, rows, timestamp)
        if self.on_block:
            self.on_block(settled, time.perf_counter() - started)
        return settled

    # --- routing --------------------------------------------------------------------------------------------

    def _route(self, op: Operation) -> Route | None:
        role = op.sender.label
        if op.contract not in self.programme_of or role not in self.service.keys:
            return None
        for api in self.kinds.values():
            route = api.route(op, role)
            if route is not None:
                return route
        return None

    def _mark(self, via: str) -> None:
        self.via_counts[via] += 1
        self.step_via.add(via)

    def take_step_via(self) -> dict[str, Any]:
        """Since the last call: how the operations went (api, library, api+library, or read: views only), and
        the API requests and jobs they took."""
        marks, self.step_via = self.step_via, set()
        taken = {"via": "+".join(sorted(marks)) or "read", "requests": self.requests - self._step_mark[0],
                 "jobs": self.jobs - self._step_mark[1]}
        self._step_mark = (self.requests, self.jobs)
        return taken

    # --- HTTP -----------------------------------------------------------------------------------------------

    def send(self, method: str, path: str, role: str, **kwargs: Any) -> httpx.Response:
        """One request with the role's key (and an Idempotency-Key for writes); waits out `index-behind`."""
        headers = {"Authorization": f"Bearer {self.service.keys[role]}"}
        if method == "POST":
            headers["Idempotency-Key"] = str(uuid.uuid4())
        deadline = time.monotonic() + INDEX_BEHIND_TIMEOUT
        while True:
            started = time.perf_counter()
            try:
                response = self.http.request(method, path, headers=headers, **kwargs)
            except httpx.TransportError as exc:  # the same Idempotency-Key makes a retry safe
                if time.monotonic() > deadline:
                    raise ReplayError(f"the API did not answer {method} {path}: {exc}") from exc
                time.sleep(0.2)
                continue
            self.requests += 1
            self.latencies.append(time.perf_counter() - started)
            if response.status_code == 409 and "index-behind" in response.text and time.monotonic() < deadline:
                time.sleep(min(float(response.headers.get("Retry-After", "0.2") or 0.2), 0.5))
                headers["Idempotency-Key"] = str(uuid.uuid4())
                continue
            if response.status_code >= 500:
                raise ReplayError(f"the API answered {response.status_code} to {method} {path}: "
                                  f"{response.text[:300]}")
            return response

    def post(self, pendings: list[Pending], path: str, role: str,
             after: Callable[[ApiRequest, list[dict[str, Any]]], None] | None = None,
             split: Callable[[list[Pending], list[Pending]], None] | None = None, **kwargs: Any) -> ApiRequest:
        """POST for queued operations; a 202 gives the request its job(s), anything else its refusal."""
        request = ApiRequest(pendings, after=after, split=split)
        response = self.send("POST", path, role, **kwargs)
        body = response.json() if response.content else {}
        if response.status_code != 202:
            request.refusal = Refusal(pendings[0].operation.key, response.status_code, str(body.get("title", "")),
                                      str(body.get("detail", "")), str(body.get("type", "")))
            self.refusals.append(request.refusal)
            return request
        request.jobs = [j["job_id"] for j in body["jobs"]] if "jobs" in body else [body["job_id"]]
        request.job_rows = [body]
        self.jobs += len(request.jobs)
        return request

    def _wait(self, jobs: list[str], wanted: set[str], stall: float = STALL_SECONDS) -> dict[str, dict[str, Any]]:
        """Poll the jobs until each is in `wanted`, or until none has moved for `stall` seconds."""
        rows: dict[str, dict[str, Any]] = {}
        todo = list(jobs)
        moved = time.monotonic()
        while todo:
            left = []
            for job in todo:
                row = self.send("GET", f"/v1/jobs/{job}", "admin").json()
                if rows.get(job, {}).get("status") != row["status"]:
                    moved = time.monotonic()
                rows[job] = row
                if row["status"] not in wanted:
                    left.append(job)
            todo = left
            if todo:
                if time.monotonic() - moved > stall:
                    break
                time.sleep(0.02)
        return rows

    def _make_requests(self, queue: list[tuple[Pending, Route]]) -> list[ApiRequest]:
        requests: list[ApiRequest] = []
        grouped: dict[tuple[str, Hashable], list[Pending]] = {}
        for pending, route in queue:
            key = next(((name, k) for name, api in self.kinds.items()
                        if (k := api.group(pending)) is not None), None)
            if key is not None:
                grouped.setdefault(key, []).append(pending)
                continue
            request = route([pending])
            if request is not None:
                requests.append(request)
        for (name, group), pendings in grouped.items():
            requests.append(self.kinds[name].grouped(group, pendings))
        return requests

    # --- settling -------------------------------------------------------------------------------------------

    def _settle(self, request: ApiRequest, rows: dict[str, dict[str, Any]], timestamp: int) -> list[Pending]:
        """Fill the operations from their jobs' receipts; returns one settled entry per job (or the refusal)."""
        if request.refusal is not None:
            refusal = request.refusal
            for pending in request.pendings:
                pending.ok = False
                pending.timestamp = timestamp
                pending.error = refusal.contract_error or f"api:{refusal.status} {refusal.title}".strip()
                pending.error_values = {"api": refusal.public()}
            return request.pendings
        settled: list[Pending] = []
        logs: list[dict[str, Any]] = []
        errors: list[str] = []
        op = request.pendings[0].operation
        for job in request.jobs:
            row = rows[job]
            mined = Pending(request.pendings[0].operation, row.get("tx_hash") or "", b"", request.pendings[0].to,
                            _decoder=self.direct.events)
            mined.ok = row["status"] == "confirmed"
            mined.timestamp = timestamp
            if row.get("tx_hash"):
                receipt = self.direct.rpc.call("eth_getTransactionReceipt", [row["tx_hash"]])
                if receipt is not None:
                    mined.gas_used = int(receipt["gasUsed"], 16)
                    mined.block = int(receipt["blockNumber"], 16)
                    mined.logs = receipt["logs"]
                    logs += receipt["logs"]
            if not mined.ok:
                error = row.get("error") or {}
                mined.error = f"{error.get('name', row['status'])} (job {job})"
                errors.append(mined.error)
            if request.split is not None:  # items: the operations this job carried (see the kind's split)
                mined.operation = Operation(op.contract, op.function, op.args, op.sender, items=0)
            elif len(request.jobs) > 1:  # e.g. the approver's token allowance before approveRound
                mined.operation = Operation("api", str(row.get("kind", "job")), (), op.sender)
            mined.operation.expect_revert = op.expect_revert
            settled.append(mined)
        for pending in request.pendings:
            pending.ok = not errors
            pending.error = errors[0] if errors else None
            pending.timestamp = timestamp
            pending.tx_hash = settled[-1].tx_hash if settled else ""
            pending.gas_used = sum(m.gas_used for m in settled) if len(request.pendings) == 1 else 0
            pending.block = max((m.block for m in settled), default=0)
            pending.logs = logs
        if request.after is not None:
            request.after(request, [rows[j] for j in request.jobs])
        if len(request.pendings) == 1 and len(settled) == 1 and request.split is None:
            only = request.pendings[0]
            return [only]
        if settled and request.split is not None:
            request.split(request.pendings, settled)
        return settled

    # --- the end --------------------------------------------------------------------------------------------

    def summary(self) -> dict[str, Any]:
        """What went through the API: operations per path, requests, jobs, refusals, request latency."""
        lat = sorted(self.latencies)

        def pct(p: float) -> float:
            return round(lat[min(len(lat) - 1, int(p * len(lat)))] * 1000, 1) if lat else 0.0

        return {"operations": dict(self.via_counts), "requests": self.requests, "jobs": self.jobs,
                "refusals": [r.public() | {"operation": r.operation} for r in self.refusals],
                "request_ms": {"p50": pct(0.5), "p95": pct(0.95), "max": pct(1.0)},
                "base_url": self.service.base_url}

    def close(self) -> None:
        self.http.close()
