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
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

import httpx

from pilotkit.pilots import ReplayError
from pilotkit.pilots.actions import DirectActions, Operation, Pending

if TYPE_CHECKING:
    from pilotkit.pilots.api_service import ApiService
    from pilotkit.pilots.txs import ReplaySigner

FINAL = {"confirmed", "failed", "expired", "cancelled"}
IN_POOL = FINAL | {"sent"}
JOB_TIMEOUT = 120.0
STALL_SECONDS = 2.0
INDEX_BEHIND_TIMEOUT = 60.0
CONTRACT_KINDS = {"CashProgramme": "programme", "EcoCreditRegistry": "credits", "CertificateRegistry": "certificates"}
ISSUER_NAME = "pilotkit replay service issuer"

#: misuse attempt → API refusals (status, title or detail fragment) that are the same refusal as the expected one.
API_EQUIVALENTS: dict[str, list[tuple[int, str]]] = {
    # the API's maker-checker is by API key: the key that proposed a round may not approve it
    "self_approval": [(403, "maker-checker")],
    # the API plans only active beneficiaries and refuses to pay anyone else before sending anything
    "pay_suspended": [(422, "not in this round's approved plan"), (409, "InvalidBeneficiaryStatus")],
}


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
class _Request:
    """One API call made for queued operations; its jobs fill them in once mined."""

    pendings: list[Pending]
    jobs: list[str] = field(default_factory=list)
    refusal: Refusal | None = None
    after: Callable[[_Request, list[dict[str, Any]]], None] | None = None
    job_rows: list[dict[str, Any]] = field(default_factory=list)


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _bytes(value: Any) -> bytes:
    return bytes.fromhex(value[2:]) if isinstance(value, str) else bytes(value)


