"""Registering the contracts the service manages, and finding them again for a request.

Registration checks that the address holds the expected contract (code present, a kind-specific view answers)
and finds its deployment block (from the deployment record, else by bisecting `eth_getCode`), so the indexer
can follow its events from the start.
"""

from __future__ import annotations

from eth_utils import is_address, to_checksum_address
from sqlalchemy import select
from sqlalchemy.orm import Session

from pilotkit_backend.core.problems import Conflict, NotFound, Unprocessable
from pilotkit_backend.platform import contract_types
from pilotkit_backend.platform.auth import AuthenticatedKey, ensure_bound
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.contract_types import ContractType
from pilotkit_backend.platform.models.registry import RegisteredContract


def checksum(address: str, what: str = "address") -> str:
    """A checksummed address, or 422 naming `what`."""
    if not isinstance(address, str) or not is_address(address):
        raise Unprocessable(f"{what} is not an Ethereum address (0x followed by 40 hex digits)")
    return to_checksum_address(address)


def register(session: Session, chain: ChainContext, kind: ContractType, address: str, label: str,
             key: AuthenticatedKey | None) -> RegisteredContract:
    """Add a deployed contract (flushed, not committed). 409 if already registered, 422 if it is not one."""
    address = checksum(address)
    if session.get(RegisteredContract, (chain.chain_id, address)) is not None:
        raise Conflict(f"{address} is registered already")
    if not chain.code_at(address):
        raise Unprocessable(f"there is no contract at {address} on chain {chain.chain_id}")
    try:
        chain.call(address, kind.contract_name, kind.probe)
    except Exception:
        raise Unprocessable(f"the contract at {address} is not a {kind.contract_name}") from None
    row = RegisteredContract(chain_id=chain.chain_id, address=address, kind=kind.value, label=label,
                             deploy_block=deployment_block(chain, address),
                             created_by_key=key.id if key is not None else None)
    session.add(row)
    session.flush()
    return row


def deployment_block(chain: ChainContext, address: str) -> int:
    """The block that created `address`: from the deployment record, else the first block with its code."""
    get_code = chain.web3.eth.get_code
    if chain.record is not None:  # trusted only if the chain agrees (local chains restart; records go stale)
        for entry in chain.record.contracts.values():
            block = int(entry.block)
            if entry.address.lower() == address.lower() and block <= chain.block_number() and get_code(address, block) \
                    and (block == 0 or not get_code(address, block - 1)):
                return block
    low, high = 0, chain.block_number()
    while low < high:  # first block whose state has code at `address`
        middle = (low + high) // 2
        if get_code(address, middle):
            high = middle
        else:
            low = middle + 1
    return low


def find(session: Session, chain: ChainContext, kind: ContractType, address: str,
         key: AuthenticatedKey | None = None) -> RegisteredContract:
    """The registered contract of `kind` at `address`, visible to `key` (404 otherwise, bound keys included)."""
    if not isinstance(address, str) or not is_address(address):
        raise NotFound(f"no such {kind.value}")
    if key is not None:
        ensure_bound(key, kind.binding_kind, address)
    row = session.get(RegisteredContract, (chain.chain_id, to_checksum_address(address)))
    if row is None or row.kind != kind.value:
        raise NotFound(f"no such {kind.value}")
    return row


def visible(session: Session, chain: ChainContext, kind: ContractType | None,
            key: AuthenticatedKey | None) -> list[RegisteredContract]:
    """Registered contracts (of `kind`) that `key` may see, oldest first."""
    query = select(RegisteredContract).where(RegisteredContract.chain_id == chain.chain_id)
    if kind is not None:
        query = query.where(RegisteredContract.kind == kind.value)
    rows = list(session.execute(query.order_by(RegisteredContract.created_at)).scalars())
    if key is not None and key.binding is not None:
        rows = [r for r in rows if r.address.lower() == key.binding.object_id.lower()
                and contract_types.get(r.kind).binding_kind == key.binding.kind]
    return rows


def all_registered(session: Session, chain_id: int) -> list[RegisteredContract]:
    return list(session.execute(
        select(RegisteredContract).where(RegisteredContract.chain_id == chain_id).order_by(RegisteredContract.address)
    ).scalars())
