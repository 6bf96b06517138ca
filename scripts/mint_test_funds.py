"""Mint TestStablecoin to an account that funds rounds (the service's approver signer), on a test network.
Run with `pilotkit run scripts/mint_test_funds.py --network NAME --account MINTER` where MINTER holds the
token's MINTER_ROLE (whoever deployed it), and set:

- PILOTKIT_MINT_TO: the address to credit (e.g. the approver's, from `GET /v1/signers`);
- PILOTKIT_MINT_AMOUNT: how much, in token base units (6 decimals: 1000000 is 1 tUSD).

The token is the `TestStablecoin` recorded for the network (`pilotkit deploy TestStablecoin ...` or
`scripts/deploy_core.py` on a local chain). Test money only: a real settlement token is funded by its issuer.
"""

from __future__ import annotations

import os

from pilotkit.errors import PilotkitError
from pilotkit.runtime import Session


def main(session: Session) -> dict[str, object]:
    recipient = os.environ.get("PILOTKIT_MINT_TO")
    amount = os.environ.get("PILOTKIT_MINT_AMOUNT")
    if not recipient or not amount or not amount.isascii() or not amount.isdigit():
        raise PilotkitError("set PILOTKIT_MINT_TO (an address) and PILOTKIT_MINT_AMOUNT (token base units, digits)")
    token = session.contract("TestStablecoin")
    token.mint(recipient, int(amount))
    return {"token": token.address, "to": recipient, "balance": int(token.balanceOf(recipient))}
