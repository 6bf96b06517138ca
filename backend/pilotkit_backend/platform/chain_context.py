"""The service's view of its chain: connection, compiled ABIs, the signer of each contract role, call encoding.

Routes never touch web3: domain services use a `ChainContext` to encode calls (eth_abi with cached selectors,
fast enough for bulk work), read views, and pre-flight a write as the signer that will send it, so that a
call the contract would refuse becomes a 4xx with the contract error's name before any job is queued.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from eth_abi import decode as abi_decode
from eth_abi import encode as abi_encode
from eth_utils import to_checksum_address

from pilotkit.contracts.abi import selector, type_string
from pilotkit.contracts.handle import revert_data
from pilotkit.contracts.reverts import ContractRevert, ErrorDecoder, typed_plain
from pilotkit.errors import PilotkitError

if TYPE_CHECKING:
    from pilotkit.accounts.signer import Signer
    from pilotkit.chain.connection import Connection
    from pilotkit.compiler.artifacts import ArtifactStore
    from pilotkit.deploy.records import DeploymentRecord

log = logging.getLogger("pilotkit_backend.chain")

#: Contract roles the service can sign for (the API scopes that act on chain, plus `admin` and `pauser`).
SIGNING_ROLES = ("admin", "registrar", "disburser", "approver", "merchant", "issuer", "verifier", "pauser")
#: On local chains each role signs with its own dev account, so on-chain maker-checker rules hold too.
DEFAULT_LOCAL_ROLE_SIGNERS: Mapping[str, str] = {
    "admin": "dev0", "registrar": "dev1", "disburser": "dev2", "approver": "dev3", "merchant": "dev4",
    "issuer": "dev5", "verifier": "dev6", "pauser": "dev0",
}


class ChainUnavailable(PilotkitError):
    """The service has no chain configured, or a role has no signer; the operator must configure it."""


class UnknownFunction(PilotkitError):
    """A contract has no function of that name and arity (a programming error in a domain service)."""


@dataclass(frozen=True)
class _Function:
    selector: str
    inputs: tuple[str, ...]
    outputs: tuple[str, ...]
    output_abi: tuple[dict[str, Any], ...]
    signature: str


@dataclass
class ChainContext:
    """Everything domain services need from the chain. Thread-safe for reads and encoding."""

    connection: Connection
    artifacts: ArtifactStore
    errors: ErrorDecoder
    signers: dict[str, Signer]  # role → signer
    record: DeploymentRecord | None = None
    _functions: dict[tuple[str, str, int], _Function] = field(default_factory=dict, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    @property
    def chain_id(self) -> int:
        return int(self.connection.chain_id)

    @property
    def web3(self) -> Any:
        return self.connection.web3

    @property
    def is_local(self) -> bool:
        return bool(self.connection.is_local)

    # ------------------------------------------------------------------ signers

    def signer_for(self, role: str) -> Signer:
        """The signer that sends transactions needing contract role `role` (ChainUnavailable if none)."""
        signer = self.signers.get(role)
        if signer is None:
            raise ChainUnavailable(f"no signer is configured for the '{role}' role (setting role_signers)")
        return signer

    def signer_addresses(self) -> dict[str, str]:
        return {role: signer.address for role, signer in self.signers.items()}

    def distinct_signers(self) -> list[Signer]:
        seen: dict[str, Signer] = {}
        for signer in self.signers.values():
            seen.setdefault(signer.address, signer)
        return list(seen.values())

    # ------------------------------------------------------------------ ABI

    def abi(self, contract: str) -> list[dict[str, Any]]:
        return list(self.artifacts.get(contract).abi)

    def _function(self, contract: str, name: str, arity: int) -> _Function:
        key = (contract, name, arity)
        found = self._functions.get(key)
        if found is not None:
            return found
        for entry in self.artifacts.get(contract).abi:
            if entry.get("type") == "function" and entry.get("name") == name and len(entry.get("inputs", [])) == arity:
                found = _Function(
                    "0x" + selector(entry).hex(),
                    tuple(type_string(p) for p in entry.get("inputs", [])),
                    tuple(type_string(p) for p in entry.get("outputs", [])),
                    tuple(entry.get("outputs", [])),
                    f"{contract}.{name}",
                )
                break
        if found is None:
            raise UnknownFunction(f"{contract} has no function {name} taking {arity} argument(s)")
        with self._lock:
            self._functions[key] = found
        return found

    def encode(self, contract: str, function: str, *args: Any) -> str:
        """Calldata for `contract.function(*args)` as 0x-hex (tuples for structs, bytes/hex for bytes)."""
        fn = self._function(contract, function, len(args))
        return fn.selector + abi_encode(list(fn.inputs), [_abi_value(a) for a in args]).hex()

    def call(self, address: str, contract: str, function: str, *args: Any, sender: str | None = None,
             block: str | int = "latest") -> Any:
        """A view call, decoded to plain Python values (one output → the value, several → a tuple).

        A revert raises the named `ContractRevert` subclass (answered as a 4xx problem by the API).
        """
        fn = self._function(contract, function, len(args))
        tx: dict[str, Any] = {"to": to_checksum_address(address), "data": self.encode(contract, function, *args)}
        if sender is not None:
            tx["from"] = to_checksum_address(sender)
        try:
            raw = self.web3.eth.call(tx, block)
        except Exception as exc:
            raise self._revert(exc, fn.signature) from None
        values = abi_decode(list(fn.outputs), bytes(raw))
        plain = tuple(_plain_output(spec, value) for spec, value in zip(fn.output_abi, values, strict=True))
        return plain[0] if len(plain) == 1 else plain

    def preflight(self, role: str, to: str, data: str, value: int = 0) -> int:
        """Simulate a write as the role's signer; returns the gas estimate or raises the decoded ContractRevert."""
        signer = self.signer_for(role)
        tx = {"from": signer.address, "to": to_checksum_address(to), "data": data, "value": value}
        try:
            return int(self.web3.eth.estimate_gas(tx))
        except Exception as exc:
            raise self._revert(exc, None) from None

    def code_at(self, address: str) -> bytes:
        return bytes(self.web3.eth.get_code(to_checksum_address(address)))

    def block_number(self) -> int:
        return int(self.web3.eth.block_number)

    def _revert(self, exc: Exception, function: str | None) -> Exception:
        data = revert_data(exc)
        if data is None:
            if isinstance(exc, ContractRevert):
                return exc
            return ChainUnavailable(f"the chain did not answer a call ({type(exc).__name__})")
        return self.errors.decode(data, function)


def _abi_value(value: Any) -> Any:
    """Accept 0x-hex strings for bytes values and lists for arrays/tuples."""
    if isinstance(value, list):
        return [_abi_value(v) for v in value]
    if isinstance(value, tuple):
        return tuple(_abi_value(v) for v in value)
    return value


def _plain_output(spec: dict[str, Any], value: Any) -> Any:
    kind = spec.get("type", "")
    if kind.startswith("tuple"):
        components: Sequence[dict[str, Any]] = spec.get("components", [])
        if kind == "tuple":
            return {c.get("name") or str(i): _plain_output(c, v) for i, (c, v) in enumerate(zip(components, value,
                                                                                                strict=True))}
        inner = {**spec, "type": kind[: kind.rindex("[")]}
        return [_plain_output(inner, v) for v in value]
    if kind.endswith("]"):
        inner = {**spec, "type": kind[: kind.rindex("[")]}
        return [_plain_output(inner, v) for v in value]
    return typed_plain(kind, value)
