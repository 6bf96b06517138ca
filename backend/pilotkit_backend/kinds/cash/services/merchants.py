"""Merchants of a voucher-mode cash programme: approval, revocation, listing, relayed voucher spends, redemption.

Custody model: the service holds ONE merchant account per deployment, the signer of its `merchant` role
(settings.role_signers["merchant"]). Merchants the service manages ("service-held") are approved at that
address; the service redeems their balance with `redeem(amount, settlementRef)`, which the contract only
accepts from the merchant account itself, so tokens land in that service-held account and the operator settles
with the shops off chain by `settlement_ref`. Merchants with their own wallets are approved the same way but
redeem directly on chain; the API refuses to redeem for them (it cannot sign as them).

References are `bytes32` on chain: either 0x + 64 hex digits (kept as is) or 1 to 31 printable ASCII characters
(stored left-aligned, zero-padded, and shown back as text). They must not carry personal data.
"""

from __future__ import annotations

import json
import re
from typing import Any, cast

from eth_utils import to_checksum_address
from sqlalchemy import Table, select
from sqlalchemy.orm import Session

from pilotkit_backend.core.config import Settings
from pilotkit_backend.core.problems import Conflict, Unprocessable
from pilotkit_backend.kinds.cash.services.beneficiaries import ADDRESS_RE, CONTRACT, ZERO_ADDRESS
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.job_queue import make_effect_check
from pilotkit_backend.platform.models.index import IndexedEvent
from pilotkit_backend.platform.models.jobs import Job
from pilotkit_backend.platform.models.registry import RegisteredContract
from pilotkit_backend.platform.runtime import INDEXER_NAME
from pilotkit_backend.platform.writes import Call, submit

EVENTS = cast(Table, IndexedEvent.__table__)
HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")
ASCII_REF = re.compile(r"[\x20-\x7e]{1,31}")
HEX_SIGNATURE = re.compile(r"0x[0-9a-fA-F]{130}")


class VoucherModeDisabled(Conflict):
    type, title = "/problems/contract/VoucherModeDisabled", "VoucherModeDisabled"


def encode_ref(text: str, field: str) -> bytes:
    """A reference as bytes32 (module docstring), or 422 naming `field`."""
    if HEX32.fullmatch(text):
        value = bytes.fromhex(text[2:])
    elif ASCII_REF.fullmatch(text):
        value = text.encode("ascii").ljust(32, b"\0")
    else:
        raise Unprocessable(f"{field} must be 1-31 printable ASCII characters or 0x + 64 hex digits")
    if value == bytes(32):
        raise Unprocessable(f"{field} must not be zero")
    return value


def decode_ref(value: str) -> str:
    """A bytes32 reference (0x-hex) shown as text when it was text, else as hex."""
    raw = bytes.fromhex(value[2:]) if isinstance(value, str) and value.startswith("0x") else b""
    text = raw.rstrip(b"\0")
    if text and all(0x20 <= b <= 0x7E for b in text) and len(text) < 32:
        return text.decode("ascii")
    return value


def address_or_422(text: str, field: str) -> str:
    if not isinstance(text, str) or not ADDRESS_RE.fullmatch(text):
        raise Unprocessable(f"{field} is not an Ethereum address (0x followed by 40 hex digits)")
    checksummed = to_checksum_address(text)
    body = text[2:]
    if body != body.lower() and body != body.upper() and text != checksummed:
        raise Unprocessable(f"{field} has a wrong checksum")
    if checksummed == ZERO_ADDRESS:
        raise Unprocessable(f"{field} is the zero address")
    return checksummed


def require_voucher_mode(chain: ChainContext, programme: RegisteredContract) -> None:
    if not chain.call(programme.address, CONTRACT, "voucherMode"):
        raise VoucherModeDisabled("this programme pays directly, not in vouchers: it has no merchants")


def _submit(session: Session, chain: ChainContext, settings: Settings, kind: str, role: str,
            programme: RegisteredContract, data: str, check: dict[str, Any] | None, key_id: int, ref: str) -> Job:
    return submit(session, chain, settings, Call(kind, role, programme.address, data, check), api_key_id=key_id,
                  object_address=programme.address, ref=ref)


def approve(session: Session, chain: ChainContext, settings: Settings, programme: RegisteredContract,
            merchant: str, reference: str, *, key_id: int, ref: str) -> Job:
    require_voucher_mode(chain, programme)
    data = chain.encode(CONTRACT, "approveMerchant", merchant, encode_ref(reference, "reference"))
    return _submit(session, chain, settings, "cash.merchant_approve", "registrar", programme, data, None, key_id, ref)


def revoke(session: Session, chain: ChainContext, settings: Settings, programme: RegisteredContract,
           merchant: str, reason_code: int, *, key_id: int, ref: str) -> Job:
    require_voucher_mode(chain, programme)
    data = chain.encode(CONTRACT, "revokeMerchant", merchant, reason_code)
    return _submit(session, chain, settings, "cash.merchant_revoke", "registrar", programme, data, None, key_id, ref)


