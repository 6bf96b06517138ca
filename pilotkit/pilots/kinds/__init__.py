"""The pilot kinds the replay knows: the one registration point. Add a kind here (and its folder) and the replay
core (steps, misuse attempts, scenario schema, measures, `--via api`) picks it up through `pilotkit.pilots.registry`.

Each kind is a folder named like its contracts (`contracts/<kind>/`) and its backend and frontend folders, with
`state.py`, `steps.py`, `misuse.py`, `schema.py`, `measure.py`, `api.py`, and a `KIND` record in its
`__init__.py` (see `pilotkit.pilots.kit.Kind` and docs/adding-a-pilot-kind.md). No kind imports another.
"""

from __future__ import annotations

from pilotkit.pilots.kinds import cash, certs, credits
from pilotkit.pilots.kit import Kind

KINDS: tuple[Kind, ...] = (cash.KIND, credits.KIND, certs.KIND)

#: The order the replay's roles, step kinds and misuse attempts were listed in before the kinds were split
#: out (the result document's `roles`, the kinds and attempts named in scenario errors, the schema's enums),
#: kept so reports and messages stay byte-identical. What is not listed here (a new kind's) follows in
#: registration order: a new kind adds nothing to these.
LEGACY_ORDER: dict[str, tuple[str, ...]] = {
    "roles": ("admin", "registrar", "disburser", "approver", "supervisor", "pauser", "merchant_manager", "funder",
              "relayer", "stranger", "verifier", "issuer", "developer"),
    "steps": ("deploy", "enrol", "fund", "round", "sweep", "advance", "suspend", "reinstate", "remove",
              "approve_merchants", "spend", "redeem", "wallet_recovery", "pause", "unpause"),
    "attempts": ("double_claim", "claim_after_window", "replayed_signature", "forged_signature",
                 "unauthorised_role", "pay_suspended", "claim_suspended", "self_approval",
                 "spend_unapproved_merchant", "overspend_voucher", "paused_payment", "transfer_retired",
                 "overlapping_serials", "unaccredited_issuer", "verify_revoked", "thief_cancels_recovery",
                 "registrar_alone_recovers"),
}
