"""Helpers for the CashProgramme suites: roles, enums, round parameters, wallets, signatures."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import IntEnum
from typing import Any

from eth_account import Account
from eth_utils import keccak

from pilotkit.accounts.signer import Signer
from pilotkit.cash_claims import beneficiary_id, claim_typed_data, spend_typed_data
from pilotkit.chain.control import ChainControl
from pilotkit.chain.transactions import TxResult
from pilotkit.contracts.handle import ContractHandle, revert_data

ZERO_ADDRESS = "0x" + "00" * 20
ZERO32 = bytes(32)
ADMIN_ROLE = ZERO32
REGISTRAR_ROLE = keccak(text="REGISTRAR_ROLE")
DISBURSER_ROLE = keccak(text="DISBURSER_ROLE")
APPROVER_ROLE = keccak(text="APPROVER_ROLE")
PAUSER_ROLE = keccak(text="PAUSER_ROLE")
MERCHANT_MANAGER_ROLE = keccak(text="MERCHANT_MANAGER_ROLE")
MINTER_ROLE = keccak(text="MINTER_ROLE")
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141

USDC = 10**6
DAY = 24 * 60 * 60
PERIOD = 30 * DAY
# Round windows must lie in one cap period: every test starts ALIGNED seconds into a fresh period (see
# conftest.py), so a round opening now and lasting up to PERIOD - ALIGNED fits; LONG is "open all test long".
ALIGNED = 2 * DAY
LONG = 20 * DAY
RECOVERY_DELAY = 3 * DAY
PERIOD_CAP = 10_000 * USDC
AMOUNT = 25 * USDC
SECRET = keccak(text="pilotkit cash tests: programme secret (never use a guessable secret)")
FUNDING = 10**15  # base units minted to the funder (1e9 tUSD)
N_BENEFICIARIES = 6
MAX_BATCH = 250
MAX_ENROL_BATCH = 150
MAX_CLAIM_CAP = 1024
MAX_LIVE_CLAIM_ROUNDS = 32


class Kind(IntEnum):
    """ICashProgramme.RoundKind."""

    FlatPush = 0
    ListPush = 1
    MerkleClaim = 2


class RoundStatus(IntEnum):
    """ICashProgramme.RoundStatus."""

    NONE = 0
    Proposed = 1
    Approved = 2
    Cancelled = 3
    Closed = 4


class BStatus(IntEnum):
    """ICashProgramme.BeneficiaryStatus."""

    NONE = 0
    Active = 1
    Suspended = 2
    Removed = 3


class Skip(IntEnum):
    """ICashProgramme.SkipReason."""

    NotActive = 0
    AlreadyPaid = 1


ROUND_FIELDS = (
    "kind",
    "status",
    "proposer",
    "funder",
    "budget",
    "amount",
    "remaining",
    "paid",
    "swept",
    "opensAt",
    "closesAt",
    "period",
    "root",
    "capSize",
)


def person(label: str) -> bytes:
    """The keyed-hash id of a made-up person (the raw identifier never reaches the chain)."""
    return beneficiary_id(SECRET, f"test-person:{label}")


def make_wallet(label: str) -> Signer:
    """A deterministic throw-away wallet (not one of the dev accounts)."""
    return Signer(Account.from_key(keccak(text=f"pilotkit cash test wallet:{label}")), f"wallet:{label}")


def address_of(label: str) -> str:
    """A deterministic address nobody holds a key for in these tests (cheap fresh wallets)."""
    return Account.from_key(keccak(text=f"pilotkit cash test address:{label}")).address


@dataclass(frozen=True)
class Roles:
    """Who plays which part. `stranger` holds no role; `relayer` only relays signatures."""

    admin: Signer
    registrar: Signer
    disburser: Signer
    approver: Signer
    pauser: Signer
    merchant_manager: Signer
    funder: Signer
    relayer: Signer
    stranger: Signer
    merchant: Signer

    @classmethod
    def from_accounts(cls, accounts: list[Signer]) -> Roles:
        return cls(*accounts[:10])


@dataclass
class Cash:
    """One deployed programme with its token, roles and enrolled beneficiaries (index i+1 = wallets[i])."""

    token: ContractHandle
    prog: ContractHandle
    roles: Roles
    wallets: list[Signer]
    ids: list[bytes]
    chain_id: int
    voucher: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    def wallet(self, index: int) -> Signer:
        return self.wallets[index - 1]

    def id(self, index: int) -> bytes:
        return self.ids[index - 1]


def round_params(
    kind: Kind,
    budget: int,
    amount: int,
    opens_at: int,
    closes_at: int,
    root: bytes = ZERO32,
    funder: str = ZERO_ADDRESS,
    plan: bytes = ZERO32,
) -> tuple[Any, ...]:
    """A RoundParams tuple."""
    return (int(kind), budget, amount, opens_at, closes_at, root, funder, plan)


def propose(
    cash: Cash,
    chain: ChainControl,
    kind: Kind = Kind.FlatPush,
    *,
    budget: int = 10 * AMOUNT,
    amount: int = AMOUNT,
    root: bytes = ZERO32,
    opens_in: int = 0,
    lasts: int = 7 * DAY,
    sender: Signer | None = None,
    funder: Signer | None = None,
) -> int:
    """Proposes a round opening `opens_in` seconds from now; returns its id."""
    now = chain.time()
    params = round_params(
        kind,
        budget,
        amount,
        now + opens_in,
        now + opens_in + lasts,
        root,
        (funder or cash.roles.funder).address,
        keccak(text=f"plan:{now}:{budget}"),
    )
    result = cash.prog.proposeRound(params, sender=sender or cash.roles.disburser)
    return int(result.events_named("RoundProposed")[0].args["roundId"])


def open_round(cash: Cash, chain: ChainControl, kind: Kind = Kind.FlatPush, **kwargs: Any) -> int:
    """Proposes (by the disburser) and approves (by the approver) a round; returns its id."""
    round_id = propose(cash, chain, kind, **kwargs)
    cash.prog.approveRound(round_id, sender=cash.roles.approver)
    return round_id


def round_info(prog: ContractHandle, round_id: int) -> dict[str, Any]:
    """`round(id)` as a dict."""
    return dict(zip(ROUND_FIELDS, prog.round(round_id), strict=True))


def sign_claim(
    cash: Cash,
    wallet: Signer,
    round_id: int,
    index: int,
    amount: int,
    deadline: int,
    *,
    chain_id: int | None = None,
    contract: str | None = None,
) -> bytes:
    """The wallet's EIP-712 signature for claimFor."""
    data = claim_typed_data(
        chain_id if chain_id is not None else cash.chain_id,
        contract or cash.prog.address,
        round_id,
        index,
        amount,
        deadline,
    )
    return bytes(wallet.sign_typed_data(data).signature)


