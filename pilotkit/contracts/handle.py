"""A handle on one deployed contract: `handle.fn(...)` calls views and sends transactions.

Failed calls and transactions raise the contract's own errors as named exceptions
(see `reverts.py`); successful transactions return a `TxResult` with decoded events.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from pilotkit.chain.transactions import TransactionFailed, TransactionSender, TxResult
from pilotkit.contracts.abi import signature
from pilotkit.contracts.events import EventDecoder
from pilotkit.contracts.reverts import ContractRevert, ErrorDecoder, revert_class
from pilotkit.errors import PilotkitError

if TYPE_CHECKING:
    from pilotkit.accounts.signer import Signer


class ContractHandle:
    """A deployed contract bound to a connection, its ABI and the project's error/event decoders.

    `handle.fn(...)` reaches any ABI function; one whose name collides with a handle attribute
    (`address`, `abi`, `call`, `errors`, ...) is always reachable as `handle.functions.fn(...)`.
    """

    def __init__(self, name: str, address: str, abi: list[dict[str, Any]], sender: TransactionSender,
                 errors: ErrorDecoder | None = None, events: EventDecoder | None = None,
                 default_signer: Signer | None = None) -> None:
        from eth_utils import to_checksum_address

        self.contract_name = name
        self.address = to_checksum_address(address)
        self.abi = abi
        self.sender = sender
        self.error_decoder = errors or ErrorDecoder([abi])
        self.event_decoder = events or EventDecoder([abi])
        self.default_signer = default_signer
        self._contract = sender.web3.eth.contract(address=self.address, abi=abi)
        self.errors = SimpleNamespace(**{e["name"]: revert_class(e["name"]) for e in abi if e.get("type") == "error"})
        self._functions: dict[str, list[dict[str, Any]]] = {}
        for entry in abi:
            if entry.get("type") == "function":
                self._functions.setdefault(entry["name"], []).append(entry)
        self.deploy_receipt: Any = None
        self.functions = _Functions(self)
        #: where the address came from (e.g. "recorded in deployments/local/local-31337.json"), for errors
        self.origin: str | None = None
        self._code_seen = False

    @property
    def web3(self) -> Any:
        return self.sender.web3

    def __getattr__(self, name: str) -> BoundFunction:
        functions = self.__dict__.get("_functions", {})
        if name not in functions:
            raise AttributeError(f"{self.__dict__.get('contract_name', 'contract')} has no function '{name}'")
        return BoundFunction(self, name, functions[name])

    def call(self, function: str, *args: Any, sender: str | Signer | None = None, block: Any = "latest") -> Any:
        """Run a function as an eth_call and return its decoded result."""
        tx: dict[str, Any] = {}
        if sender is not None:
            tx["from"] = sender if isinstance(sender, str) else sender.address
        try:
            identifier = self._identifier(function, args)
            bound = (self._contract.get_function_by_signature(identifier) if "(" in identifier
                     else getattr(self._contract.functions, identifier))
            return bound(*args).call(tx, block_identifier=block)
        except Exception as exc:
            from web3.exceptions import BadFunctionCallOutput

            if isinstance(exc, BadFunctionCallOutput):
                self.require_code(function)
            raise self._translate(exc, function) from None

    def require_code(self, function: str | None = None) -> None:
        """Refuse to use an address that holds no contract code on this chain (once seen, it is remembered)."""
        from pilotkit.errors import NoCodeError

        if self._code_seen:
            return
        if len(self.web3.eth.get_code(self.address)) > 0:
            self._code_seen = True
            return
        connection = self.sender.connection
        what = f"{self.contract_name}.{function}" if function else self.contract_name
        origin = f" ({self.origin})" if self.origin else ""
        raise NoCodeError(
            f"{what}: {self.contract_name} at {self.address}{origin} has no code on chain {connection.chain_id} "
            f"at {connection.endpoint}; nothing was sent. Deploy it on this chain, or point at the chain that "
            "holds it (--rpc URL, or a running `pilotkit node`)"
        )

    def transact(self, function: str, *args: Any, sender: Signer | None = None, value: int = 0,
                 gas: int | None = None) -> TxResult:
        """Send a transaction and wait for it; a revert raises the contract's named error."""
        signer = sender or self.default_signer
        if signer is None:
            raise PilotkitError(f"{self.contract_name}.{function} changes state: pass sender=<Signer>")
        tx = {"to": self.address, "data": self.encode(function, *args), "value": value}
        self.require_code(function)
        if gas is not None:
            tx["gas"] = gas
        try:
            tx_hash, receipt = self.sender.send(signer, tx)
        except Exception as exc:
            raise self._translate(exc, function) from None
        if int(receipt["status"]) != 1:
            replay = {**tx, "from": signer.address}
            revert = self._replay_revert(replay, receipt, function)
            message = f"{self.contract_name}.{function} reverted in {tx_hash}: {revert}"
            raise TransactionFailed(message, tx_hash, receipt,
                                    revert)
        return TxResult(tx_hash, receipt, self.event_decoder.decode_receipt(receipt))

    def function_abi(self, function: str, arg_count: int | None = None) -> dict[str, Any]:
        """The ABI entry of a function (the overload with `arg_count` inputs when the name is overloaded)."""
        overloads = self._functions.get(function, [])
        if arg_count is not None:
            overloads = [e for e in overloads if len(e.get("inputs", [])) == arg_count]
        if len(overloads) != 1:
            found = "no" if not overloads else "several"
            raise PilotkitError(f"{self.contract_name} has {found} function(s) '{function}' matching; "
                                "pass arg_count to pick an overload")
        return overloads[0]

    def encode(self, function: str, *args: Any) -> str:
        """ABI-encoded calldata for a function call."""
        return self._contract.encode_abi(self._identifier(function, args), args=list(args))

    def _identifier(self, function: str, args: tuple[Any, ...]) -> str:
        """The name, or the full signature when the name is overloaded (chosen by argument count)."""
        overloads = self._functions.get(function.split("(", 1)[0], [])
        if "(" in function or len(overloads) <= 1:
            return function
        matching = [e for e in overloads if len(e.get("inputs", [])) == len(args)]
        if len(matching) != 1:
            options = ", ".join(signature(e) for e in overloads)
            raise PilotkitError(
                f"{self.contract_name}.{function} is overloaded; pass the full signature, one of: {options}"
            )
        return signature(matching[0])

    def estimate_gas(self, function: str, *args: Any, sender: str | Signer | None = None) -> int:
        """Gas the call would use now (reverts raise the named error)."""
        tx = {"to": self.address, "data": self.encode(function, *args)}
        if sender is not None:
            tx["from"] = sender if isinstance(sender, str) else sender.address
        try:
            return int(self.web3.eth.estimate_gas(tx))
        except Exception as exc:
            raise self._translate(exc, function) from None

    def _replay_revert(self, tx: dict[str, Any], receipt: Any, function: str) -> ContractRevert | None:
        try:
            self.web3.eth.call({k: v for k, v in tx.items() if k != "gas"}, block_identifier=receipt["blockNumber"])
        except Exception as exc:
            translated = self._translate(exc, function)
            return translated if isinstance(translated, ContractRevert) else None
        return None

    def _translate(self, exc: Exception, function: str) -> Exception:
        """Turn web3's revert exceptions into the contract's named error; pass others through."""
        data = revert_data(exc)
        if data is None:
            return exc
        return self.error_decoder.decode(data, function=f"{self.contract_name}.{function}")

    def __repr__(self) -> str:
        return f"<{self.contract_name} at {self.address}>"


