"""Brownie deploy script: `brownie run scripts/brownie_deploy.py --network <id>` deploys EcoCreditRegistry.

Runs only inside Brownie (a separate virtualenv: pilotkit does not depend on eth-brownie). The deployer's
private key comes from the environment, never from this file:

    PILOTKIT_DEPLOYER_KEY   hex private key of the deploying account (required)
    PILOTKIT_CREDITS_URI    ERC-1155 metadata URI template (default: a placeholder)

tools/brownie_check.sh passes the first dev key that a local Anvil prints at start-up. The script ends by
printing one line `DEPLOYED EcoCreditRegistry <address> chain=<id>` for tools to parse.
"""

from __future__ import annotations

import os

from brownie import EcoCreditRegistry, accounts, network, web3

KEY_ENV = "PILOTKIT_DEPLOYER_KEY"
URI_ENV = "PILOTKIT_CREDITS_URI"
DEFAULT_URI = "https://example.invalid/credits/{id}.json"
DEFAULT_ADMIN_ROLE = "0x" + "00" * 32


def main() -> str:
    """Deploy the registry with the key from $PILOTKIT_DEPLOYER_KEY as admin; return its address."""
    key = os.environ.get(KEY_ENV, "").strip()
    if not key:
        raise SystemExit(f"set {KEY_ENV} to the deployer's private key (hex) before running this script")
    deployer = accounts.add(key)
    uri = os.environ.get(URI_ENV, DEFAULT_URI)
    print(f"network {network.show_active()} (chain {web3.chain_id}), deployer {deployer.address}")
    registry = EcoCreditRegistry.deploy(deployer.address, uri, {"from": deployer})
    if not registry.hasRole(DEFAULT_ADMIN_ROLE, deployer.address):
        raise SystemExit("deployed, but the deployer does not hold DEFAULT_ADMIN_ROLE")
    print(f"DEPLOYED EcoCreditRegistry {registry.address} chain={web3.chain_id}")
    return str(registry.address)