def sign_spend(
    cash: Cash,
    wallet: Signer,
    index: int,
    merchant: str,
    amount: int,
    nonce: int,
    deadline: int,
    *,
    chain_id: int | None = None,
    contract: str | None = None,
) -> bytes:
    """The wallet's EIP-712 signature for spendFor."""
    data = spend_typed_data(
        chain_id if chain_id is not None else cash.chain_id,
        contract or cash.prog.address,
        index,
        merchant,
        amount,
        nonce,
        deadline,
    )
    return bytes(wallet.sign_typed_data(data).signature)


def malleate(signature: bytes) -> bytes:
    """The same ECDSA signature with s -> n - s and v flipped: valid for ecrecover, rejected as high-s."""
    r, s, v = signature[:32], int.from_bytes(signature[32:64], "big"), signature[64]
    return r + (SECP256K1_N - s).to_bytes(32, "big") + bytes([55 - v])  # 27 <-> 28


def balance(cash: Cash, who: Any) -> int:
    return int(cash.token.balanceOf(getattr(who, "address", who)))


def contract_name(handle: ContractHandle) -> str:
    """The handle's contract name (`contract_name`; `name` in older pilotkit versions)."""
    return str(handle.__dict__.get("contract_name") or handle.__dict__.get("name") or "contract")


def period_of(timestamp: int) -> int:
    """The cap period of a timestamp (the programmes here use PERIOD)."""
    return timestamp // PERIOD


