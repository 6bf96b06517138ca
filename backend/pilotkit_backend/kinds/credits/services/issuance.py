"""Eco-credit writes: register projects, issue batches, freeze/unfreeze, transfer and retire from custody.

Custody model: the service signs only as its role signers. Credits the service moves sit in the custody
account, the signer of the `admin` role (`CUSTODY_ROLE`; operators point it at a dedicated account with
`role_signers={"admin": ...}`). Batches are minted to the holder named in the request, or to custody when none
is named; transfers and retirements through the API always leave custody. Holders with their own wallets
transfer and retire on chain themselves; the event index (and so every list and summary) shows that too.

Every write pre-flights as the signer that will send it (a refusal is a 4xx named after the contract error,
and nothing is queued), then queues one job in the request's transaction (the route commits it together with
the Idempotency-Key record). Freeze and unfreeze jobs carry an exact effect check (`isFrozen`), issuance an
effect check on its serial range; project registration and issuance cannot happen twice on chain (duplicate
project, serial overlap), so a retried request can never double them.
"""

from __future__ import annotations

from dataclasses import dataclass

from eth_utils import to_checksum_address
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilotkit.contracts.reverts import ContractRevert
from pilotkit_backend.core.config import Settings
from pilotkit_backend.core.problems import NotFound, Unprocessable
from pilotkit_backend.kinds.credits.models import CreditBeneficiary, CreditIssuance
from pilotkit_backend.kinds.credits.services import beneficiary as beneficiaries
from pilotkit_backend.kinds.credits.services import serials
from pilotkit_backend.platform.auth import AuthenticatedKey
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.job_queue import TRUE_WORD, make_effect_check
from pilotkit_backend.platform.models.jobs import Job
from pilotkit_backend.platform.models.registry import RegisteredContract
from pilotkit_backend.platform.writes import Call, submit

CONTRACT = "EcoCreditRegistry"
CUSTODY_ROLE = "admin"
FALSE_WORD = "0x" + "00" * 32


def custody_address(chain: ChainContext) -> str:
    """The account holding the credits the service moves (the `admin` role's signer)."""
    return chain.signer_for(CUSTODY_ROLE).address


def short_string(text: str) -> bytes:
    """A bytes32 short string: ASCII, right-padded with zeros (callers validated 1..32 printable characters)."""
    return text.encode("ascii").ljust(32, b"\0")


def hex32(value: str) -> bytes:
    return bytes.fromhex(value[2:])


@dataclass(frozen=True)
class ProjectInput:
    registry_code: str
    external_id: str
    methodology: str
    country: str
    metadata_uri: str
    metadata_hash: str


@dataclass(frozen=True)
class BatchInput:
    project_id: int
    vintage_start: int
    vintage_end: int
    serial_start: int
    serial_end: int
    evidence_hash: str
    holder: str


@dataclass(frozen=True)
class IssuedBatch:
    job: Job
    placement: serials.Placement
    holder: str
    amount: int


def _submit(session: Session, ref: str, chain: ChainContext, settings: Settings, key: AuthenticatedKey,
            row: RegisteredContract, call: Call, *, preflight: bool = True) -> Job:
    return submit(session, chain, settings, call, api_key_id=key.id, object_address=row.address,
                  ref=ref, preflight=preflight)


def register_project(session: Session, ref: str, chain: ChainContext, settings: Settings, key: AuthenticatedKey,
                     row: RegisteredContract, project: ProjectInput) -> Job:
    """Queue `registerProject` as the admin signer (409 ProjectAlreadyRegistered for a known one)."""
    struct = (short_string(project.registry_code), short_string(project.external_id),
              short_string(project.methodology), project.country.encode("ascii"), hex32(project.metadata_hash),
              project.metadata_uri)
    data = chain.encode(CONTRACT, "registerProject", struct)
    call = Call("credits.register_project", "admin", row.address, data)
    return _submit(session, ref, chain, settings, key, row, call)


