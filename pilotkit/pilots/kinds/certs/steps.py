"""The certs kind's replay steps: accreditation, single (also relayed) and batch issuance, verification,
revocation, suspension, reinstatement, supersession."""

from __future__ import annotations

import random
from typing import TYPE_CHECKING

from eth_utils import keccak

from pilotkit.merkle import MerkleTree
from pilotkit.pilots.eip712 import ISSUE_CERTIFICATE_TYPE, digest
from pilotkit.pilots.kinds.certs.state import CERT_STATUS, NAME, SCHEMA_ID, Certificate, state
from pilotkit.pilots.kit import role_id

if TYPE_CHECKING:
    from pilotkit.pilots.kit import Engine, StepHandler
    from pilotkit.pilots.model import Step

ROLES = ("issuer",)


def deploy(engine: Engine) -> dict[str, str]:
    admin = engine.role["admin"]
    address = engine.actions.deploy(NAME, "CertificateRegistry", (admin.address,), admin, engine.clock.next_block())
    engine.send(NAME, "grantRole", role_id("PAUSER_ROLE"), engine.role["pauser"].address, sender=admin)
    return {NAME: address}


def accredit_issuer(engine: Engine, step: Step) -> None:
    engine.send(NAME, "accreditIssuer", engine.role["issuer"].address, step.params["name"],
                sender=engine.role["admin"])


def _doc(engine: Engine, label: str) -> bytes:
    return keccak(text=f"document:{engine.scenario.name}:{engine.seed}:{label}")


def _subject(engine: Engine, number: int) -> bytes:
    return keccak(text=f"hmac-subject:{engine.scenario.name}:{number}")


def issue_certificates(engine: Engine, step: Step) -> None:
    s = state(engine)
    issuer = engine.role["issuer"]
    count = int(step.params["count"])
    expires = engine.clock.now + int(step.get("valid_for", 3650 * 86_400))
    rng = random.Random(f"{engine.seed}:{step.number}:certs")
    relayed = set(rng.sample(range(count), round(count * float(step.get("relayed_share", 0.0)))))
    for n in range(count):
        doc = _doc(engine, f"single-{len(s.certificates) + 1}")
        subject = _subject(engine, len(s.certificates) + 1)
        if n in relayed:
            deadline = engine.clock.now + 86_400
            message = digest(engine.separator(NAME, "pilotkit CertificateRegistry"), ISSUE_CERTIFICATE_TYPE,
                             ["bytes32", "bytes32", "uint64", "bytes32", "uint256"],
                             [doc, subject, expires, SCHEMA_ID, deadline])
            engine.send(NAME, "issueWithSig", (doc, subject, expires, SCHEMA_ID), issuer.address, deadline,
                        issuer.sign_digest(message), sender=engine.role["relayer"])
        else:
            engine.send(NAME, "issue", doc, subject, expires, SCHEMA_ID, sender=issuer)
        s.certificates.append(Certificate(doc, [], doc))
    engine.detail.update(issued=count, relayed=len(relayed))


def issue_certificate_batch(engine: Engine, step: Step) -> None:
    s = state(engine)
    count = int(step.params["documents"])
    base = len(s.batch_docs)
    docs = [_doc(engine, f"batch-{base + i + 1}") for i in range(count)]
    tree = MerkleTree.from_documents(docs)
    expires = engine.clock.now + int(step.get("valid_for", 3650 * 86_400))
    engine.send(NAME, "issueBatch", tree.root, expires, SCHEMA_ID, sender=engine.role["issuer"],
                meta={"documents": docs})
    s.batch_docs += [Certificate(doc, tree.proof(i), tree.root) for i, doc in enumerate(docs)]
    engine.detail.update(documents=count, root="0x" + tree.root.hex())


def cert_issuer(engine: Engine, doc: bytes) -> str:
    """Whose record a document is (records are per issuer): the service's issuer for documents issued through
    the API (`--via api`), else the replay's issuer."""
    kind_api = getattr(engine.actions, "kind_api", None)
    via = kind_api(NAME).certificate_issuer(doc) if kind_api is not None else None
    return via or engine.role["issuer"].address


def verify(engine: Engine, cert: Certificate) -> str:
    """The status a relying party reads for `cert` (its proof when it is in a batch)."""
    (result,) = engine.actions.call(NAME, "verify", cert_issuer(engine, cert.doc), cert.doc, cert.proof)
    return CERT_STATUS[int(result[0])]


def verify_certificates(engine: Engine, step: Step) -> None:
    everything = state(engine).everything
    rng = random.Random(f"{engine.seed}:{step.number}:verify")
    sample = rng.sample(everything, min(int(step.get("sample", len(everything))), len(everything)))
    counts: dict[str, int] = {}
    for cert in sample:
        status = verify(engine, cert)
        counts[status] = counts.get(status, 0) + 1
        if status != cert.status:
            engine.fail(f"certificate 0x{cert.doc.hex()[:12]}… verifies as {status}, expected {cert.status}")
    engine.detail.update(verified=len(sample), statuses=counts)


def _single(engine: Engine, step: Step) -> Certificate:
    return state(engine).certificates[int(step.params["certificate"]) - 1]


def revoke_certificate(engine: Engine, step: Step) -> None:
    cert = _single(engine, step)
    issuer = engine.role["issuer"]
    engine.send(NAME, "revoke", issuer.address, cert.doc, [], int(step.get("reason", 1)), sender=issuer)
    cert.status = "Revoked"


def suspend_certificate(engine: Engine, step: Step) -> None:
    cert = _single(engine, step)
    issuer = engine.role["issuer"]
    engine.send(NAME, "suspend", issuer.address, cert.doc, [], int(step.get("reason", 1)), sender=issuer)
    cert.status = "Suspended"


def reinstate_certificate(engine: Engine, step: Step) -> None:
    cert = _single(engine, step)
    issuer = engine.role["issuer"]
    engine.send(NAME, "reinstate", issuer.address, cert.doc, [], sender=issuer)
    cert.status = "Valid"


def supersede_certificate(engine: Engine, step: Step) -> None:
    s = state(engine)
    cert = _single(engine, step)
    replacement = _doc(engine, f"single-{len(s.certificates) + 1}")
    subject = _subject(engine, len(s.certificates) + 1)
    engine.send(NAME, "issue", replacement, subject, engine.clock.now + 3650 * 86_400, SCHEMA_ID,
                sender=engine.role["issuer"])
    engine.flush()
    issuer = engine.role["issuer"]
    engine.send(NAME, "supersede", issuer.address, cert.doc, [], replacement, sender=issuer)
    cert.status = "Superseded"
    s.certificates.append(Certificate(replacement, [], replacement))
    engine.detail["replacement"] = "0x" + replacement.hex()


def revoke_batch_document(engine: Engine, step: Step) -> None:
    cert = state(engine).batch_docs[int(step.params["document"]) - 1]
    issuer = engine.role["issuer"]
    engine.send(NAME, "revoke", issuer.address, cert.doc, cert.proof, int(step.get("reason", 1)), sender=issuer,
                meta={"root": cert.root})
    cert.status = "Revoked"


STEPS: dict[str, StepHandler] = {
    "accredit_issuer": accredit_issuer, "issue_certificates": issue_certificates,
    "issue_certificate_batch": issue_certificate_batch, "verify_certificates": verify_certificates,
    "revoke_certificate": revoke_certificate, "suspend_certificate": suspend_certificate,
    "reinstate_certificate": reinstate_certificate, "supersede_certificate": supersede_certificate,
    "revoke_batch_document": revoke_batch_document,
}
