"""What the rounds services read from a CashProgramme: round views, beneficiary statuses from the index, the
settlement token (plain ERC-20 calls), and refusals named after the contract error they predict.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import to_checksum_address
from sqlalchemy import Engine, Table, select

from pilotkit_backend.core.problems import ContractRejected, ProblemError, contract_status
from pilotkit_backend.platform.chain_context import ChainContext, ChainUnavailable
from pilotkit_backend.platform.models.index import IndexedEvent
from pilotkit_backend.platform.runtime import INDEXER_NAME

PROGRAMME = "CashProgramme"
MAX_BATCH = 250  # CashProgramme.MAX_BATCH
ROUND_STATUSES = ("none", "proposed", "approved", "cancelled", "closed")
BENEFICIARY_STATUSES = ("none", "active", "suspended", "removed")
_STATUS_EVENTS = {
    "BeneficiaryEnrolled": "active",
    "BeneficiarySuspended": "suspended",
    "BeneficiaryReinstated": "active",
    "BeneficiaryRemoved": "removed",
}
_EVENTS = IndexedEvent.__table__
assert isinstance(_EVENTS, Table)

# ERC-20 selectors (the settlement token may be any ERC-20, so no compiled ABI is needed)
_APPROVE = "0x095ea7b3"
_ALLOWANCE = "0xdd62ed3e"
_BALANCE_OF = "0x70a08231"


def refusal(name: str, detail: str, **extra: Any) -> ProblemError:
    """A refusal named after the contract error the call would revert with (same type/title/status as a revert)."""
    return ContractRejected(detail, status=contract_status(name), type_=f"/problems/contract/{name}", title=name,
                            extra={"contract_error": name, **extra})


def index_behind(detail: str) -> ProblemError:
    return ProblemError(detail, status=409, type_="/problems/index-behind", title="Event index catching up",
                        headers={"Retry-After": "2"})


@dataclass(frozen=True)
class RoundView:
    """`CashProgramme.round(id)` in plain values."""

    kind: int
    status: str
    proposer: str
    funder: str
    budget: int
    amount: int
    remaining: int
    paid: int
    swept: int
    opens_at: int
    closes_at: int
    period: int
    root: str
    cap_size: int


def round_view(chain: ChainContext, programme: str, round_id: int) -> RoundView:
    info = chain.call(programme, PROGRAMME, "round", round_id)
    return RoundView(int(info["kind"]), ROUND_STATUSES[int(info["status"])], info["proposer"], info["funder"],
                     int(info["budget"]), int(info["amount"]), int(info["remaining"]), int(info["paid"]),
                     int(info["swept"]), int(info["opensAt"]), int(info["closesAt"]), int(info["period"]),
                     info["root"], int(info["capSize"]))


def chain_time(chain: ChainContext) -> int:
    """Timestamp of the latest block (what the contract compares windows and deadlines with)."""
    try:
        return int(chain.web3.eth.get_block("latest")["timestamp"])
    except Exception as exc:
        raise ChainUnavailable(f"the chain did not answer ({type(exc).__name__})") from None


def beneficiary_status(chain: ChainContext, programme: str, index: int) -> str:
    _, status, _ = chain.call(programme, PROGRAMME, "beneficiary", index)
    return BENEFICIARY_STATUSES[int(status)]


def indexed_statuses(engine: Engine, chain: ChainContext, programme: str) -> dict[int, str]:
    """Every enrolled index's status from the indexed events (409 while the index lags behind the chain)."""
    statement = (select(_EVENTS.c.name, _EVENTS.c.args)
                 .where(_EVENTS.c.chain_id == chain.chain_id, _EVENTS.c.indexer == INDEXER_NAME,
                        _EVENTS.c.contract == to_checksum_address(programme),
                        _EVENTS.c.name.in_(list(_STATUS_EVENTS)))
                 .order_by(_EVENTS.c.block_number, _EVENTS.c.log_index))
    import json

    statuses: dict[int, str] = {}
    with engine.connect() as conn:
        for name, text in conn.execution_options(yield_per=5000).execute(statement):
            statuses[int(json.loads(text)["index"])] = _STATUS_EVENTS[name]
    on_chain = int(chain.call(programme, PROGRAMME, "beneficiaryCount"))
    if len(statuses) < on_chain:
        raise index_behind(f"the event index knows {len(statuses)} of the programme's {on_chain} beneficiaries; "
                           "retry in a few seconds")
    return statuses


def token_of(chain: ChainContext, programme: str) -> str:
    return str(chain.call(programme, PROGRAMME, "token"))


def erc20_approve_data(spender: str, amount: int) -> str:
    return _APPROVE + abi_encode(["address", "uint256"], [to_checksum_address(spender), amount]).hex()


def erc20_uint(chain: ChainContext, token: str, selector: str, *addresses: str) -> int:
    data = selector + abi_encode(["address"] * len(addresses), [to_checksum_address(a) for a in addresses]).hex()
    try:
        raw = chain.web3.eth.call({"to": to_checksum_address(token), "data": data})
    except Exception as exc:
        raise ChainUnavailable(f"the token did not answer ({type(exc).__name__})") from None
    return int(abi_decode(["uint256"], bytes(raw))[0])


def allowance(chain: ChainContext, token: str, owner: str, spender: str) -> int:
    return erc20_uint(chain, token, _ALLOWANCE, owner, spender)


def balance_of(chain: ChainContext, token: str, owner: str) -> int:
    return erc20_uint(chain, token, _BALANCE_OF, owner)


def token_metadata(chain: ChainContext, token: str) -> dict[str, Any]:
    """`{address, symbol, decimals}` (symbol/decimals None when the token does not answer them)."""
    out: dict[str, Any] = {"address": to_checksum_address(token), "symbol": None, "decimals": None}
    for field, selector, kind in (("symbol", "0x95d89b41", "string"), ("decimals", "0x313ce567", "uint8")):
        try:
            raw = chain.web3.eth.call({"to": out["address"], "data": selector})
            out[field] = abi_decode([kind], bytes(raw))[0]
        except Exception:
            continue
    return out


def is_paid(chain: ChainContext, programme: str, round_id: int, index: int) -> bool:
    return bool(chain.call(programme, PROGRAMME, "isPaid", round_id, index))


def is_paid_check(chain: ChainContext, programme: str, round_id: int, index: int) -> dict[str, Any]:
    """Effect check for a payment job: `isPaid(round, index)` returns true once it happened."""
    from pilotkit_backend.platform.job_queue import make_effect_check

    return make_effect_check(programme, chain.encode(PROGRAMME, "isPaid", round_id, index))
