"""A signer that holds a private key without ever showing it (repr, str, pickling, logs)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    from eth_account.datastructures import SignedMessage, SignedTransaction
    from eth_account.signers.local import LocalAccount


class Signer:
    """Signs transactions and typed data for one address. Its key is never printed or serialised."""

    __slots__ = ("_account", "address", "label")

    def __init__(self, account: LocalAccount, label: str) -> None:
        self._account = account
        self.address: str = account.address
        self.label = label

    def sign_transaction(self, transaction: dict[str, Any]) -> SignedTransaction:
        """Sign a complete transaction dict (nonce, gas, fees and chainId filled in)."""
        return self._account.sign_transaction(transaction)

    def sign_typed_data(self, full_message: dict[str, Any]) -> SignedMessage:
        """Sign EIP-712 typed data given as one dict with types, primaryType, domain and message."""
        return self._account.sign_typed_data(full_message=full_message)

    def sign_message_hash(self, message_hash: bytes) -> SignedMessage:
        """Sign a 32-byte digest directly (for protocols that compute their own EIP-712 digest)."""
        return self._account.unsafe_sign_hash(message_hash)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"Signer({self.address}, {self.label!r})"

    __str__ = __repr__

    def __reduce__(self) -> NoReturn:
        raise TypeError("a Signer holds a private key and cannot be pickled or copied")

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Signer) and other.address == self.address

    def __hash__(self) -> int:
        return hash(self.address)
