"""The cash kind's part of the scenario format: its steps' schemas, its measures, the checks the schema cannot make."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pilotkit.pilots.fragments import AMOUNT, COUNT_OR_ALL, DURATION, INDEXES, SHARE, step

if TYPE_CHECKING:
    from pilotkit.pilots.kit import Problem
    from pilotkit.pilots.model import Programme

STEP_SCHEMAS: dict[str, dict[str, Any]] = {
    "enrol": step(count=COUNT_OR_ALL, batch={"type": "integer", "minimum": 1, "maximum": 150}),
    "fund": step(amount=AMOUNT, per_beneficiary=AMOUNT),
    "round": step(
        ["kind", "amount"],
        kind={"enum": ["push", "list", "claim"]},
        amount=AMOUNT,
        window=DURATION,
        recipients={"oneOf": [{"const": "all"}, {"type": "integer", "minimum": 1}]},
        batch={"type": "integer", "minimum": 1, "maximum": 250},
        claim_share=SHARE,
        relayed_share=SHARE,
        cap={"type": "integer", "enum": [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024]},
        sweep={"type": "boolean"},
    ),
    "sweep": step(round={"type": "string"}),
    "suspend": step(["beneficiaries"], beneficiaries=INDEXES, reason={"type": "integer", "minimum": 0}),
    "reinstate": step(["beneficiaries"], beneficiaries=INDEXES),
    "remove": step(["beneficiaries"], beneficiaries=INDEXES, reason={"type": "integer", "minimum": 0}),
    "approve_merchants": step(count=COUNT_OR_ALL),
    "spend": step(["amount"], amount=AMOUNT, share=SHARE, relayed_share=SHARE),
    "redeem": step(share=SHARE),
    "wallet_recovery": step(["beneficiary"], beneficiary={"type": "integer", "minimum": 1},
                            stolen={"type": "boolean"}),
}

#: keys of a `misuse` step the cash attempts read
MISUSE_PARAMS: dict[str, dict[str, Any]] = {"round": {"type": "string"},
                                            "beneficiary": {"type": "integer", "minimum": 1}}

METRICS: dict[str, str] = {
    "cash.enrolled": "beneficiaries ever enrolled",
    "cash.active": "beneficiaries Active at the end",
    "cash.suspended": "beneficiaries Suspended at the end",
    "cash.removed": "beneficiaries Removed",
    "cash.rounds": "rounds proposed",
    "cash.payments": "payments made (push, claims) over all rounds",
    "cash.paid": "token units paid or credited over all rounds",
    "cash.funded": "token units pulled from funders",
    "cash.swept": "token units swept back to funders",
    "cash.redeemed": "token units redeemed by merchants",
    "cash.balance": "token units held by the programme contract",
    "cash.recovered_wallets": "wallet recoveries executed",
    "cash.paused": "whether the programme is paused at the end",
}

VOUCHER_STEPS = ("spend", "redeem", "approve_merchants")


def check_step(kind: str, params: dict[str, Any], programme: Programme, problem: Problem) -> None:
    """Funding given one way, claim-only shares on claim rounds, voucher steps in voucher mode."""
    if kind == "fund" and ("amount" in params) == ("per_beneficiary" in params):
        problem("give the funding as exactly one of amount or per_beneficiary (scales with --full)")
    if kind == "round" and params["kind"] == "claim" and "claim_share" not in params:
        params["claim_share"] = 1.0
    if kind == "round" and params["kind"] != "claim" and ("claim_share" in params or "relayed_share" in params):
        problem("claim_share and relayed_share apply to claim rounds only")
    if kind in VOUCHER_STEPS and not programme.voucher_mode:
        problem(f"'{kind}' needs a voucher-mode programme (programme.voucher_mode: true)")
