"""`--via api` for the cash kind: enrolment, beneficiary statuses and recovery, rounds, payments, merchants.

Routes to `/v1/programmes/{address}/...`. The API signs with its own role accounts and puts its own beneficiary
ids on chain, so this part learns the on-chain index and id of every beneficiary it enrols (`bid_index`,
`chain_bid`) and the service id of every round it proposes (`rounds`).

Claim rounds: the proposal lists the replay's recipients (`include_suspended` when some are suspended, as the
library's plan has them) and its Merkle cap (`claim_cap`), so the API's root is the replay's (checked); the
cap is stored with `…/claim-cap`, claims relayed by the relayer go to `…/claims`; claims a beneficiary sends
from its own wallet stay on the library path.
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import TYPE_CHECKING, Any

from pilotkit.pilots.api_kit import ApiRequest, KindApi, bytes_, hex_, iso
from pilotkit.pilots.kinds.cash.state import NAME

if TYPE_CHECKING:
    from pilotkit.pilots.actions import Operation, Pending
    from pilotkit.pilots.api_kit import ApiClient, Route

BENEFICIARY_FUNCTIONS = ("suspend", "reinstate", "remove", "requestWalletRecovery", "confirmWalletRecovery",
                         "executeWalletRecovery",
                         "cancelWalletRecovery")
ROUND_FUNCTIONS = ("approveRound", "cancelRound", "sweep", "payFlat", "claimFor")
CLAIM = 2  # RoundKind.MerkleClaim

#: misuse attempt → API refusals (status, title or detail fragment) that are the same refusal as the expected one.
API_EQUIVALENTS: dict[str, list[tuple[int, str]]] = {
    # the API's maker-checker is by API key: the key that proposed a round may not approve it
    "self_approval": [(403, "maker-checker")],
    # the API plans only active beneficiaries and refuses to pay anyone else before sending anything
    "pay_suspended": [(422, "not in this round's approved plan"), (409, "InvalidBeneficiaryStatus")],
}


class CashApi(KindApi):
    contracts = {"CashProgramme": "programme"}

    def __init__(self, client: ApiClient) -> None:
        super().__init__(client)
        self.bid_index: dict[bytes, int] = {}  # the replay's beneficiary id → on-chain index
        self.chain_bid: dict[bytes, bytes] = {}  # the replay's beneficiary id → the id the API put on chain
        self.enrolled = 0
        self.rounds: dict[int, int] = {}  # chain round id → service round id
        self.disbursed: set[int] = set()

    @property
    def funder_address(self) -> str:
        """Rounds funded through the API are pulled from the service's approver signer."""
        address: str = self.client.service.signer_address("approver")
        return address

    # --- routing --------------------------------------------------------------------------------------------

    def route(self, op: Operation, role: str) -> Route | None:
        if op.contract != NAME:
            return None
        if op.function == "enrolBatch" and role == "registrar":
            return self._enrol
        if op.function in BENEFICIARY_FUNCTIONS and role == "registrar":
            return self._beneficiary if op.args[0] in self.bid_index else None
        if op.function == "proposeRound" and self._plannable(op):
            return self._propose
        if op.function in ROUND_FUNCTIONS:
            return self._round_action if int(op.args[0]) in self.rounds else None
        if op.function == "setClaimCap" and role == "disburser" and int(op.args[0]) in self.rounds:
            return self._claim_cap
        if op.function == "approveMerchant":
            return self._merchant
        return None

    @staticmethod
    def _plannable(op: Operation) -> bool:
        """A push round with its active beneficiaries, or a claim round with its recipients (a plan of its own)."""
        kind = int(op.args[0][0])
        if kind == 0:
            return "active" in op.meta
        return kind == CLAIM and op.meta.get("recipients") is not None

    def library(self, op: Operation) -> None:
        """A registered contract's call on the library path names beneficiaries by the ids the API put on chain."""
        if op.contract in self.client.programme_of and self.chain_bid:
            op.args = tuple(self.chain_bid.get(a, a) if isinstance(a, bytes) else a for a in op.args)

    def group(self, pending: Pending) -> Hashable | None:
        """A round's first payments go as one disbursement of its plan; its cap chunks as one `…/claim-cap`."""
        op = pending.operation
        if op.contract == NAME and op.function == "payFlat" and int(op.args[0]) not in self.disbursed:
            return int(op.args[0])
        if op.contract == NAME and op.function == "setClaimCap":
            return ("claim-cap", int(op.args[0]))
        return None

    def grouped(self, key: Hashable, pendings: list[Pending]) -> ApiRequest:
        if isinstance(key, tuple):
            return self._claim_cap(pendings)
        assert isinstance(key, int)
        self.disbursed.add(key)
        return self.client.post(pendings, self._round_path(pendings[0], key, "disburse"), "disburser",
                                split=self._split_payments)

    # --- requests -------------------------------------------------------------------------------------------

    def _programme_path(self, pending: Pending) -> str:
        return f"/v1/programmes/{self.client.programme_of[pending.operation.contract]}"

    def _enrol(self, pendings: list[Pending]) -> ApiRequest:
        ids, wallets = pendings[0].operation.args
        rows = "".join(f"{hex_(bid)},{wallet}\n" for bid, wallet in zip(ids, wallets, strict=True))
        csv = ("identifier,wallet\n" + rows).encode()
        first = self.enrolled + 1
        self.enrolled += len(ids)
        for offset, bid in enumerate(ids):
            self.bid_index[bid] = first + offset

        def check(request: ApiRequest, jobs: list[dict[str, Any]]) -> None:
            by_index = {int(e["index"]): e["id"] for e in pendings[0].events_named("BeneficiaryEnrolled")}
            for bid in ids:
                if self.bid_index[bid] in by_index:
                    self.chain_bid[bid] = bytes_(by_index[self.bid_index[bid]])
            body = request.job_rows[0]
            if body.get("rejected"):
                pendings[0].ok = False
                pendings[0].error = f"api rejected rows: {body['rejected'][:3]}"
            (count,) = self.client.direct.call(pendings[0].operation.contract, "beneficiaryCount")
            if pendings[0].ok and int(count) < first + len(ids) - 1:
                pendings[0].ok = False
                pendings[0].error = f"after the enrolment the programme has {count} beneficiaries"

        return self.client.post(pendings, f"{self._programme_path(pendings[0])}/beneficiaries/bulk", "registrar",
                                after=check, files={"file": ("beneficiaries.csv", csv, "text/csv")})

    def _beneficiary(self, pendings: list[Pending]) -> ApiRequest:
        op = pendings[0].operation
        index = self.bid_index[op.args[0]]
        base = f"{self._programme_path(pendings[0])}/beneficiaries/{index}"
        post = self.client.post
        if op.function in ("suspend", "remove"):
            return post(pendings, f"{base}/{op.function}", "registrar", json={"reason_code": int(op.args[1])})
        if op.function == "reinstate":
            return post(pendings, f"{base}/reinstate", "registrar", json={})
        if op.function == "requestWalletRecovery":
            return post(pendings, f"{base}/wallet-recovery", "registrar", json={"new_wallet": op.args[1]})
        if op.function == "confirmWalletRecovery":
            return post(pendings, f"{base}/wallet-recovery/confirm", "approver", json={})
        action = "execute" if op.function == "executeWalletRecovery" else "cancel"
        return post(pendings, f"{base}/wallet-recovery/{action}", "registrar", json={})

    def _propose(self, pendings: list[Pending]) -> ApiRequest:
        op = pendings[0].operation
        params = op.args[0]
        body: dict[str, Any] = {"mode": "push", "amount_per_beneficiary": str(int(params[2])),
                                "beneficiaries": list(op.meta["active"]), "starts_at": iso(params[3]),
                                "ends_at": iso(params[4])}
        claim = int(params[0]) == CLAIM
        if claim:  # the library's plan: every recipient, suspended ones too (the contract refuses their claims)
            recipients = list(op.meta["recipients"])
            body |= {"mode": "claim", "beneficiaries": recipients}
            if len(op.meta["active"]) < len(recipients):
                body["include_suspended"] = True
            if int(op.meta.get("cap", 1)) > 1:
                body["claim_cap"] = int(op.meta["cap"])

        def learn(request: ApiRequest, jobs: list[dict[str, Any]]) -> None:
            if claim and request.job_rows[0].get("root") != hex_(params[5]):
                pendings[0].ok = False
                pendings[0].error = (f"the API's claim root {request.job_rows[0].get('root')} is not the replay's "
                                     f"{hex_(params[5])}")
                return
            service_id = int(request.job_rows[0]["round_id"])
            row = self.client.send("GET", f"{self._programme_path(pendings[0])}/rounds/{service_id}", "admin").json()
            chain_round = row.get("chain_round_id")
            if chain_round is None:
                pendings[0].ok = False
                pendings[0].error = pendings[0].error or f"round {service_id} was not proposed on chain"
                return
            self.rounds[int(chain_round)] = service_id

        return self.client.post(pendings, f"{self._programme_path(pendings[0])}/rounds", op.sender.label,
                                after=learn, json=body)

    def _round_path(self, pending: Pending, chain_round: int, action: str) -> str:
        return f"{self._programme_path(pending)}/rounds/{self.rounds[chain_round]}/{action}"

    def _round_action(self, pendings: list[Pending]) -> ApiRequest | None:
        op = pendings[0].operation
        chain_round = int(op.args[0])
        if op.function == "payFlat":  # a round already disbursed: one payment per beneficiary asked for
            requests = [self.client.post(pendings, self._round_path(pendings[0], chain_round, "payments"),
                                         op.sender.label, json={"index": int(index)}) for index in op.args[1]]
            return ApiRequest(pendings, [j for r in requests for j in r.jobs],
                              next((r.refusal for r in requests if r.refusal), None), split=self._split_payments)
        if op.function == "claimFor":  # a relayed claim: the beneficiary's signature, the API's proof and gas
            _, index, amount, _proof, deadline, signature = op.args
            body = {"index": int(index), "amount": str(int(amount)), "deadline": int(deadline),
                    "signature": hex_(signature)}
            return self.client.post(pendings, self._round_path(pendings[0], chain_round, "claims"), op.sender.label,
                                    json=body)
        action = {"approveRound": "approve", "cancelRound": "cancel", "sweep": "sweep"}[op.function]
        return self.client.post(pendings, self._round_path(pendings[0], chain_round, action), op.sender.label)

    def _claim_cap(self, pendings: list[Pending]) -> ApiRequest:
        """The round's `setClaimCap` chunks: the API stores the cap its proposal declared (its own chunks)."""
        chain_round = int(pendings[0].operation.args[0])
        return self.client.post(pendings, self._round_path(pendings[0], chain_round, "claim-cap"), "disburser")

    def _merchant(self, pendings: list[Pending]) -> ApiRequest:
        address, reference = pendings[0].operation.args
        return self.client.post(pendings, f"{self._programme_path(pendings[0])}/merchants", "merchant_manager",
                                json={"address": address, "reference": hex_(reference)})

    def _split_payments(self, pendings: list[Pending], settled: list[Pending]) -> None:
        """Which of each engine batch's beneficiaries the API's confirmed payment jobs carried (read from their
        calldata: `payFlat(roundId, indexes)`), and the events about them; each job counts its own items."""
        from eth_abi import decode as abi_decode

        from pilotkit.pilots.actions import _log_bytes

        direct = self.client.direct
        carried: set[int] = set()
        for mined in settled:
            tx = direct.rpc.call("eth_getTransactionByHash", [mined.tx_hash]) if mined.tx_hash else None
            if tx is None:
                continue
            _, indexes = abi_decode(["uint256", "uint256[]"], bytes.fromhex(tx["input"][10:]))
            mined.operation.items = len(indexes)
            if mined.ok:
                carried.update(int(i) for i in indexes)
        decoder = direct.events
        for pending in pendings:
            wanted = {int(i) for i in pending.operation.args[1]}
            pending.operation.meta["api_carried"] = sorted(wanted & carried)
            kept = []
            for log in pending.logs:
                event = decoder.decode_log(_log_bytes(log))
                if event is not None and event.name == "PaymentSkipped" and int(event["index"]) in wanted:
                    kept.append(log)
            pending.logs = kept
