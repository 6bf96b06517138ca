"""Accredit a certificate issuer on the CertificateRegistry that scripts/deploy_core.py deployed: a second script
against the same chain. Run with `pilotkit run scripts/accredit_issuer.py` while `pilotkit demo` (or
`pilotkit node`) runs, or with `--network NAME --account NAME` on a real network.

The issuer is $PILOTKIT_ISSUER, else dev account 3 on local chains; its display name is $PILOTKIT_ISSUER_NAME
(default "University of Example"). Re-running changes nothing once the issuer is accredited.
"""

from __future__ import annotations

import os

from pilotkit.errors import PilotkitError
from pilotkit.runtime import Session


def main(session: Session) -> dict[str, object]:
    registry = session.contract("CertificateRegistry")
    issuer = os.environ.get("PILOTKIT_ISSUER")
    if issuer is None:
        if not session.connection.is_local:
            raise PilotkitError("set PILOTKIT_ISSUER to the address of the issuer to accredit")
        issuer = session.accounts[3].address
    name = os.environ.get("PILOTKIT_ISSUER_NAME", "University of Example")
    if not registry.isAccredited(issuer):
        registry.accreditIssuer(issuer, name)  # a transaction, signed by the session's signer (the admin)
    return {"registry": registry.address, "issuer": issuer, "name": registry.issuerName(issuer),
            "accredited": registry.isAccredited(issuer)}
