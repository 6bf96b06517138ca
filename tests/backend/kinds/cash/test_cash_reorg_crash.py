"""A reorg while the service is down: a real `pilotkit serve` process is SIGKILLed after payments and an
enrolment settled, the chain reorganises (`anvil_reorg`, one payment re-included, the rest and the enrolment
dropped) before the service could see it, and the service restarts on the same database.

Afterwards every job says what the chain says (receipt, block, effect), no signer has a nonce gap, the next
payment confirms, every beneficiary is paid exactly once (`isPaid` and Transfer logs), and the API's round
progress, beneficiary list and lookup equal the chain."""

from __future__ import annotations

import time
from pathlib import Path

from _domain_support import ServiceChain
from _rounds_support import AMOUNT, PERIOD, ChainOnly, HttpApi, ServeProcess, enrol, wallet_address
from eth_account import Account
from eth_utils import keccak
from pilotkit_backend.db.engine import make_engine, make_session_factory
from pilotkit_backend.db.migrate import upgrade_database
from pilotkit_backend.platform.auth import create_key
from pilotkit_backend.platform.models.jobs import Job, SignerNonce
from sqlalchemy import select
from sqlalchemy.orm import selectinload

TRANSFER = "0x" + keccak(text="Transfer(address,address,uint256)").hex().removeprefix("0x")
DEPTH = 3


def _jobs(database_url: str) -> list[Job]:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return list(session.execute(select(Job).where(Job.nonce.is_not(None)).options(
                selectinload(Job.attempts)).order_by(Job.signer, Job.nonce)).scalars())
    finally:
        engine.dispose()


def _counters(database_url: str) -> dict[str, int]:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return {row.signer: int(row.next_nonce) for row in session.execute(select(SignerNonce)).scalars()}
    finally:
        engine.dispose()


def _keys(database_url: str, *roles: str) -> dict[str, str]:
    engine = make_engine(database_url)
    try:
        with make_session_factory(engine)() as session:
            return {role: create_key(session, role, [role], None)[1] for role in roles}
    finally:
        engine.dispose()


