"""A reorg after payments and an enrolment settled: the service re-sends what the chain lost, and round progress,
"already being paid", the beneficiary list and the lookup follow the chain back (then forward again)."""

from __future__ import annotations

import time

import pytest
from _cash_support import address_of, base, lookup
from _domain_support import Service
from _rounds_support import AMOUNT, enrol, flat_body, open_round, register, rounds_path, wallet_address
from pilotkit_backend.platform.models.jobs import Job


def _raw_of(service: Service, job_id: str) -> tuple[str, int]:
    with service.app.state.session_factory() as session:
        job = session.get(Job, job_id)
        attempt = next(a for a in job.attempts if a.tx_hash == job.tx_hash)
        return attempt.raw_tx, int(job.result["block_number"])


@pytest.mark.parametrize("depth", [3])
def test_reorged_out_payments_and_enrolment_are_sent_again_and_the_api_follows(service: Service,
                                                                                depth: int) -> None:
    programme = register(service)
    indexes = enrol(service, 6)
    round_id, disburser, _ = open_round(service, programme, flat_body(service))
    prog = service.chain.contracts["CashProgramme"]
    token = service.chain.contracts["TestStablecoin"]
    control = service.chain.control
    registrar = service.key("registrar")
    chain_round = int(service.get(rounds_path(programme, round_id), disburser).json()["chain_round_id"])

    jobs = []
    for index in indexes[:4]:  # automine: one block each
        one = service.post(rounds_path(programme, round_id, "/payments"), disburser, {"index": index})
        jobs.append(service.confirmed(one, disburser)["id"])
    enrolled = service.post(base(programme), registrar, {"identifier": "KE-NID 777", "wallet": address_of("zuri")})
    service.confirmed(enrolled, registrar)
    assert lookup(service, registrar, programme, "KE-NID 777").json()["status"] == "active"
    count = int(prog.beneficiaryCount())

    head = int(control.block_number())
    payments_out = [j for j in jobs if _raw_of(service, j)[1] > head - depth]
    assert len(payments_out) == depth - 1  # the enrolment's block is the newest
    raws = [_raw_of(service, j)[0] for j in payments_out]
    began = time.monotonic()
    control.call("anvil_reorg", [depth, [[raws[0], depth - 1]]])  # one payment re-included, the rest dropped
    assert int(prog.beneficiaryCount()) == count - 1
    dropped = [i for i, j in zip(indexes[:4], jobs, strict=True) if j in payments_out[1:]]
    assert not any(prog.isPaid(chain_round, i) for i in dropped)

    nxt = service.post(rounds_path(programme, round_id, "/payments"), disburser, {"index": indexes[4]})
    assert nxt.status_code == 202, nxt.text

    def consistent() -> bool:
        progress = service.get(rounds_path(programme, round_id), disburser).json()["progress"]
        paid = [i for i in indexes if prog.isPaid(chain_round, i)]
        found = lookup(service, registrar, programme, "KE-NID 777").json()
        listed = service.get(f"{base(programme)}?status=active&limit=100", registrar).json()["items"]
        return (progress["beneficiaries_in_confirmed_jobs"] == len(paid) == 5
                and int(prog.beneficiaryCount()) == count and len(listed) == 1  # the one the API enrolled
                and found["status"] == "active" and found["index"] == int(prog.beneficiaryCount()))

    deadline = time.monotonic() + 30
    while not consistent():
        assert time.monotonic() < deadline, (
            service.get(rounds_path(programme, round_id), disburser).json()["progress"],
            [i for i in indexes if prog.isPaid(chain_round, i)],
            lookup(service, registrar, programme, "KE-NID 777").json(),
            len(service.get(f"{base(programme)}?status=active&limit=100", registrar).json()["items"]),
            int(prog.beneficiaryCount()), count)
        time.sleep(0.05)
    print(f"reorg of {depth} blocks to a consistent API: {time.monotonic() - began:.2f} s")
    assert service.wait(nxt.json()["job_id"], disburser)["status"] == "confirmed"
    for n in range(5):  # each paid exactly once: the Transfer amounts a wallet holds
        assert token.balanceOf(wallet_address(n)) == AMOUNT
    again = service.post(rounds_path(programme, round_id, "/payments"), disburser, {"index": indexes[1]})
    assert again.status_code == 409 and again.json()["title"] == "AlreadyPaid"
    for job_id in payments_out:
        body = service.get(f"/v1/jobs/{job_id}", disburser).json()
        assert body["status"] == "confirmed" and not body["final"] and len(body["reorgs"]) == 1
        assert body["reorgs"][0]["status_before"] == "confirmed"


STATUS_AFTER = {"suspend": "suspended", "reinstate": "active", "remove": "removed"}


@pytest.mark.parametrize("action", ["suspend", "reinstate", "remove"])
def test_a_reorged_out_status_change_is_undone_in_the_list_until_it_is_mined_again(service: Service,
                                                                                     action: str) -> None:
    from _cash_support import enrol as enrol_api

    programme = register(service)
    registrar = service.key("registrar")
    control = service.chain.control
    prog = service.chain.contracts["CashProgramme"]
    enrol_api(service, registrar, programme, "KE-NID 888", address_of("yaw"))
    index = lookup(service, registrar, programme, "KE-NID 888").json()["index"]
    path = f"{base(programme)}/{index}"
    if action == "reinstate":
        service.confirmed(service.post(f"{path}/suspend", registrar, {"reason_code": 3}), registrar)
    body = {} if action == "reinstate" else {"reason_code": 4}
    before = service.get(path, registrar).json()["status"]
    job = service.confirmed(service.post(f"{path}/{action}", registrar, body), registrar)

    def listed() -> str:
        items = service.get(f"{base(programme)}?limit=100", registrar).json()["items"]
        return str(next(i["status"] for i in items if i["beneficiary_id"] == found["beneficiary_id"]))

    found = lookup(service, registrar, programme, "KE-NID 888").json()
    assert listed() == STATUS_AFTER[action]  # the stored record, settled from the confirmed change
    control.set_automine(False)
    try:
        control.call("anvil_reorg", [1, []])  # the change is gone; its re-broadcast waits in the pool
        assert int(prog.beneficiary(index)[1]) != {"suspended": 2, "active": 1, "removed": 3}[STATUS_AFTER[action]]
        deadline = time.monotonic() + 30
        while service.get(f"/v1/jobs/{job['id']}", registrar).json()["status"] != "sent":
            assert time.monotonic() < deadline, "the reorg was not seen"
            time.sleep(0.05)
        assert listed() == before  # the list's stored record follows the chain back
        assert service.get(path, registrar).json()["status"] == before
    finally:
        control.set_automine(True)
    control.mine(1)
    assert service.wait(job["id"], registrar)["status"] == "confirmed"
    deadline = time.monotonic() + 30
    while listed() != STATUS_AFTER[action]:  # and forward again once the change is mined again
        assert time.monotonic() < deadline, listed()
        time.sleep(0.05)