def _lock_registry(session: Session, row: RegisteredContract) -> None:
    """Serialise issuances per registry until commit: row lock on PostgreSQL (SQLite: the insert's write lock)."""
    session.execute(select(RegisteredContract.address).where(
        RegisteredContract.chain_id == row.chain_id, RegisteredContract.address == row.address).with_for_update())


def issue_batch(session: Session, ref: str, chain: ChainContext, settings: Settings, key: AuthenticatedKey,
                row: RegisteredContract, batch: BatchInput) -> IssuedBatch:
    """Queue `issueBatch` as the verifier signer with a serial hint computed here (module docstring of
    credits_serials); the serial range is recorded so later batches account for it while it is queued."""
    project = chain.call(row.address, CONTRACT, "project", batch.project_id)  # ProjectNotFound → 4xx
    code = str(project["registry"]).lower()
    issuance = CreditIssuance(chain_id=chain.chain_id, registry_address=row.address, registry_code=code,
                              project_id=batch.project_id, serial_start=str(batch.serial_start),
                              serial_end=str(batch.serial_end), created_by_key=key.id)
    session.add(issuance)
    session.flush()  # SQLite: takes the write lock now, so concurrent issuances wait for this one's commit
    _lock_registry(session, row)
    params = (batch.project_id, batch.vintage_start, batch.vintage_end, batch.serial_start, batch.serial_end,
              hex32(batch.evidence_hash), batch.holder)
    placement = _preflighted_placement(chain, session, row, code, batch, params, issuance.id)
    data = chain.encode(CONTRACT, "issueBatch", params, placement.hint)
    check = make_effect_check(row.address, chain.encode(CONTRACT, "serialRange", hex32(code), batch.serial_start),
                              serials.range_effect_expect(batch.serial_end, placement.successor))
    call = Call("credits.issue_batch", "verifier", row.address, data, check)
    job = _submit(session, ref, chain, settings, key, row, call, preflight=False)
    issuance.job_id = job.id
    session.flush()
    return IssuedBatch(job, placement, batch.holder, batch.serial_end - batch.serial_start + 1)


def _preflighted_placement(chain: ChainContext, session: Session, row: RegisteredContract, code: str,
                           batch: BatchInput, params: tuple[object, ...], own_id: int) -> serials.Placement:
    """A placement whose issuance the contract accepts now: with the queue-aware hint, or (while the queued
    predecessor is not mined) with the chain's hint. A batch mined between reading the chain and pre-flighting
    can stale both; then the placement is computed again (at most three times)."""
    last: ContractRevert | None = None
    for _ in range(3):
        placement = serials.place(chain, session.get_bind(), session, row.address, code,  # type: ignore[arg-type]
                                  batch.serial_start, batch.serial_end, exclude=own_id)
        for hint in dict.fromkeys((placement.hint, placement.chain_hint)):
            try:
                chain.preflight("verifier", row.address, chain.encode(CONTRACT, "issueBatch", params, hint))
                return placement
            except ContractRevert as exc:
                if exc.error_name != "InvalidSerialHint":
                    raise
                last = exc
    assert last is not None
    raise last


def set_frozen(session: Session, ref: str, chain: ChainContext, settings: Settings, key: AuthenticatedKey,
               row: RegisteredContract, batch_id: int, reason_code: int, frozen: bool) -> Job:
    """Queue `freezeBatch` as the verifier signer, `unfreezeBatch` as the admin signer (the contract refuses an
    unfreeze by the batch's own issuing verifier, which is the service's verifier: review finding 3); 404 for an
    unknown batch."""
    function = "freezeBatch" if frozen else "unfreezeBatch"
    data = chain.encode(CONTRACT, function, batch_id, reason_code)
    check = make_effect_check(row.address, chain.encode(CONTRACT, "isFrozen", batch_id),
                              TRUE_WORD if frozen else FALSE_WORD)
    call = Call("credits.freeze" if frozen else "credits.unfreeze", "verifier" if frozen else "admin", row.address,
                data, check)
    try:
        return _submit(session, ref, chain, settings, key, row, call)
    except ContractRevert as exc:
        if exc.error_name == "BatchNotFound":
            raise NotFound("no such batch") from None
        raise


