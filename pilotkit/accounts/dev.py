"""Deterministic development accounts derived from a mnemonic (the same ones Anvil and Ganache fund)."""

from __future__ import annotations

from functools import lru_cache

from pilotkit.accounts.signer import Signer
from pilotkit.chain.local import DEV_MNEMONIC


@lru_cache(maxsize=8)
def _derive(mnemonic: str, count: int) -> tuple[Signer, ...]:
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return tuple(
        Signer(Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}"), f"dev{index}")
        for index in range(count)
    )


def dev_accounts(count: int = 10, mnemonic: str = DEV_MNEMONIC) -> list[Signer]:
    """The first `count` accounts of the mnemonic, labelled dev0, dev1, ... (local chains only)."""
    return list(_derive(mnemonic, count))


def dev_private_keys(count: int = 10, mnemonic: str = DEV_MNEMONIC) -> list[str]:
    """The 0x-hex private keys of the first `count` dev accounts: for printing by `pilotkit node` only (they are
    the well-known test mnemonic's, as Anvil prints them; never use them on a real network)."""
    from eth_account import Account

    Account.enable_unaudited_hdwallet_features()
    return ["0x" + bytes(Account.from_mnemonic(mnemonic, account_path=f"m/44'/60'/0'/0/{index}").key).hex()
            for index in range(count)]