def test_sigkill_between_a_reorg_and_its_detection(service_chain: ServiceChain, tmp_path: Path) -> None:
    chain = service_chain
    snapshot = chain.control.snapshot()
    chain.deployer.sender.resync_all()
    serve = ServeProcess(f"sqlite:///{tmp_path / 'reorg.db'}", chain.node.url, tmp_path)
    web3 = chain.context.web3
    prog = chain.contracts["CashProgramme"]
    token = chain.contracts["TestStablecoin"]
    try:
        indexes = enrol(ChainOnly(chain), 6)  # type: ignore[arg-type]
        upgrade_database(serve.database_url)
        keys = _keys(serve.database_url, "admin", "disburser", "approver", "registrar")
        disburser, registrar = keys["disburser"], keys["registrar"]
        serve.start()
        api = HttpApi(serve.url)
        programme = chain.address("CashProgramme")
        people = f"/v1/programmes/{programme}/beneficiaries"
        assert api.post("/v1/contracts", keys["admin"], {"kind": "programme", "address": programme,
                                                        "label": "reorg crash"}).status_code == 201
        start = chain.control.window_start(10 * 86400, PERIOD)
        body = {"mode": "push", "amount_per_beneficiary": AMOUNT, "starts_at": start - 60,
                "ends_at": start + 10 * 86400}
        deadline = time.monotonic() + 60
        while True:  # the index must know the six before an all-active plan can be built
            proposal = api.post(f"/v1/programmes/{programme}/rounds", disburser, body)
            if proposal.status_code != 409 or time.monotonic() > deadline:
                break
            time.sleep(0.2)
        assert proposal.status_code == 202, proposal.text
        assert api.wait(proposal.json()["job_id"], disburser)["status"] == "confirmed"
        round_path = f"/v1/programmes/{programme}/rounds/{proposal.json()['round_id']}"
        approval = api.post(f"{round_path}/approve", keys["approver"])
        assert approval.status_code == 202, approval.text
        assert all(api.wait(j["job_id"], keys["approver"])["status"] == "confirmed" for j in approval.json()["jobs"])
        chain_round = int(api.get(round_path, disburser).json()["chain_round_id"])

        payments = []
        for index in indexes[:4]:  # automine: one block each
            one = api.post(f"{round_path}/payments", disburser, {"index": index})
            assert one.status_code == 202, one.text
            assert api.wait(one.json()["job_id"], disburser)["status"] == "confirmed"
            payments.append(one.json()["job_id"])
        zuri = Account.create().address
        enrolled = api.post(people, registrar, {"identifier": "KE-NID 777", "wallet": zuri})
        assert enrolled.status_code == 202, enrolled.text
        assert api.wait(enrolled.json()["job_id"], registrar)["status"] == "confirmed"
        assert api.post(f"{people}/lookup", registrar, {"identifier": "KE-NID 777"},
                        idem=False).json()["status"] == "active"
        count = int(prog.beneficiaryCount())

        serve.kill()  # the service saw everything settle, and nothing after
        head = int(chain.control.block_number())
        jobs = {job.id: job for job in _jobs(serve.database_url)}
        out = [j for j in payments if int(jobs[j].result["block_number"]) > head - DEPTH]  # type: ignore[index]
        assert len(out) == DEPTH - 1  # the enrolment's block is the newest
        raw = next(a.raw_tx for a in jobs[out[0]].attempts if a.tx_hash == jobs[out[0]].tx_hash)
        chain.control.call("anvil_reorg", [DEPTH, [[raw, DEPTH - 1]]])  # one payment re-included
        assert int(prog.beneficiaryCount()) == count - 1
        dropped = [i for i, j in zip(indexes[:4], payments, strict=True) if j in out[1:]]
        assert dropped and not any(prog.isPaid(chain_round, i) for i in dropped)

        began = time.monotonic()
        serve.start()
        restarted = time.monotonic() - began
        nxt = api.post(f"{round_path}/payments", disburser, {"index": indexes[4]})
        assert nxt.status_code == 202, nxt.text

        def state() -> tuple[object, ...]:
            progress = api.get(round_path, disburser).json()["progress"]["beneficiaries_in_confirmed_jobs"]
            paid = sum(bool(prog.isPaid(chain_round, i)) for i in indexes)
            found = api.post(f"{people}/lookup", registrar, {"identifier": "KE-NID 777"}, idem=False).json()
            listed = api.get(f"{people}?status=active&limit=100", registrar).json()["items"]
            return (progress, paid, int(prog.beneficiaryCount()) - count, len(listed), found.get("status"),
                    found.get("index") == int(prog.beneficiaryCount()))

        want = (5, 5, 0, 1, "active", True)
        deadline = time.monotonic() + 60
        while (now := state()) != want:
            assert time.monotonic() < deadline, now
            time.sleep(0.05)
        print(f"SIGKILL, reorg of {DEPTH}, restart ({restarted:.2f} s to /health): consistent API "
              f"{time.monotonic() - began:.2f} s after the restart began")
        assert api.wait(nxt.json()["job_id"], disburser)["status"] == "confirmed"

        for job in _jobs(serve.database_url):  # every job's final state is the chain's
            assert job.status == "confirmed", (job.id, job.kind, job.status, job.error_name)
            receipt = web3.eth.get_transaction_receipt(job.tx_hash)
            assert receipt["status"] == 1 and job.result["block_number"] == receipt["blockNumber"]  # type: ignore[index]
            assert job.result["block_hash"] == "0x" + bytes(receipt["blockHash"]).hex().removeprefix("0x")  # type: ignore[index]
            assert web3.eth.get_transaction(job.tx_hash)["nonce"] == job.nonce
        for job_id in out:
            body = api.get(f"/v1/jobs/{job_id}", disburser).json()
            assert body["status"] == "confirmed" and not body["final"] and len(body["reorgs"]) == 1, body
        by_signer: dict[str, list[int]] = {}
        for job in _jobs(serve.database_url):
            by_signer.setdefault(job.signer, []).append(int(job.nonce or 0))
        counters = _counters(serve.database_url)
        for signer, used in by_signer.items():  # no gap: the chain used every nonce the service handed out
            latest = web3.eth.get_transaction_count(signer, "latest")
            assert web3.eth.get_transaction_count(signer, "pending") == latest
            assert max(used) < latest and counters[signer] == latest, (signer, used, latest, counters)
        again = api.post(f"{round_path}/payments", disburser, {"index": indexes[1]})
        assert again.status_code == 409 and again.json()["title"] == "AlreadyPaid", again.text

        assert [bool(prog.isPaid(chain_round, i)) for i in indexes] == [True] * 5 + [False]
        for n in range(6):  # paid exactly once: one Transfer to each wallet, of the round's amount
            topic = "0x" + "00" * 12 + wallet_address(n)[2:].lower()
            logs = web3.eth.get_logs({"address": token.address, "fromBlock": 0, "toBlock": "latest",
                                      "topics": [TRANSFER, None, topic]})
            assert len(logs) == (1 if n < 5 else 0), (n, logs)
            assert token.balanceOf(wallet_address(n)) == (AMOUNT if n < 5 else 0)
    finally:
        serve.stop()
        chain.control.revert(snapshot)
