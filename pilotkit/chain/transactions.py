"""Building, signing and sending transactions with the network's fee policy and confirmations."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pilotkit.errors import NetworkError, PilotkitError

if TYPE_CHECKING:
    from pilotkit.accounts.signer import Signer
    from pilotkit.chain.connection import Connection
    from pilotkit.contracts.events import Event

GWEI = 10**9
_NONCE_ERRORS = ("nonce too low", "already known", "replacement transaction underpriced", "nonce is too low",
                 "transaction already imported")  # the last one is Anvil's "already known"


class TransactionFailed(PilotkitError):
    """A transaction was mined but reverted; `revert` holds the decoded reason when it could be replayed."""

    def __init__(self, message: str, tx_hash: str, receipt: Any, revert: Exception | None = None) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash
        self.receipt = receipt
        self.revert = revert


@dataclass
class TxResult:
    """A mined, successful transaction with its decoded events."""

    tx_hash: str
    receipt: Any
    events: list[Event] = field(default_factory=list)

    @property
    def gas_used(self) -> int:
        return int(self.receipt["gasUsed"])

    @property
    def block_number(self) -> int:
        return int(self.receipt["blockNumber"])

    @property
    def contract_address(self) -> str | None:
        return self.receipt.get("contractAddress")

    def events_named(self, name: str) -> list[Event]:
        return [event for event in self.events if event.name == name]


class TransactionSender:
    """Fills nonce, gas and fees, signs locally and waits for the configured confirmations.

    Nonces are tracked in-process per signer (never re-read from the pending pool for each
    transaction, which races), and re-synchronised from the chain after a nonce error.
    """

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        #: when a list (pilotkit run sets one), every receipt waited for is logged as (tx hash, gas used)
        self.sent: list[tuple[str, int]] | None = None
        self._nonces: dict[str, int] = {}
        self._lock = threading.Lock()

    @property
    def web3(self) -> Any:
        return self.connection.web3

    def next_nonce(self, address: str) -> int:
        with self._lock:
            if address not in self._nonces:
                self._nonces[address] = int(self.web3.eth.get_transaction_count(address, "pending"))
            nonce = self._nonces[address]
            self._nonces[address] = nonce + 1
            return nonce

    def resync(self, address: str) -> None:
        """Forget the cached nonce of one address (re-read from the chain next time)."""
        with self._lock:
            self._nonces.pop(address, None)

    def resync_all(self) -> None:
        """Forget every cached nonce (after a chain revert)."""
        with self._lock:
            self._nonces.clear()

    def fees(self) -> dict[str, int]:
        """Fee fields per the network's gas settings: legacy gasPrice, or EIP-1559 when the node supports it."""
        gas = self.connection.network.gas
        if gas.gas_price_gwei is not None:
            return {"gasPrice": int(gas.gas_price_gwei * GWEI)}
        block = self.web3.eth.get_block("latest")
        base_fee = block.get("baseFeePerGas")
        if base_fee is None:
            return {"gasPrice": int(self.web3.eth.gas_price)}
        if gas.priority_fee_gwei is not None:
            priority = int(gas.priority_fee_gwei * GWEI)
        else:
            try:
                priority = int(self.web3.eth.max_priority_fee)
            except Exception:
                priority = GWEI
        max_fee = int(gas.max_fee_gwei * GWEI) if gas.max_fee_gwei is not None else 2 * int(base_fee) + priority
        return {"maxFeePerGas": max(max_fee, priority), "maxPriorityFeePerGas": priority}

    def prepare(self, signer: Signer, tx: dict[str, Any], nonce: int | None = None) -> dict[str, Any]:
        """Complete a transaction dict (chainId, from, nonce, fees, gas). Gas estimation surfaces reverts."""
        full = {"chainId": self.connection.chain_id, "from": signer.address, "value": 0, **tx}
        full.update({k: v for k, v in self.fees().items() if k not in tx})
        if "gas" not in full:
            estimate = self.web3.eth.estimate_gas({k: v for k, v in full.items() if k != "nonce"})
            full["gas"] = int(estimate * self.connection.network.gas.gas_limit_multiplier)
        full["nonce"] = nonce if nonce is not None else self.next_nonce(signer.address)
        return full

    def sign(self, signer: Signer, tx: dict[str, Any]) -> tuple[str, bytes]:
        """Sign a prepared transaction; returns (tx hash, raw bytes) so callers can journal before sending."""
        signed = signer.sign_transaction({k: v for k, v in tx.items() if k != "from"})
        return "0x" + bytes(signed.hash).hex(), bytes(signed.raw_transaction)

    def broadcast(self, signer: Signer, tx_hash: str, raw: bytes) -> None:
        """Send raw bytes; "already known" / "nonce too low" for this very tx count as already sent."""
        try:
            self.web3.eth.send_raw_transaction(raw)
        except Exception as exc:
            text = str(exc).lower()
            already_sent = "already known" in text or "already imported" in text or \
                self.find_receipt(tx_hash) is not None
            if any(marker in text for marker in _NONCE_ERRORS) and already_sent:
                return
            self.resync(signer.address)
            raise NetworkError(f"sending {tx_hash} failed: {exc}") from None

    def wait(self, tx_hash: str, timeout: float | None = None) -> Any:
        """Wait for the receipt and then for the network's confirmation depth."""
        limit = timeout if timeout is not None else self.connection.network.timeout
        try:
            receipt = self.web3.eth.wait_for_transaction_receipt(tx_hash, timeout=limit, poll_latency=0.05)
        except Exception as exc:
            raise NetworkError(f"no receipt for {tx_hash} within {limit:.0f}s ({type(exc).__name__})") from None
        confirmations = self.connection.network.confirmations
        deadline = time.monotonic() + limit
        while confirmations > 1 and int(self.web3.eth.block_number) - int(receipt["blockNumber"]) + 1 < confirmations:
            if time.monotonic() > deadline:
                raise NetworkError(f"{tx_hash} did not reach {confirmations} confirmations within {limit:.0f}s")
            time.sleep(0.5)
        if self.sent is not None and all(tx_hash != logged for logged, _ in self.sent):
            self.sent.append((tx_hash, int(receipt["gasUsed"])))
        return receipt

    def find_receipt(self, tx_hash: str) -> Any | None:
        try:
            return self.web3.eth.get_transaction_receipt(tx_hash)
        except Exception:
            return None

    def send(self, signer: Signer, tx: dict[str, Any]) -> tuple[str, Any]:
        """Prepare, sign, send and wait; returns (tx hash, receipt). Does not check the status."""
        prepared = self.prepare(signer, tx)
        tx_hash, raw = self.sign(signer, prepared)
        self.broadcast(signer, tx_hash, raw)
        return tx_hash, self.wait(tx_hash)
