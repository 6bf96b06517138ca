"""The certs kind's misuse attempts: issuing without accreditation, relying on a revoked certificate, another
issuer squatting a batch."""

from __future__ import annotations

from typing import TYPE_CHECKING

from eth_utils import keccak

from pilotkit.pilots.kinds.certs.state import CERT_STATUS, NAME, SCHEMA_ID, state
from pilotkit.pilots.kinds.certs.steps import cert_issuer
from pilotkit.pilots.kit import Impossible, tx

if TYPE_CHECKING:
    from pilotkit.pilots.kit import Attempt, Engine, Observed
    from pilotkit.pilots.model import Step


def unauthorised_accredit(engine: Engine, step: Step) -> tuple[str, Observed]:
    """`unauthorised_role` against the registry: an account without the admin role accredits itself."""
    stranger = engine.role["stranger"]
    return ("an account without the admin role accredits itself as an issuer",
            tx(engine, NAME, "accreditIssuer", stranger.address, "Fake University", sender=stranger))


def unaccredited_issuer(engine: Engine, step: Step) -> tuple[str, Observed]:
    stranger = engine.role["stranger"]
    doc = keccak(text="forged document")
    return ("an unaccredited account issues a certificate",
            tx(engine, NAME, "issue", doc, keccak(text="hmac-subject:forged"), engine.clock.now + 86_400 * 365,
               SCHEMA_ID, sender=stranger))


def verify_revoked(engine: Engine, step: Step) -> tuple[str, Observed]:
    s = state(engine)
    revoked = [c for c in s.everything if c.status == "Revoked"]
    if step.get("certificate"):
        cert = s.certificates[int(step.params["certificate"]) - 1]
    elif revoked:
        cert = revoked[0]
    else:
        raise Impossible("needs a revoked certificate")
    (result,) = engine.actions.call(NAME, "verify", cert_issuer(engine, cert.doc), cert.doc, cert.proof)
    status = CERT_STATUS[int(result[0])]
    return (f"a relying party verifies revoked certificate 0x{cert.doc.hex()[:12]}… (reason code {int(result[4])})",
            ("status", status, None))


def issuer_squats_batch(engine: Engine, step: Step) -> tuple[str, Observed]:
    """Review finding 1: a second accredited issuer copies the issuer's batch root into an issuance of its own
    (records are per issuer, so this neither blocks nor shadows the original) and then tries to revoke the
    original issuer's record of it: refused."""
    docs = state(engine).batch_docs
    if not docs:
        raise Impossible("needs an earlier certificate batch")
    root, victim = docs[0].root, cert_issuer(engine, docs[0].doc)
    rival = engine.derive("rival-issuer")
    engine.send(NAME, "accreditIssuer", rival.address, "Rival Certification Body", sender=engine.role["admin"])
    engine.send(NAME, "issueBatch", root, 0, SCHEMA_ID, sender=rival)
    return (f"another accredited issuer re-anchors batch 0x{root.hex()[:12]}… as its own and tries to revoke "
            "the original issuer's record of it",
            tx(engine, NAME, "revokeBatch", victim, root, 1, sender=rival))


ATTEMPTS: dict[str, Attempt] = {
    f.__name__: f for f in (unaccredited_issuer, verify_revoked, issuer_squats_batch)
}