class BoundFunction:
    """`handle.fn(*args)`: a call for view/pure functions, a transaction otherwise.

    Overloads are told apart by argument count; when overloads with the same count differ in
    mutability, use `.call(...)` or `.transact(...)` explicitly.
    """

    def __init__(self, handle: ContractHandle, name: str, overloads: list[dict[str, Any]]) -> None:
        self.handle = handle
        self.name = name
        self.overloads = overloads

    def is_view_for(self, args: tuple[Any, ...]) -> bool:
        matching = [e for e in self.overloads if len(e.get("inputs", [])) == len(args)] or self.overloads
        kinds = {e.get("stateMutability") in ("view", "pure") for e in matching}
        if len(kinds) > 1:
            raise PilotkitError(
                f"{self.handle.contract_name}.{self.name} has overloads that read and write with "
                f"{len(args)} argument(s): use .call(...) or .transact(...)"
            )
        return kinds.pop()

    def __call__(self, *args: Any, sender: Signer | None = None, value: int = 0, gas: int | None = None) -> Any:
        if self.is_view_for(args):
            return self.handle.call(self.name, *args, sender=sender)
        return self.handle.transact(self.name, *args, sender=sender, value=value, gas=gas)

    def call(self, *args: Any, sender: str | Signer | None = None) -> Any:
        return self.handle.call(self.name, *args, sender=sender)

    def transact(self, *args: Any, sender: Signer | None = None, value: int = 0, gas: int | None = None) -> TxResult:
        return self.handle.transact(self.name, *args, sender=sender, value=value, gas=gas)

    def estimate_gas(self, *args: Any, sender: str | Signer | None = None) -> int:
        return self.handle.estimate_gas(self.name, *args, sender=sender)


class _Functions:
    """`handle.functions.fn`: every ABI function, even one named like a handle attribute."""

    def __init__(self, handle: ContractHandle) -> None:
        self._handle = handle

    def __getattr__(self, name: str) -> BoundFunction:
        return self._handle.__getattr__(name)

    def __dir__(self) -> list[str]:
        return sorted(self._handle._functions)


def revert_data(exc: BaseException) -> bytes | None:
    """The raw revert bytes carried by a web3 / JSON-RPC exception, if it is a revert."""
    from web3.exceptions import ContractLogicError

    candidates: list[Any] = []
    if isinstance(exc, ContractLogicError):
        candidates.append(getattr(exc, "data", None))
    response = getattr(exc, "rpc_response", None)
    if isinstance(response, dict) and isinstance(response.get("error"), dict):
        candidates.append(response["error"].get("data"))
    for arg in getattr(exc, "args", ()):
        if isinstance(arg, dict):
            candidates.append(arg.get("data"))
            inner = arg.get("error") if isinstance(arg.get("error"), dict) else None
            if inner:
                candidates.append(inner.get("data"))
    for value in candidates:
        if isinstance(value, dict):  # Ganache nests the bytes as {"result": "0x..."}; others as {"data": ...}
            value = value.get("data") or value.get("result")
        if isinstance(value, str) and value.startswith("0x"):
            try:
                return bytes.fromhex(value[2:])
            except ValueError:
                continue
        if isinstance(value, (bytes, bytearray)):
            return bytes(value)
    if isinstance(exc, ContractLogicError):
        return b""
    return None
