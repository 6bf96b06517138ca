"""A served non-local network set up only with documented commands and endpoints (README: "Reaching a testnet or
another JSON-RPC chain" and "Serving it"), from deployment to a paid round.

Anvil runs as a plain JSON-RPC node (no pilotkit control of it, no dev-account defaults) and is configured as an
`rpc` network in a copy of the project. Every step is a `pilotkit` command run as a subprocess or an HTTP call to
a served `pilotkit serve`: keystore accounts imported from keys, the test token and the core contracts deployed,
the service served with keystore role signers, contracts registered, roles granted, keys made, the approver funded,
beneficiaries enrolled, a round proposed, approved and disbursed; then the chain itself says who was paid.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from web3 import Web3

from pilotkit.accounts.dev import dev_private_keys
from pilotkit.chain.local import AnvilNode
from pilotkit.project import Project

REPO = Path(__file__).resolve().parents[3]
CHAIN_ID = 48_151  # not a local chain id: nothing may treat this node as a development chain
NETWORK = "pilotnet"
AMOUNT = 25_000_000  # 25 tUSD per beneficiary
PEOPLE = 4
FINAL = {"confirmed", "failed", "expired", "cancelled"}
PERIOD = 30 * 24 * 60 * 60  # scripts/deploy_core.py's cap period
#: keystore accounts: name -> dev key index (the node's funded accounts stand in for the team's own keys)
ACCOUNTS = {"field-ops": 0, "field-reg": 1, "finance": 2}
ERC20_ABI: list[dict[str, Any]] = [{"name": "balanceOf", "type": "function", "stateMutability": "view",
              "inputs": [{"name": "a", "type": "address"}], "outputs": [{"name": "", "type": "uint256"}]}]
PROGRAMME_ABI: list[dict[str, Any]] = [{"name": "isPaid", "type": "function", "stateMutability": "view",
                  "inputs": [{"name": "r", "type": "uint256"}, {"name": "i", "type": "uint256"}],
                  "outputs": [{"name": "", "type": "bool"}]}]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def node() -> Iterator[AnvilNode]:
    """A plain Anvil JSON-RPC node on 127.0.0.1 (HTTP only), stopped afterwards."""
    anvil = AnvilNode(chain_id=CHAIN_ID, ipc=False, project_root=REPO).start()
    try:
        yield anvil
    finally:
        anvil.stop()


@pytest.fixture
def project(node: AnvilNode, service_project: Project, tmp_path: Path) -> Path:
    """A copy of the project whose pilotkit.toml has an `rpc` network for the node. The build is the suite's
    (`service_project` compiles it once; the network targets the same EVM), so the copy compiles nothing."""
    copy = tmp_path / "pilot"
    copy.mkdir()
    for folder in ("contracts", "scripts", "build"):
        if (REPO / folder).exists():
            shutil.copytree(REPO / folder, copy / folder, symlinks=True)
    (copy / "node_modules").symlink_to(REPO / "node_modules")
    config = (REPO / "pilotkit.toml").read_text()
    config += (f'\n[networks.{NETWORK}]\nkind = "rpc"\nurl = "${{PILOTNET_RPC_URL}}"\nchain_id = {CHAIN_ID}\n'
               'evm_version = "prague"\nconfirmations = 1\n')
    (copy / "pilotkit.toml").write_text(config)
    return copy


class Pilot:
    """The operator's shell: an environment of exported variables and `pilotkit` commands run in the project."""

    def __init__(self, project: Path, node: AnvilNode) -> None:
        self.project = project
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("PILOTKIT")}
        self.env.update({"PILOTNET_RPC_URL": node.url, "PILOTKIT_KEYSTORE_DIR": str(project / "keystore")})
        for name in ACCOUNTS:
            self.env[f"PILOTKIT_PASSWORD_{name.upper().replace('-', '_')}"] = f"pw-{name}-{uuid.uuid4().hex[:8]}"

    def run(self, *args: str, extra: dict[str, str] | None = None) -> str:
        began = time.monotonic()
        done = subprocess.run([sys.executable, "-m", "pilotkit", *args], cwd=self.project,
                              env={**self.env, **(extra or {})}, capture_output=True, text=True, timeout=180)
        assert done.returncode == 0, f"pilotkit {' '.join(args)}\n{done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr
        print(f"  {time.monotonic() - began:5.1f} s  pilotkit {' '.join(args[:2])}")
        return done.stdout


