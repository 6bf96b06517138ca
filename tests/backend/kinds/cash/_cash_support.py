"""Helpers for the cash beneficiary and merchant API tests: registration, enrolment, CSV files, wallets, and a
funded, approved voucher round set up directly on chain (the rounds API is tested elsewhere)."""

from __future__ import annotations

import io
from typing import Any

from _domain_support import DAY, USDC, Service, register_contract
from eth_account import Account
from eth_utils import keccak

from pilotkit.accounts.signer import Signer

PERIOD = 30 * DAY


def register(service: Service, alias: str = "CashProgramme") -> str:
    """Register a deployed programme with a fresh admin key; returns its address."""
    return register_contract(service, "programme", alias, f"test {alias}")


def wallet(label: str) -> Signer:
    """A deterministic throw-away wallet with a known key (for signatures)."""
    return Signer(Account.from_key(keccak(text=f"pilotkit api cash test wallet:{label}")), f"wallet:{label}")


def address_of(label: str) -> str:
    return Account.from_key(keccak(text=f"pilotkit api cash test address:{label}")).address


def base(programme: str) -> str:
    return f"/v1/programmes/{programme}/beneficiaries"


def enrol(service: Service, token: str, programme: str, identifier: str, wallet_address: str,
          **kwargs: Any) -> dict[str, Any]:
    """Enrol through the API and wait for the job to confirm; returns the 202 body."""
    response = service.post(base(programme), token, {"identifier": identifier, "wallet": wallet_address}, **kwargs)
    service.confirmed(response, token)
    return response.json()


def lookup(service: Service, token: str, programme: str, identifier: str) -> Any:
    return service.post(f"{base(programme)}/lookup", token, {"identifier": identifier}, idem=None)


def csv_file(rows: list[tuple[str, str]] | list[str], header: str = "identifier,wallet") -> bytes:
    lines = [header] + [r if isinstance(r, str) else f"{r[0]},{r[1]}" for r in rows]
    return ("\n".join(lines) + "\n").encode()


def upload(service: Service, token: str, programme: str, data: bytes, *, idem: str | bool = True,
           filename: str = "people.csv") -> Any:
    return service.post(f"{base(programme)}/bulk", token, idem=idem,
                        files={"file": (filename, io.BytesIO(data), "text/csv")})


def voucher_round(service: Service, indexes: list[int], amount: int = 25 * USDC) -> int:
    """A FlatPush round on the VoucherProgramme, proposed by the disburser and approved (funded) by the approver,
    paid to `indexes` at once (their entitlement grows by `amount`). Sent directly on chain."""
    chain = service.chain
    programme = chain.contracts["VoucherProgramme"]
    token = chain.contracts["TestStablecoin"]
    approver, disburser = chain.signer("approver"), chain.signer("disburser")
    for handle in (programme, token):
        handle.sender.resync_all()  # earlier tests' snapshots were reverted under the cached nonces
    budget = amount * max(1, len(indexes))
    token.approve(programme.address, budget, sender=approver)
    opens = chain.control.window_start(2 * DAY, PERIOD)
    params = (0, budget, amount, opens, opens + 2 * DAY, bytes(32), approver.address, keccak(text=f"plan {opens}"))
    result = programme.proposeRound(params, sender=disburser)
    round_id = int(result.events_named("RoundProposed")[0].args["roundId"])
    programme.approveRound(round_id, sender=approver)
    programme.payFlat(round_id, indexes, sender=disburser)
    return round_id


def wait_all(service: Service, job_ids: list[str], token: str, timeout: float = 120.0) -> list[dict[str, Any]]:
    """Wait for many jobs. Full enrolBatch calls use ~10.5M gas, so Anvil fits two per 30M-gas block and leaves
    the rest pending until the next block; mining one now and then stands in for a chain's regular blocks."""
    import time

    from _domain_support import FINAL

    deadline = time.monotonic() + timeout
    done: dict[str, dict[str, Any]] = {}
    while len(done) < len(job_ids):
        for job_id in job_ids:
            if job_id not in done:
                body = service.get(f"/v1/jobs/{job_id}", token).json()
                if body.get("status") in FINAL:
                    done[job_id] = body
        if len(done) < len(job_ids):
            if time.monotonic() > deadline:
                raise AssertionError(f"{len(job_ids) - len(done)} jobs not final after {timeout}s")
            service.chain.control.mine(1)
            time.sleep(0.2)
    return [done[j] for j in job_ids]