def align_clock(chain: ChainControl, offset: int = ALIGNED) -> int:
    """Mines a block `offset` seconds into the next cap period; returns its timestamp."""
    target = (period_of(chain.time()) + 1) * PERIOD + offset
    chain.mine(1, timestamp=target)
    return target


def transact_at(
    chain: ChainControl,
    timestamp: int,
    handle: ContractHandle,
    function: str,
    *args: Any,
    sender: Signer,
    gas: int = 3_000_000,
) -> TxResult:
    """Sends `handle.function(*args)` in a block mined exactly at `timestamp` (no gas estimate, so boundary
    seconds are tested as mined). A revert raises the contract's named error, decoded by replaying the call on
    that block."""
    tx = handle.sender.prepare(sender, {"to": handle.address, "data": handle.encode(function, *args), "gas": gas})
    with chain.no_automine():
        tx_hash, raw = handle.sender.sign(sender, tx)
        handle.sender.broadcast(sender, tx_hash, raw)
        chain.mine(1, timestamp=timestamp)
    receipt = handle.web3.eth.get_transaction_receipt(tx_hash)
    block = handle.web3.eth.get_block(receipt["blockNumber"])
    assert int(block["timestamp"]) == timestamp, f"mined at {block['timestamp']}, wanted {timestamp}"
    if int(receipt["status"]) != 1:
        call = {"from": sender.address, "to": handle.address, "data": tx["data"]}
        try:
            handle.web3.eth.call(call, block_identifier=receipt["blockNumber"])
        except Exception as exc:
            data = revert_data(exc)
            if data is not None:
                label = f"{contract_name(handle)}.{function}"
                raise handle.error_decoder.decode(data, function=label) from None
            raise
        raise AssertionError(f"{function} failed at {timestamp} but its replay succeeded")
    return TxResult(tx_hash, receipt, handle.event_decoder.decode_receipt(receipt))


ETH = 10**18


def build_programme(
    deploy,
    chain: ChainControl,
    accounts,
    *,
    voucher: bool,
    tag: str,
    beneficiaries: int = N_BENEFICIARIES,
    token_contract: str = "TestStablecoin",
) -> Cash:
    """Deploys and sets up one programme: its token (TestStablecoin, or a test-only mock whose constructor takes
    no argument), every role held by a different dev account, a funded funder that approved the programme, and
    `beneficiaries` enrolled wallets funded with ETH (see tests/contracts/cash/conftest.py)."""
    roles = Roles.from_accounts(accounts)
    admin = roles.admin
    if token_contract == "TestStablecoin":
        token = deploy("TestStablecoin", "Test USD", "tUSD", admin.address, sender=admin)
    else:
        token = deploy(token_contract, sender=admin)
    config = (admin.address, token.address, voucher, RECOVERY_DELAY, PERIOD, PERIOD_CAP)
    prog = deploy("CashProgramme", config, sender=admin)
    for role, holder in (
        (REGISTRAR_ROLE, roles.registrar),
        (DISBURSER_ROLE, roles.disburser),
        (APPROVER_ROLE, roles.approver),
        (PAUSER_ROLE, roles.pauser),
        (MERCHANT_MANAGER_ROLE, roles.merchant_manager),
    ):
        prog.grantRole(role, holder.address, sender=admin)
    token.mint(roles.funder.address, FUNDING, sender=admin)
    token.approve(prog.address, 2**256 - 1, sender=roles.funder)
    wallets = [make_wallet(f"{tag}-{i}") for i in range(1, beneficiaries + 1)]
    for wallet in wallets:
        chain.set_balance(wallet.address, 100 * ETH)
    ids = [person(f"{tag}-{i}") for i in range(1, beneficiaries + 1)]
    prog.enrolBatch(ids, [w.address for w in wallets], sender=roles.registrar)
    if voucher:
        prog.approveMerchant(roles.merchant.address, keccak(text="merchant:corner-shop"), sender=roles.merchant_manager)
    return Cash(
        token=token,
        prog=prog,
        roles=roles,
        wallets=wallets,
        ids=ids,
        chain_id=int(prog.web3.eth.chain_id),
        voucher=voucher,
    )
