"""Deploy pilotkit's core pilot contracts: a cash-transfer programme, an eco-credit registry and a
certificate registry. Run with `pilotkit run scripts/deploy_core.py --network NAME [--account NAME]`.

On local chains a test stablecoin (6 decimals) is deployed as the programme's settlement token; on a real
network set PILOTKIT_SETTLEMENT_TOKEN to the ERC-20 the programme pays in. Re-running is idempotent.
"""

from __future__ import annotations

import os

from pilotkit.errors import PilotkitError
from pilotkit.runtime import Session

DAY = 24 * 60 * 60
USDC = 10**6


def main(session: Session) -> dict[str, str]:
    admin = session.signer.address
    token = os.environ.get("PILOTKIT_SETTLEMENT_TOKEN")
    if token is None:
        if not session.connection.is_local:
            raise PilotkitError(f"network '{session.network}' is not a local chain: set PILOTKIT_SETTLEMENT_TOKEN "
                                "to the address of the ERC-20 the programme pays in (no test token is deployed there)")
        token = session.deploy("TestStablecoin", "Test USD", "tUSD", admin).address
    programme_config = (
        admin,          # admin (use a multisig or timelock on real networks)
        token,          # settlement token
        False,          # voucher mode off: beneficiaries receive the token directly
        3 * DAY,        # wallet-recovery delay
        30 * DAY,       # cap period length
        500 * USDC,     # most one beneficiary may receive per period
    )
    deployed = {
        "CashProgramme": session.deploy("CashProgramme", programme_config).address,
        "EcoCreditRegistry": session.deploy("EcoCreditRegistry", admin, "ipfs://pilotkit/credits/{id}.json").address,
        "CertificateRegistry": session.deploy("CertificateRegistry", admin).address,
    }
    if os.environ.get("PILOTKIT_SETTLEMENT_TOKEN") is None:
        deployed = {"TestStablecoin": token, **deployed}
    return deployed
