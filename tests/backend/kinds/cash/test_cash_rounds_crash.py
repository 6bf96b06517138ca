"""Killing the service mid-batch: a real `pilotkit serve` process is SIGKILLed while push batches paying 1,000
beneficiaries are in flight, then restarted on the same database. Afterwards exactly 1,000 are paid, none
twice, and every job in the database says what the chain says."""

from __future__ import annotations

import time
from pathlib import Path

from _domain_support import ServiceChain
from _rounds_support import AMOUNT, PERIOD, ChainOnly, HttpApi, ServeProcess, enrol, wallet_address
from pilotkit_backend.db.engine import make_engine, make_session_factory
from pilotkit_backend.db.migrate import upgrade_database
from pilotkit_backend.platform.auth import create_key
from pilotkit_backend.platform.models.jobs import Job
from sqlalchemy import select

N = 1000


def _jobs(database_url: str) -> list[Job]:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return list(session.execute(select(Job).where(Job.kind == "cash.round.pay_batch")).scalars())
    finally:
        engine.dispose()


def test_sigkill_mid_batch_then_restart_pays_1000_exactly_once(service_chain: ServiceChain, tmp_path: Path) -> None:
    chain = service_chain
    snapshot = chain.control.snapshot()
    chain.deployer.sender.resync_all()
    serve = ServeProcess(f"sqlite:///{tmp_path / 'crash.db'}", chain.node.url, tmp_path)
    try:
        indexes = enrol(ChainOnly(chain), N)  # type: ignore[arg-type]
        upgrade_database(serve.database_url)
        engine = make_engine(serve.database_url)
        with make_session_factory(engine)() as session:
            admin = create_key(session, "admin", ["admin"], None)[1]
            disburser = create_key(session, "ops", ["disburser"], None)[1]
            approver = create_key(session, "finance", ["approver"], None)[1]
        engine.dispose()
        serve.start()
        api = HttpApi(serve.url)
        programme = chain.address("CashProgramme")
        assert api.post("/v1/contracts", admin, {"kind": "programme", "address": programme,
                                                 "label": "crash"}).status_code == 201
        start = chain.control.window_start(10 * 86400, PERIOD)
        body = {"mode": "push", "amount_per_beneficiary": AMOUNT, "starts_at": start - 60,
                "ends_at": start + 10 * 86400}
        deadline = time.monotonic() + 60
        while True:  # the index must know all 1,000 before an all-active plan can be built
            proposal = api.post(f"/v1/programmes/{programme}/rounds", disburser, body)
            if proposal.status_code != 409 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert proposal.status_code == 202, proposal.text
        assert api.wait(proposal.json()["job_id"], disburser)["status"] == "confirmed"
        round_path = f"/v1/programmes/{programme}/rounds/{proposal.json()['round_id']}"
        approval = api.post(f"{round_path}/approve", approver)
        assert approval.status_code == 202, approval.text
        assert all(api.wait(j["job_id"], approver)["status"] == "confirmed" for j in approval.json()["jobs"])
        chain_round = api.get(round_path, approver).json()["chain_round_id"]

        chain.control.set_automine(False)
        try:
            disburse = api.post(f"{round_path}/disburse", disburser)
            assert disburse.status_code == 202, disburse.text
            job_ids = [j["job_id"] for j in disburse.json()["jobs"]]
            assert len(job_ids) == 4
            deadline = time.monotonic() + 30
            while sum(j.status == "sent" for j in _jobs(serve.database_url)) < 2:
                assert time.monotonic() < deadline, "no batch was sent"
                time.sleep(0.02)
            chain.control.mine(1)  # some batches mined, the service has not seen their receipts yet
            serve.kill()
            states = sorted(j.status for j in _jobs(serve.database_url))
            assert not all(s == "confirmed" for s in states), states  # killed mid-way, not after the fact
            print("job states at SIGKILL:", states)
        finally:
            chain.control.set_automine(True)
        chain.control.mine(1)

        serve.start()
        finals = [api.wait(job_id, disburser, timeout=90) for job_id in job_ids]
        assert [f["status"] for f in finals] == ["confirmed"] * 4, finals

        prog = chain.contracts["CashProgramme"]
        token = chain.contracts["TestStablecoin"]
        assert all(prog.isPaid(chain_round, i) for i in indexes)
        assert all(token.balanceOf(wallet_address(n)) == AMOUNT for n in range(N))  # none paid twice
        detail = api.get(round_path, approver).json()
        assert detail["paid"] == str(N * AMOUNT) and detail["remaining"] == "0"
        assert detail["progress"]["beneficiaries_in_confirmed_jobs"] == N
        web3 = chain.context.web3
        for job in _jobs(serve.database_url):  # the database says what the chain says
            receipt = web3.eth.get_transaction_receipt(job.tx_hash)
            assert receipt["status"] == 1 and job.status == "confirmed"
            assert job.result["block_number"] == receipt["blockNumber"]
        again = api.post(f"{round_path}/disburse", disburser)
        assert again.status_code == 202 and again.json()["beneficiaries_queued"] == 0
    finally:
        serve.stop()
        chain.control.revert(snapshot)