def redeem(session: Session, chain: ChainContext, settings: Settings, programme: RegisteredContract,
           merchant: str, amount: int, settlement_ref: str, *, key_id: int, ref: str) -> Job:
    """Redeem the service-held merchant's balance; refuses other merchants (422) and a used settlement_ref (409)."""
    require_voucher_mode(chain, programme)
    held = chain.signer_for("merchant").address
    if merchant != held:
        raise Unprocessable("the service can only redeem for its own merchant account; other merchants redeem "
                            "from their own wallets")
    settlement = encode_ref(settlement_ref, "settlement_ref")
    if _settlement_used(session, chain, programme.address, merchant, "0x" + settlement.hex()):
        raise Conflict("this settlement_ref was redeemed already")
    data = chain.encode(CONTRACT, "redeem", amount, settlement)
    return _submit(session, chain, settings, "cash.redeem", "merchant", programme, data, None, key_id, ref)


def _settlement_used(session: Session, chain: ChainContext, programme: str, merchant: str, ref_hex: str) -> bool:
    """A VoucherRedeemed event or a queued/confirmed redeem job with this reference (indexed, or not yet mined)."""
    query = select(EVENTS.c.args).where(EVENTS.c.indexer == INDEXER_NAME, EVENTS.c.chain_id == chain.chain_id,
                                        EVENTS.c.contract == programme, EVENTS.c.name == "VoucherRedeemed")
    for (text,) in session.execute(query):
        args = json.loads(text)
        if str(args.get("settlementRef", "")).lower() == ref_hex.lower():
            return True
    selector_and_amount = chain.encode(CONTRACT, "redeem", 0, bytes(32))[:10]
    jobs = session.execute(select(Job.calldata).where(
        Job.to_address == programme, Job.kind == "cash.redeem",
        Job.status.in_(("queued", "signed", "sent", "confirmed")))).scalars()
    return any(c.startswith(selector_and_amount) and c.endswith(ref_hex[2:].lower()) for c in jobs)


def relay_spend(session: Session, chain: ChainContext, settings: Settings, programme: RegisteredContract,
                index: int, merchant: str, amount: int, deadline: int, signature: str, *, key_id: int,
                ref: str) -> Job:
    """Relay a beneficiary-signed `spendFor` (sent by the merchant signer). Effect check: the wallet's nonce moved
    past the one the signature used (`nonces(wallet) == nonce + 1`)."""
    require_voucher_mode(chain, programme)
    if not HEX_SIGNATURE.fullmatch(signature):
        raise Unprocessable("signature must be 0x + 130 hex digits (65 bytes: r, s, v)")
    wallet, status, _ = chain.call(programme.address, CONTRACT, "beneficiary", index)
    if int(status) == 0:
        raise Unprocessable("index is not an enrolled beneficiary")
    data = chain.encode(CONTRACT, "spendFor", index, merchant, amount, deadline, bytes.fromhex(signature[2:]))
    check = None
    if wallet != ZERO_ADDRESS:
        nonce = int(chain.call(programme.address, CONTRACT, "nonces", wallet))
        check = make_effect_check(programme.address, chain.encode(CONTRACT, "nonces", wallet),
                                  "0x" + (nonce + 1).to_bytes(32, "big").hex())
    return _submit(session, chain, settings, "cash.spend", "merchant", programme, data, check, key_id, ref)


def merchants(session: Session, chain: ChainContext, programme: RegisteredContract) -> list[dict[str, Any]]:
    """Every merchant ever approved (from the index), with its live state from the chain."""
    query = select(EVENTS.c.name, EVENTS.c.args, EVENTS.c.block_timestamp).where(
        EVENTS.c.indexer == INDEXER_NAME, EVENTS.c.chain_id == chain.chain_id,
        EVENTS.c.contract == programme.address, EVENTS.c.name.in_(("MerchantApproved", "MerchantRevoked")),
    ).order_by(EVENTS.c.block_number, EVENTS.c.log_index)
    seen: dict[str, dict[str, Any]] = {}
    for name, text, timestamp in session.execute(query):
        args = json.loads(text)
        merchant = str(to_checksum_address(args["merchant"]))
        entry = seen.setdefault(merchant, {"address": merchant, "reference": None, "approved_at": None,
                                          "revoked_at": None, "revoke_reason_code": None})
        if name == "MerchantApproved":
            entry.update(reference=decode_ref(str(args["ref"])), approved_at=int(timestamp), revoked_at=None,
                         revoke_reason_code=None)
        else:
            entry.update(revoked_at=int(timestamp), revoke_reason_code=int(args["reasonCode"]))
    held = chain.signers.get("merchant")
    out = []
    for address, entry in seen.items():
        approved, balance, redeemed = chain.call(programme.address, CONTRACT, "merchantInfo", address)
        out.append({**entry, "approved": bool(approved), "balance": str(balance), "redeemed": str(redeemed),
                    "service_held": held is not None and held.address == address})
    return out