def transfer(session: Session, ref: str, chain: ChainContext, settings: Settings, key: AuthenticatedKey,
             row: RegisteredContract, batch_id: int, amount: int, to: str) -> Job:
    """Queue `safeTransferFrom(custody, to, batch, amount)` as the custody signer (422 BatchNotFound for an
    unknown batch, which ERC-1155 alone would report as an insufficient balance)."""
    custody = custody_address(chain)
    if to_checksum_address(to) == custody:
        raise Unprocessable("to is the custody account itself; name another holder")
    chain.call(row.address, CONTRACT, "batch", batch_id)
    data = chain.encode(CONTRACT, "safeTransferFrom", custody, to_checksum_address(to), batch_id, amount, b"")
    return _submit(session, ref, chain, settings, key, row, Call("credits.transfer", CUSTODY_ROLE, row.address, data))


def retire(session: Session, ref: str, chain: ChainContext, settings: Settings, key: AuthenticatedKey,
           row: RegisteredContract, batch_id: int, amount: int, beneficiary_name: str | None,
           reason: str) -> tuple[Job, str]:
    """Queue `retire(batch, amount, beneficiary hash, reason)` from custody; keep the readable name off chain.

    Returns the job and the on-chain beneficiary value (zero when no beneficiary is named).
    """
    salt: bytes | None = None
    value = beneficiaries.NO_BENEFICIARY
    if beneficiary_name is not None:
        hash_key = beneficiaries.beneficiary_key(settings, chain, session.get_bind(),  # type: ignore[arg-type]
                                                 row.address)
        salt = beneficiaries.new_salt()
        value = beneficiaries.beneficiary_hash(hash_key, salt, beneficiary_name)
    data = chain.encode(CONTRACT, "retire", batch_id, amount, hex32(value), reason)
    job = _submit(session, ref, chain, settings, key, row, Call("credits.retire", CUSTODY_ROLE, row.address, data))
    if beneficiary_name is not None and salt is not None:
        session.add(CreditBeneficiary(
            chain_id=chain.chain_id, registry_address=row.address, job_id=job.id, beneficiary_hash=value,
            display_name=beneficiaries.canonical_name(beneficiary_name), salt="0x" + salt.hex(),
            created_by_key=key.id))
        session.flush()
    return job, value


def set_allowlist_enabled(session: Session, ref: str, chain: ChainContext, settings: Settings, key: AuthenticatedKey,
                          row: RegisteredContract, enabled: bool) -> Job:
    """Queue `setHolderAllowlistEnabled` as the admin signer (effect check: `holderAllowlistEnabled`)."""
    data = chain.encode(CONTRACT, "setHolderAllowlistEnabled", enabled)
    check = make_effect_check(row.address, chain.encode(CONTRACT, "holderAllowlistEnabled"),
                              TRUE_WORD if enabled else FALSE_WORD)
    call = Call("credits.allowlist_enabled", "admin", row.address, data, check)
    return _submit(session, ref, chain, settings, key, row, call)


def set_allowlisted(session: Session, ref: str, chain: ChainContext, settings: Settings, key: AuthenticatedKey,
                    row: RegisteredContract, holders: list[str], allowed: bool) -> Job:
    """Queue `setHolderAllowlisted(holders, allowed)` as the admin signer."""
    addresses = [to_checksum_address(h) for h in holders]
    data = chain.encode(CONTRACT, "setHolderAllowlisted", addresses, allowed)
    check = make_effect_check(row.address, chain.encode(CONTRACT, "isHolderAllowlisted", addresses[-1]),
                              TRUE_WORD if allowed else FALSE_WORD)
    call = Call("credits.allowlist", "admin", row.address, data, check)
    return _submit(session, ref, chain, settings, key, row, call)
