"""Bulk enrolment by CSV upload: every good row enrolled on chain exactly once, every bad row reported with its
line and reason, nothing half-done; a 100,000-row file through validation and job creation; refusals of
malformed, mistyped and oversized uploads."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from _cash_support import address_of, base, csv_file, enrol, lookup, register, upload, wait_all
from _domain_support import Service, ServiceChain, running_service, sqlite_url
from sqlalchemy import text


def _people(n: int, prefix: str = "person") -> list[tuple[str, str]]:
    return [(f"{prefix}-{i:06d}", address_of(f"{prefix}-{i}")) for i in range(n)]


def test_bulk_file_with_bad_rows_enrols_every_good_row_once(service: Service) -> None:
    programme = register(service)
    registrar = service.key("registrar")
    enrol(service, registrar, programme, "already-here", address_of("already-here"))
    good = _people(1200)
    rows: list[tuple[str, str] | str] = list(good)
    bad = {  # position in rows (0-based data row) -> expected reason fragment
        5: ("", address_of("x5"), "empty"),
        17: ("bad-wallet", "0x1234", "wallet is not"),
        40: ("zero-wallet", "0x" + "00" * 20, "zero address"),
        77: (good[3][0].upper(), address_of("dup-id"), "same identifier as line"),
        90: ("dup-wallet", good[10][1], "same wallet as line"),
        300: ("already-here", address_of("x300"), "already enrolled"),
        650: ("taken-wallet", address_of("already-here"), "wallet is already bound"),
        999: ("too-many", "fields", "expected 2 fields"),
    }
    for position in sorted(bad):  # ascending: each lands at its final position
        identifier, wallet, _ = bad[position]
        rows.insert(position, f"{identifier},{wallet}" if identifier != "too-many" else "a,b,c")
    rows.insert(500, "")  # blank lines are skipped, not counted
    response = upload(service, registrar, programme, csv_file(rows))
    assert response.status_code == 202, response.text[:500]
    body = response.json()
    assert body["rows"] == len(good) + len(bad) and body["accepted"] == len(good)
    assert len(body["jobs"]) == 8  # 1200 rows in batches of MAX_ENROL_BATCH = 150
    expected_lines = {}
    for position, (_, _, reason) in bad.items():
        # header is line 1; the blank line inserted at position 500 shifts later rows by one
        expected_lines[position + 2 + (1 if position >= 500 else 0)] = reason
    got = {r["line"]: r["reason"] for r in body["rejected"]}
    assert set(got) == set(expected_lines)
    for line, reason in expected_lines.items():
        assert reason in got[line], (line, got[line])
    finished = wait_all(service, [j["job_id"] for j in body["jobs"]], registrar)
    assert {j["status"] for j in finished} == {"confirmed"}
    contract = service.chain.contracts["CashProgramme"]
    assert contract.beneficiaryCount() == 1 + len(good)
    wallets = {tuple(contract.beneficiary(i))[0] for i in range(2, 2 + len(good))}
    assert wallets == {w for _, w in good}  # each good row exactly once
    found = lookup(service, registrar, programme, good[1199][0]).json()
    assert found["wallet"] == good[1199][1] and found["status"] == "active"
    page = service.get(f"{base(programme)}?status=active&limit=500", registrar).json()
    assert len(page["items"]) == 500 and page["next_cursor"]
    replay = upload(service, registrar, programme, csv_file(_people(3, "again")), idem=False)
    assert replay.status_code == 400  # Idempotency-Key required


def test_bulk_is_idempotent_and_all_or_nothing(service: Service) -> None:
    programme = register(service)
    registrar = service.key("registrar")
    data = csv_file(_people(20, "idem"))
    first = upload(service, registrar, programme, data, idem="bulk-1")
    second = upload(service, registrar, programme, data, idem="bulk-1")
    assert first.status_code == second.status_code == 202
    assert first.json()["jobs"] == second.json()["jobs"] and second.headers.get("Idempotent-Replayed") == "true"
    assert upload(service, registrar, programme, csv_file(_people(21, "idem")), idem="bulk-1").status_code == 422
    all_bad = upload(service, registrar, programme, csv_file([("x", "nope"), ("", address_of("e"))]))
    assert all_bad.status_code == 422 and [r["line"] for r in all_bad.json()["rejected"]] == [2, 3]
    with service.app.state.session_factory() as session:
        count = session.execute(text("SELECT count(*) FROM cash_beneficiaries")).scalar_one()
        jobs = session.execute(text("SELECT count(*) FROM jobs")).scalar_one()
    assert count == 20 and jobs == 1


@pytest.mark.parametrize(("data", "status", "fragment"), [
    (b"", 422, "empty"),
    (b"name,address\nx,0x" + b"ab" * 20 + b"\n", 422, "header"),
    (b"identifier,wallet\n\"unbalanced,0x" + b"ab" * 20 + b"\n", 422, "malformed"),
    (b"identifier,wallet\n\xff\xfe,0x" + b"ab" * 20 + b"\n", 422, "UTF-8"),
])
def test_malformed_files_are_refused(service: Service, data: bytes, status: int, fragment: str) -> None:
    programme = register(service)
    response = upload(service, service.key("registrar"), programme, data)
    assert response.status_code == status, response.text
    assert fragment in response.json()["detail"]


def test_wrong_content_type_missing_file_and_oversized_bodies(service: Service) -> None:
    programme = register(service)
    registrar = service.key("registrar")
    as_json = service.post(f"{base(programme)}/bulk", registrar, {"file": "identifier,wallet"})
    assert as_json.status_code == 415
    no_file = service.post(f"{base(programme)}/bulk", registrar, data={"other": "x"},
                           files={"x": ("a.csv", io.BytesIO(b"identifier,wallet\n"), "text/csv")})
    assert no_file.status_code == 400 and "'file'" in no_file.json()["detail"]
    limit = service.app.state.settings.max_upload_bytes
    huge = upload(service, registrar, programme, b"identifier,wallet\n" + b"x" * (limit + 10))
    assert huge.status_code == 413
    with service.app.state.session_factory() as session:
        assert session.execute(text("SELECT count(*) FROM jobs")).scalar_one() == 0


@pytest.fixture
def quiet_service(service_chain: ServiceChain, tmp_path: Path) -> Iterator[Service]:
    """The app without its sender and indexer: jobs are created but never sent (validation path only)."""
    snapshot = service_chain.control.snapshot()
    try:
        with running_service(service_chain, sqlite_url(tmp_path), run_workers=False) as started:
            yield started
    finally:
        service_chain.control.revert(snapshot)


def test_a_100000_row_file_is_validated_and_queued(quiet_service: Service) -> None:
    service = quiet_service
    programme = register(service)
    registrar = service.key("registrar")
    rows = [f"id-{i:07d},0x{i:040x}" for i in range(1, 100_001)]
    rows[99] = "id-0000001,0x" + "ff" * 20  # duplicate identifier of line 2
    rows[4999] = "id-bad,0x12"
    response = upload(service, registrar, programme, csv_file(rows))
    assert response.status_code == 202, response.text[:300]
    body = response.json()
    assert body["rows"] == 100_000 and body["accepted"] == 99_998
    assert body["rejected"] == [{"line": 101, "reason": "same identifier as line 2"},
                                {"line": 5001, "reason": "wallet is not an Ethereum address (0x followed by 40 hex "
                                                         "digits)"}]
    assert len(body["jobs"]) == 667  # ceil(99,998 / 150)
    with service.app.state.session_factory() as session:
        assert session.execute(text("SELECT count(*) FROM cash_beneficiaries")).scalar_one() == 99_998
        assert session.execute(text("SELECT count(*) FROM jobs WHERE kind = 'cash.enrol_batch'")).scalar_one() == 667
    too_many = upload(service, registrar, programme, csv_file([f"x{i},0x{i:040x}" for i in range(1, 100_002)]))
    assert too_many.status_code == 422 and "100000" in too_many.json()["detail"]


def test_batch_calldata_and_checksums_match_eth_abi_and_eth_utils(service: Service) -> None:
    import os

    from eth_utils import to_checksum_address
    from pilotkit_backend.kinds.cash.services.beneficiaries import checksum_address, enrol_batch_calldata

    chain = service.chain.context
    for n in (1, 2, 150):
        ids = [os.urandom(32) for _ in range(n)]
        wallets = [to_checksum_address(os.urandom(20)) for _ in range(n)]
        assert enrol_batch_calldata(chain, ids, wallets) == chain.encode("CashProgramme", "enrolBatch", ids, wallets)
    for _ in range(500):
        raw = os.urandom(20).hex()
        assert checksum_address(raw) == to_checksum_address(raw)


def test_enrolment_on_postgresql_bulk_and_racing_duplicates(pg_service: Service) -> None:
    from concurrent.futures import ThreadPoolExecutor

    service = pg_service
    programme = register(service)
    registrar = service.key("registrar")
    rows: list[tuple[str, str] | str] = list(_people(300, "pg"))
    rows.insert(10, "pg-000001,0x" + "ee" * 20)  # duplicate identifier of line 3
    response = upload(service, registrar, programme, csv_file(rows))
    assert response.status_code == 202, response.text[:300]
    body = response.json()
    assert body["accepted"] == 300 and body["rejected"] == [{"line": 12, "reason": "same identifier as line 3"}]
    assert {j["status"] for j in wait_all(service, [j["job_id"] for j in body["jobs"]], registrar)} == {"confirmed"}
    assert lookup(service, registrar, programme, "PG-000299").json()["status"] == "active"
    assert service.chain.contracts["CashProgramme"].beneficiaryCount() == 300

    def attempt(n: int) -> int:
        return service.post(base(programme), registrar, {"identifier": "racer", "wallet": address_of(f"racer{n}")}
                            ).status_code

    with ThreadPoolExecutor(4) as pool:
        statuses = sorted(pool.map(attempt, range(4)))
    assert statuses.count(202) == 1 and set(statuses) <= {202, 409}, statuses
    with service.app.state.session_factory() as session:
        assert session.execute(text("SELECT count(*) FROM jobs WHERE kind = 'cash.enrol'")).scalar_one() == 1


def test_bulk_rejects_people_and_wallets_enrolled_outside_the_api(service: Service) -> None:
    """An enrolment made directly on chain (another registrar account) is seen through the event index."""
    from _cash_support import wallet
    from pilotkit_backend.kinds.cash.services.identity import IdentityKeys
    from pilotkit_backend.platform.bootstrap import role_id

    programme = register(service)
    registrar = service.key("registrar")
    chain = service.chain
    contract = chain.contracts["CashProgramme"]
    outsider = wallet("outside registrar")
    chain.control.set_balance(outsider.address, 10**20)
    contract.sender.resync_all()
    contract.grantRole(role_id("REGISTRAR_ROLE"), outsider.address, sender=chain.admin)
    identity = IdentityKeys(None, service.app.state.session_factory).for_programme(chain.chain_id, programme, True)
    contract.enrol(identity.beneficiary_id("outside person"), address_of("outside wallet"), sender=outsider)
    service.wait_indexed()
    response = upload(service, registrar, programme, csv_file([
        ("Outside Person", address_of("fresh")), ("someone new", address_of("outside wallet")),
        ("fine", address_of("fine"))]))
    assert response.status_code == 202, response.text
    assert response.json()["rejected"] == [
        {"line": 2, "reason": "already enrolled in this programme"},
        {"line": 3, "reason": "wallet is already bound to a beneficiary of this programme"}]
    assert response.json()["accepted"] == 1
