"""The certs kind's part of the scenario format: its steps' schemas and its measures."""

from __future__ import annotations

from typing import Any

from pilotkit.pilots.fragments import DURATION, SHARE, TEXT, step

_CERTIFICATE = {"type": "integer", "minimum": 1}
_REASON = {"type": "integer", "minimum": 0}

STEP_SCHEMAS: dict[str, dict[str, Any]] = {
    "accredit_issuer": step(["name"], name=TEXT),
    "issue_certificates": step(["count"], count={"type": "integer", "minimum": 1}, valid_for=DURATION,
                               relayed_share=SHARE),
    "issue_certificate_batch": step(["documents"], documents={"type": "integer", "minimum": 1},
                                    valid_for=DURATION),
    "verify_certificates": step(sample={"type": "integer", "minimum": 1}),
    "revoke_certificate": step(["certificate"], certificate=_CERTIFICATE, reason=_REASON),
    "suspend_certificate": step(["certificate"], certificate=_CERTIFICATE, reason=_REASON),
    "reinstate_certificate": step(["certificate"], certificate=_CERTIFICATE),
    "supersede_certificate": step(["certificate"], certificate=_CERTIFICATE),
    "revoke_batch_document": step(["document"], document={"type": "integer", "minimum": 1}, reason=_REASON),
}

#: keys of a `misuse` step the certs attempts read
MISUSE_PARAMS: dict[str, dict[str, Any]] = {"certificate": {"type": "integer", "minimum": 1}}

METRICS: dict[str, str] = {
    "certs.issued": "certificates issued (single and in batches)",
    "certs.valid": "verified certificates reading Valid",
    "certs.revoked": "certificates revoked",
    "certs.suspended": "certificates suspended",
    "certs.superseded": "certificates superseded",
}