def _iso(timestamp: int) -> str:
    return datetime.fromtimestamp(int(timestamp), UTC).isoformat()


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
        self._queue: list[tuple[Pending, Callable[[list[Pending]], _Request | None]]] = []
        self.programme_of: dict[str, str] = {}  # actions key → registered address
        self.bid_index: dict[bytes, int] = {}  # the replay's beneficiary id → on-chain index
        self.chain_bid: dict[bytes, bytes] = {}  # the replay's beneficiary id → the id the API put on chain
        self.enrolled = 0
        self.rounds: dict[int, int] = {}  # chain round id → service round id
        self.round_count = 0
        self.disbursed: set[int] = set()
        self.api_docs: set[bytes] = set()  # certificate documents issued through the API
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

    @property
    def funder_address(self) -> str:
        """Rounds funded through the API are pulled from the service's approver signer."""
        return self.service.signer_address("approver")

    def address(self, key: str) -> str:
        return self.direct.address(key)

    def call(self, key: str, function: str, *args: Any) -> tuple[Any, ...]:
        return self.direct.call(key, function, *args)

    def certificate_issuer(self, doc: bytes) -> str | None:
        """The issuer whose record holds a document issued through the API: the service's issuer signer."""
        return self.service.signer_address("issuer") if doc in self.api_docs else None

    def fund(self, addresses: list[str], wei: int) -> None:
        self.direct.fund(addresses, wei)

    def pending_count(self) -> int:
        return self.direct.pending_count() + len(self._queue)

    def deploy(self, key: str, contract: str, args: tuple[Any, ...], sender: ReplaySigner, timestamp: int) -> str:
        """Deploy through the library, queue the service's role grants (mined with the step), register it."""
        from pilotkit_backend.services.bootstrap import role_grants, role_id

        self.direct.on_block = self.on_block
        try:
            address = self.direct.deploy(key, contract, args, sender, timestamp)
        finally:
            self.direct.on_block = None
        self._mark("library")
        kind = CONTRACT_KINDS.get(contract)
        if kind is None:
            return address
        for role, grantee in role_grants(self.service.chain, contract):
            if contract == "CertificateRegistry" and role == "ISSUER_ROLE":
                operation = Operation(key, "accreditIssuer", (grantee, ISSUER_NAME), sender, 600_000)
            else:
                operation = Operation(key, "grantRole", (role_id(role), grantee), sender, 600_000)
            self.direct.submit(operation)
        response = self._send("POST", "/v1/contracts", "admin",
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
            if operation.contract in self.programme_of and self.chain_bid:
                operation.args = tuple(self.chain_bid.get(a, a) if isinstance(a, bytes) else a
                                       for a in operation.args)
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

    def _route(self, op: Operation) -> Callable[[list[Pending]], _Request | None] | None:
        role = op.sender.label
        name = f"{op.contract}.{op.function}"
        if op.contract not in self.programme_of or role not in self.service.keys:
            return None
        if name == "cash.enrolBatch" and role == "registrar":
            return self._enrol
        if name in ("cash.suspend", "cash.reinstate", "cash.remove", "cash.requestWalletRecovery",
                    "cash.executeWalletRecovery", "cash.cancelWalletRecovery") and role == "registrar":
            return self._beneficiary if op.args[0] in self.bid_index else None
        if name == "cash.proposeRound" and int(op.args[0][0]) == 0 and "active" in op.meta:
            return self._propose
        if name in ("cash.approveRound", "cash.cancelRound", "cash.sweep", "cash.payFlat"):
            return self._round_action if int(op.args[0]) in self.rounds else None
        if name == "cash.approveMerchant":
            return self._merchant
        if name == "certs.issue" and role == "issuer":
            return self._issue_certificate
        if name == "certs.issueBatch" and role == "issuer" and "documents" in op.meta:
            return self._issue_batch
        if name in ("certs.revoke", "certs.suspend", "certs.reinstate", "certs.supersede") and role == "issuer":
            return self._certificate_status if op.args[1] in self.api_docs else None
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

    def _send(self, method: str, path: str, role: str, **kwargs: Any) -> httpx.Response:
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

    def _post(self, pendings: list[Pending], path: str, role: str,
              after: Callable[[_Request, list[dict[str, Any]]], None] | None = None, **kwargs: Any) -> _Request:
        request = _Request(pendings, after=after)
        response = self._send("POST", path, role, **kwargs)
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
                row = self._send("GET", f"/v1/jobs/{job}", "admin").json()
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

    def _make_requests(self, queue: list[tuple[Pending, Callable[[list[Pending]], _Request | None]]]
                       ) -> list[_Request]:
        requests: list[_Request] = []
        grouped: dict[int, list[Pending]] = {}
        for pending, route in queue:
            if route == self._round_action and pending.operation.function == "payFlat" \
                    and int(pending.operation.args[0]) not in self.disbursed:
                grouped.setdefault(int(pending.operation.args[0]), []).append(pending)
                continue
            request = route([pending])
            if request is not None:
                requests.append(request)
        for chain_round, pendings in grouped.items():
            self.disbursed.add(chain_round)
            requests.append(self._post(pendings, self._round_path(pendings[0], chain_round, "disburse"), "disburser"))
        return requests

    # --- settling -------------------------------------------------------------------------------------------

    def _settle(self, request: _Request, rows: dict[str, dict[str, Any]], timestamp: int) -> list[Pending]:
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
            if op.function == "payFlat":  # items: the payments this job made (see _split_payments)
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
        if len(request.pendings) == 1 and len(settled) == 1 and request.pendings[0].operation.function != "payFlat":
            only = request.pendings[0]
            return [only]
        if settled and request.pendings[0].operation.function == "payFlat":
            self._split_payments(request.pendings, settled)
        return settled

    def _split_payments(self, pendings: list[Pending], settled: list[Pending]) -> None:
        """Which of each engine batch's beneficiaries the API's confirmed payment jobs carried (read from their
        calldata: `payFlat(roundId, indexes)`), and the events about them; each job counts its own items."""
        from eth_abi import decode as abi_decode

        from pilotkit.pilots.actions import _log_bytes

        carried: set[int] = set()
        for mined in settled:
            tx = self.direct.rpc.call("eth_getTransactionByHash", [mined.tx_hash]) if mined.tx_hash else None
            if tx is None:
                continue
            _, indexes = abi_decode(["uint256", "uint256[]"], bytes.fromhex(tx["input"][10:]))
            mined.operation.items = len(indexes)
            if mined.ok:
                carried.update(int(i) for i in indexes)
        decoder = self.direct.events
        for pending in pendings:
            wanted = {int(i) for i in pending.operation.args[1]}
            pending.operation.meta["api_carried"] = sorted(wanted & carried)
            kept = []
            for log in pending.logs:
                event = decoder.decode_log(_log_bytes(log))
                if event is not None and event.name == "PaymentSkipped" and int(event["index"]) in wanted:
                    kept.append(log)
            pending.logs = kept

    # --- cash -----------------------------------------------------------------------------------------------

    def _programme_path(self, pending: Pending) -> str:
        return f"/v1/programmes/{self.programme_of[pending.operation.contract]}"

    def _enrol(self, pendings: list[Pending]) -> _Request:
        ids, wallets = pendings[0].operation.args
        rows = "".join(f"{_hex(bid)},{wallet}\n" for bid, wallet in zip(ids, wallets, strict=True))
        csv = ("identifier,wallet\n" + rows).encode()
        first = self.enrolled + 1
        self.enrolled += len(ids)
        for offset, bid in enumerate(ids):
            self.bid_index[bid] = first + offset

        def check(request: _Request, jobs: list[dict[str, Any]]) -> None:
            by_index = {int(e["index"]): e["id"] for e in pendings[0].events_named("BeneficiaryEnrolled")}
            for bid in ids:
                if self.bid_index[bid] in by_index:
                    self.chain_bid[bid] = _bytes(by_index[self.bid_index[bid]])
            body = request.job_rows[0]
            if body.get("rejected"):
                pendings[0].ok = False
                pendings[0].error = f"api rejected rows: {body['rejected'][:3]}"
            (count,) = self.direct.call(pendings[0].operation.contract, "beneficiaryCount")
            if pendings[0].ok and int(count) < first + len(ids) - 1:
                pendings[0].ok = False
                pendings[0].error = f"after the enrolment the programme has {count} beneficiaries"

        return self._post(pendings, f"{self._programme_path(pendings[0])}/beneficiaries/bulk", "registrar",
                          after=check, files={"file": ("beneficiaries.csv", csv, "text/csv")})

    def _beneficiary(self, pendings: list[Pending]) -> _Request:
        op = pendings[0].operation
        index = self.bid_index[op.args[0]]
        base = f"{self._programme_path(pendings[0])}/beneficiaries/{index}"
        if op.function in ("suspend", "remove"):
            return self._post(pendings, f"{base}/{op.function}", "registrar", json={"reason_code": int(op.args[1])})
        if op.function == "reinstate":
            return self._post(pendings, f"{base}/reinstate", "registrar", json={})
        if op.function == "requestWalletRecovery":
            return self._post(pendings, f"{base}/wallet-recovery", "registrar", json={"new_wallet": op.args[1]})
        action = "execute" if op.function == "executeWalletRecovery" else "cancel"
        return self._post(pendings, f"{base}/wallet-recovery/{action}", "registrar", json={})

    def _propose(self, pendings: list[Pending]) -> _Request:
        op = pendings[0].operation
        params = op.args[0]
        body = {"mode": "push", "amount_per_beneficiary": str(int(params[2])),
                "beneficiaries": list(op.meta["active"]), "starts_at": _iso(params[3]), "ends_at": _iso(params[4])}

        def learn(request: _Request, jobs: list[dict[str, Any]]) -> None:
            service_id = int(request.job_rows[0]["round_id"])
            row = self._send("GET", f"{self._programme_path(pendings[0])}/rounds/{service_id}", "admin").json()
            chain_round = row.get("chain_round_id")
            if chain_round is None:
                pendings[0].ok = False
                pendings[0].error = pendings[0].error or f"round {service_id} was not proposed on chain"
                return
            self.rounds[int(chain_round)] = service_id

        return self._post(pendings, f"{self._programme_path(pendings[0])}/rounds", op.sender.label, after=learn,
                          json=body)

    def _round_path(self, pending: Pending, chain_round: int, action: str) -> str:
        return f"{self._programme_path(pending)}/rounds/{self.rounds[chain_round]}/{action}"

    def _round_action(self, pendings: list[Pending]) -> _Request | None:
        op = pendings[0].operation
        chain_round = int(op.args[0])
        if op.function == "payFlat":  # a round already disbursed: one payment per beneficiary asked for
            requests = [self._post(pendings, self._round_path(pendings[0], chain_round, "payments"), op.sender.label,
                                   json={"index": int(index)}) for index in op.args[1]]
            merged = _Request(pendings, [j for r in requests for j in r.jobs],
                              next((r.refusal for r in requests if r.refusal), None))
            return merged
        action = {"approveRound": "approve", "cancelRound": "cancel", "sweep": "sweep"}[op.function]
        return self._post(pendings, self._round_path(pendings[0], chain_round, action), op.sender.label)

    def _merchant(self, pendings: list[Pending]) -> _Request:
        address, reference = pendings[0].operation.args
        return self._post(pendings, f"{self._programme_path(pendings[0])}/merchants", "merchant_manager",
                          json={"address": address, "reference": _hex(reference)})

    # --- certificates ---------------------------------------------------------------------------------------

    def _registry_path(self, pending: Pending) -> str:
        return f"/v1/certificate-registries/{self.programme_of[pending.operation.contract]}"

    def _issue_certificate(self, pendings: list[Pending]) -> _Request:
        doc, subject, expires, schema = pendings[0].operation.args
        self.api_docs.add(doc)
        body = {"doc_hash": _hex(doc), "subject": _hex(subject), "expires_at": _iso(expires), "schema_id": _hex(schema)}
        return self._post(pendings, f"{self._registry_path(pendings[0])}/certificates", "issuer", json=body)

    def _issue_batch(self, pendings: list[Pending]) -> _Request:
        op = pendings[0].operation
        root, expires, schema = op.args
        documents: list[bytes] = op.meta["documents"]
        self.api_docs.update(documents)
        body = {"doc_hashes": [_hex(d) for d in documents], "expires_at": _iso(expires), "schema_id": _hex(schema)}
        request = self._post(pendings, f"{self._registry_path(pendings[0])}/batches", "issuer", json=body)
        if request.refusal is None and request.job_rows[0].get("root") != _hex(root):
            raise ReplayError(f"the API built batch root {request.job_rows[0].get('root')}, the replay "
                              f"{_hex(root)}: the proofs would not match")
        return request

    def _certificate_status(self, pendings: list[Pending]) -> _Request:
        op = pendings[0].operation
        base = f"{self._registry_path(pendings[0])}/certificates/{_hex(op.args[1])}/{op.function}"  # args[0]: issuer
        root = {"root": _hex(op.meta["root"])} if op.meta.get("root") else {}
        if op.function in ("revoke", "suspend"):
            return self._post(pendings, base, "issuer", json={"reason_code": int(op.args[3]), **root})
        if op.function == "supersede":
            return self._post(pendings, base, "issuer", json={"replacement": _hex(op.args[3]), **root})
        return self._post(pendings, base, "issuer", json=root)

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