class Api:
    def __init__(self, base: str) -> None:
        self.client = httpx.Client(base_url=base, timeout=30)

    def get(self, path: str, token: str) -> httpx.Response:
        return self.client.get(path, headers={"Authorization": f"Bearer {token}"})

    def post(self, path: str, token: str, body: Any = None) -> httpx.Response:
        return self.client.post(path, json=body, headers={"Authorization": f"Bearer {token}",
                                                          "Idempotency-Key": str(uuid.uuid4())})

    def wait(self, job_id: str, token: str, timeout: float = 60.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while True:
            body = self.get(f"/v1/jobs/{job_id}", token).json()
            if body.get("status") in FINAL:
                assert body["status"] == "confirmed", body
                return body
            assert time.monotonic() < deadline, f"job {job_id} not final after {timeout}s: {body}"
            time.sleep(0.05)

    def write(self, path: str, token: str, body: Any = None) -> dict[str, Any]:
        """A 202 write whose job(s) all confirm; returns the answer."""
        response = self.post(path, token, body)
        assert response.status_code == 202, response.text
        answer = response.json()
        for job in answer.get("jobs") or [answer]:
            self.wait(job["job_id"], token)
        return answer


def _address(output: str, alias: str) -> str:
    """The address a `pilotkit deploy` / `pilotkit run` printed for `alias`."""
    for line in output.splitlines():
        words = line.replace(":", " ").split()
        if alias in words:
            found = [w for w in words if w.startswith("0x") and len(w) == 42]
            if found:
                return found[0]
    raise AssertionError(f"no address for {alias} in:\n{output}")


def test_rpc_network_from_deployment_to_a_paid_round(node: AnvilNode, project: Path) -> None:
    started = time.monotonic()
    pilot = Pilot(project, node)
    keys = dev_private_keys(len(ACCOUNTS))
    addresses = {}
    for name, index in ACCOUNTS.items():  # pilotkit accounts import NAME (key from $PILOTKIT_IMPORT_KEY)
        out = pilot.run("accounts", "import", name, extra={"PILOTKIT_IMPORT_KEY": keys[index]})
        addresses[name] = _address(out, name)
    admin = addresses["field-ops"]

    # deployment: the test token first (a real network pays in an existing ERC-20), then the core contracts
    out = pilot.run("deploy", "TestStablecoin", "Test USD", "tUSD", admin, "--network", NETWORK,
                    "--account", "field-ops")
    token = _address(out, "TestStablecoin")
    pilot.env["PILOTKIT_SETTLEMENT_TOKEN"] = token
    out = pilot.run("run", "scripts/deploy_core.py", "--network", NETWORK, "--account", "field-ops")
    programme = _address(out, "CashProgramme")
    assert (project / "deployments" / f"{CHAIN_ID}.json").is_file()

    # serving it: the environment of the README's "Serving it", the first admin key on the server's database
    pilot.env.update({
        "PILOTKIT_API_NETWORK": NETWORK, "PILOTKIT_API_IDENTITY_KEY": os.urandom(32).hex(),
        "PILOTKIT_API_DATABASE_URL": "sqlite:///pilotkit-api.db",
        "PILOTKIT_API_ROLE_SIGNERS": json.dumps({"admin": "field-ops", "registrar": "field-reg",
                                                 "disburser": "field-reg", "approver": "finance"}),
        "PILOTKIT_API_SIGNER_ACCOUNT": "field-ops",
    })
    out = pilot.run("api-key", "create", "--label", "ops lead", "--scope", "admin", "--scope", "auditor")
    admin_key = next(word for word in out.split() if word.startswith("pk_"))
    port = _free_port()
    service = subprocess.Popen([sys.executable, "-m", "pilotkit", "serve", "--network", NETWORK, "--port", str(port)],
                               cwd=project, env=pilot.env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    api = Api(f"http://127.0.0.1:{port}")
    try:
        deadline = time.monotonic() + 90
        while True:
            assert service.poll() is None, service.communicate()
            try:
                health = api.client.get("/health", timeout=2)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the service did not answer /health"
                time.sleep(0.1)
        assert health.status_code == 200, health.text
        registered = api.post("/v1/contracts", admin_key, {"kind": "programme", "address": programme,
                                                           "label": "pilot cash"})
        assert registered.status_code == 201, registered.text

        assert "plan: 5 grant(s)" in pilot.run("roles", "plan", "--network", NETWORK)
        assert "5 grant(s) sent" in pilot.run("roles", "grant", "--network", NETWORK, "--account", "field-ops", "--yes")

        journal = json.loads((project / "deployments" / f"{CHAIN_ID}.json").read_text())["extra"]["role_grants"]
        assert journal["pending"] == {} and len(journal["done"]) == 5  # journaled in the network's record
        signers = api.get("/v1/signers", admin_key)
        assert signers.status_code == 200, signers.text
        assert signers.json()["warnings"] == [], signers.text  # every role granted, gas money enough
        by_role = _signers_by_role(signers.json())
        assert by_role["registrar"] == addresses["field-reg"] and by_role["approver"] == addresses["finance"]
        approver = by_role["approver"]

        # the approver funds rounds: test money minted to it by the token's minter
        budget = AMOUNT * PEOPLE
        pilot.run("run", "scripts/mint_test_funds.py", "--network", NETWORK, "--account", "field-ops",
                  extra={"PILOTKIT_MINT_TO": approver, "PILOTKIT_MINT_AMOUNT": str(budget)})

        made = {}
        for scope in ("registrar", "disburser", "approver"):
            created = api.post("/v1/keys", admin_key, {"label": f"field {scope}", "scopes": [scope],
                                                       "binding": f"programme:{programme}"})
            assert created.status_code == 201, created.text
            made[scope] = created.json()["secret"]

        wallets = [Web3.to_checksum_address(f"0x{0xbe00 + n:040x}") for n in range(PEOPLE)]
        base = f"/v1/programmes/{programme}"
        for n, wallet in enumerate(wallets):
            api.write(f"{base}/beneficiaries", made["registrar"], {"identifier": f"PN-{n:06d}", "wallet": wallet})

        now = node_time(node)
        ends = min(now + 3600, (now // PERIOD + 1) * PERIOD)
        assert ends - now > 60, "the cap period ends within a minute; run again"
        body = {"mode": "push", "amount_per_beneficiary": str(AMOUNT), "beneficiaries": "all-active",
                "starts_at": now - 30, "ends_at": ends}
        deadline = time.monotonic() + 30
        while True:  # 409 index-behind while the indexer has not seen every enrolment yet
            response = api.post(f"{base}/rounds", made["disburser"], body)
            if response.status_code != 409:
                break
            assert time.monotonic() < deadline, response.text
            time.sleep(float(response.headers.get("Retry-After", "0.2")))
        assert response.status_code == 202, response.text
        api.wait(response.json()["job_id"], made["disburser"])
        round_id = response.json()["round_id"]
        assert response.json()["beneficiaries"] == PEOPLE
        api.write(f"{base}/rounds/{round_id}/approve", made["approver"])
        api.write(f"{base}/rounds/{round_id}/disburse", made["disburser"])
        again = api.post(f"{base}/rounds/{round_id}/disburse", made["disburser"])
        assert again.status_code == 202 and again.json()["beneficiaries_queued"] == 0, again.text

        chain_round = api.get(f"{base}/rounds/{round_id}", made["disburser"]).json()["chain_round_id"]
        web3 = Web3(Web3.HTTPProvider(node.url))
        erc20 = web3.eth.contract(address=Web3.to_checksum_address(token), abi=ERC20_ABI)
        cash = web3.eth.contract(address=Web3.to_checksum_address(programme), abi=PROGRAMME_ABI)
        assert [erc20.functions.balanceOf(w).call() for w in wallets] == [AMOUNT] * PEOPLE  # each paid once
        listed = api.get(f"{base}/beneficiaries", made["registrar"]).json()["items"]
        assert sorted(item["wallet"] for item in listed) == sorted(wallets)
        assert all(cash.functions.isPaid(chain_round, item["index"]).call() for item in listed)
        assert erc20.functions.balanceOf(approver).call() == 0
        assert erc20.functions.balanceOf(programme).call() == 0
    finally:
        api.client.close()
        service.send_signal(signal.SIGTERM)
        try:
            out, err = service.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            service.kill()
            out, err = service.communicate()
    assert service.returncode == 0, err
    assert "Traceback" not in err
    print(f"set-up to a paid round in {time.monotonic() - started:.1f} s")


def _signers_by_role(body: Any) -> dict[str, str]:
    """role -> address from GET /v1/signers."""
    return {role: signer["address"] for signer in body["signers"] for role in signer["signing_roles"]}


def node_time(node: AnvilNode) -> int:
    return int(Web3(Web3.HTTPProvider(node.url)).eth.get_block("latest")["timestamp"])
