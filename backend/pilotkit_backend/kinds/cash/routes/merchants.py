"""Merchants of a voucher-mode cash programme: approve, revoke, list; redeem (service-held merchant account);
relay a beneficiary-signed voucher spend. Custody model: `kinds.cash.services.merchants`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from pilotkit_backend.api.deps import ChainDep, IdempotencyDep, SessionDep, require_scope
from pilotkit_backend.api.routing import IDEMPOTENT_RESPONSES, IdempotentRoute
from pilotkit_backend.core.problems import problem_responses
from pilotkit_backend.kinds.cash.contract import PROGRAMME
from pilotkit_backend.kinds.cash.services import merchants as svc
from pilotkit_backend.platform import registry
from pilotkit_backend.platform.auth import AuthenticatedKey
from pilotkit_backend.platform.chain_context import ChainContext
from pilotkit_backend.platform.models.access import Scope
from pilotkit_backend.platform.models.registry import RegisteredContract
from pilotkit_backend.platform.writes import JobAccepted, accepted

Registrar = Annotated[AuthenticatedKey, require_scope(Scope.registrar)]
Merchant = Annotated[AuthenticatedKey, require_scope(Scope.merchant)]
Reader = Annotated[AuthenticatedKey, require_scope(Scope.registrar, Scope.auditor, Scope.merchant)]
UINT256_MAX = 2**256 - 1

router = APIRouter(prefix="/v1/programmes/{programme}", tags=["cash: merchants"], route_class=IdempotentRoute,
                   responses=problem_responses(401, 403, 404, 429))


class ApproveBody(BaseModel):
    address: str = Field(min_length=1, max_length=64, description="the merchant's account")
    reference: str = Field(min_length=1, max_length=66, description="1-31 ASCII characters or 0x + 64 hex digits; "
                           "no personal data (it goes on chain)")


class RevokeBody(BaseModel):
    reason_code: int = Field(ge=0, le=65535)


class RedeemBody(BaseModel):
    amount: int = Field(gt=0, le=UINT256_MAX, description="base units of the programme's token")
    settlement_ref: str = Field(min_length=1, max_length=66, description="1-31 ASCII characters or 0x + 64 hex "
                                "digits, unique per redemption")


class SpendBody(BaseModel):
    index: int = Field(ge=1, le=UINT256_MAX, description="the beneficiary index")
    merchant: str = Field(min_length=1, max_length=64)
    amount: int = Field(gt=0, le=UINT256_MAX)
    deadline: int = Field(ge=0, le=UINT256_MAX, description="unix seconds, as signed")
    signature: str = Field(min_length=1, max_length=200, description="the wallet's EIP-712 Spend signature, 0x-hex")


class MerchantPublic(BaseModel):
    address: str
    reference: str | None
    approved: bool
    balance: str = Field(description="spent to it and not yet redeemed (base units)")
    redeemed: str
    service_held: bool = Field(description="the service's own merchant account (the API can redeem for it)")
    approved_at: int | None
    revoked_at: int | None
    revoke_reason_code: int | None


def _programme(session: Session, chain: ChainContext, address: str, key: AuthenticatedKey) -> RegisteredContract:
    return registry.find(session, chain, PROGRAMME, address, key)


@router.post("/merchants", status_code=202, response_model=JobAccepted, responses=IDEMPOTENT_RESPONSES,
             summary="Approve a merchant (voucher mode; registrar)")
def approve_merchant(programme: str, body: ApproveBody, request: Request, key: Registrar, chain: ChainDep,
                     idem: IdempotencyDep) -> JobAccepted:
    row = _programme(idem.session, chain, programme, key)
    merchant = svc.address_or_422(body.address, "address")
    return accepted(svc.approve(idem.session, chain, request.app.state.settings, row, merchant, body.reference,
                                key_id=key.id, ref=idem.ref))


@router.post("/merchants/{merchant}/revoke", status_code=202, response_model=JobAccepted,
             responses=IDEMPOTENT_RESPONSES, summary="Revoke a merchant (its balance stays redeemable)")
def revoke_merchant(programme: str, merchant: str, body: RevokeBody, request: Request, key: Registrar,
                    chain: ChainDep, idem: IdempotencyDep) -> JobAccepted:
    row = _programme(idem.session, chain, programme, key)
    address = svc.address_or_422(merchant, "merchant")
    return accepted(svc.revoke(idem.session, chain, request.app.state.settings, row, address, body.reason_code,
                               key_id=key.id, ref=idem.ref))


@router.get("/merchants", response_model=list[MerchantPublic], summary="Merchants ever approved, with live state")
def list_merchants(programme: str, key: Reader, session: SessionDep, chain: ChainDep) -> list[MerchantPublic]:
    row = _programme(session, chain, programme, key)
    svc.require_voucher_mode(chain, row)
    return [MerchantPublic(**m) for m in svc.merchants(session, chain, row)]


@router.post("/merchants/{merchant}/redemptions", status_code=202, response_model=JobAccepted,
             responses=IDEMPOTENT_RESPONSES, summary="Redeem the service-held merchant's balance for tokens")
def redeem(programme: str, merchant: str, body: RedeemBody, request: Request, key: Merchant, chain: ChainDep,
           idem: IdempotencyDep) -> JobAccepted:
    row = _programme(idem.session, chain, programme, key)
    address = svc.address_or_422(merchant, "merchant")
    return accepted(svc.redeem(idem.session, chain, request.app.state.settings, row, address, body.amount,
                               body.settlement_ref, key_id=key.id, ref=idem.ref))


@router.post("/spends", status_code=202, response_model=JobAccepted, responses=IDEMPOTENT_RESPONSES,
             summary="Relay a voucher spend signed by the beneficiary's wallet (EIP-712 Spend)")
def relay_spend(programme: str, body: SpendBody, request: Request, key: Merchant, chain: ChainDep,
                idem: IdempotencyDep) -> JobAccepted:
    row = _programme(idem.session, chain, programme, key)
    merchant = svc.address_or_422(body.merchant, "merchant")
    return accepted(svc.relay_spend(idem.session, chain, request.app.state.settings, row, body.index, merchant,
                                    body.amount, body.deadline, body.signature, key_id=key.id, ref=idem.ref))
