"""Helpers for the EcoCreditRegistry suites: roles, project and batch builders, serial hints, struct views."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from eth_utils import keccak

from pilotkit.accounts.signer import Signer
from pilotkit.contracts.handle import ContractHandle

ZERO_ADDRESS = "0x" + "00" * 20
ZERO32 = b"\x00" * 32
ADMIN_ROLE = ZERO32
VERIFIER_ROLE = keccak(text="VERIFIER_ROLE")
PAUSER_ROLE = keccak(text="PAUSER_ROLE")
URI_TEMPLATE = "ipfs://bafy-credits/{id}.json"
VINTAGE = (1_640_995_200, 1_672_531_199)  # calendar year 2022, always in the past


def b32(text: str) -> bytes:
    """A short ASCII string right-padded to bytes32 (how registry codes and ids are written)."""
    raw = text.encode()
    assert len(raw) <= 32
    return raw.ljust(32, b"\x00")


def h32(text: str) -> bytes:
    """A stand-in digest (keccak of a label)."""
    return keccak(text=text)


@dataclass(frozen=True)
class Roles:
    """Who plays which part. `holders` receive credits; `stranger` never has any role."""

    admin: Signer
    verifier: Signer
    verifier2: Signer
    pauser: Signer
    alice: Signer
    bob: Signer
    carol: Signer
    broker: Signer
    stranger: Signer

    @property
    def holders(self) -> tuple[Signer, Signer, Signer]:
        return (self.alice, self.bob, self.carol)

    @classmethod
    def from_accounts(cls, accounts: list[Signer]) -> Roles:
        a = accounts
        return cls(admin=a[0], verifier=a[1], verifier2=a[2], pauser=a[3], alice=a[4], bob=a[5], carol=a[6],
                   broker=a[7], stranger=a[9])


def project(registry: str = "VERRA", external_id: str = "VCS-1001", methodology: str = "VM0015",
            country: bytes = b"KE", uri: str = "ipfs://bafy-project-1001", metadata: str = "pdd-1001") -> tuple:
    """A `Project` tuple in ABI order."""
    return (b32(registry), b32(external_id), b32(methodology), country, h32(metadata), uri)


def batch_params(project_id: int, serial_start: int, serial_end: int, to: str | Signer,
                 vintage: tuple[int, int] = VINTAGE, evidence: str = "evidence") -> tuple:
    """A `BatchParams` tuple in ABI order."""
    return (project_id, vintage[0], vintage[1], serial_start, serial_end, h32(evidence), getattr(to, "address", to))


def serial_ranges(reg: ContractHandle, registry: bytes) -> list[tuple[int, int]]:
    """Walks the on-chain serial list of a registry code: [(start, end), ...] in list order."""
    out: list[tuple[int, int]] = []
    end, nxt = reg.serialRange(registry, 0)
    assert end == 0, "the head sentinel never holds a range"
    while nxt != 0:
        start = nxt
        end, nxt = reg.serialRange(registry, start)
        out.append((start, end))
    return out


def serial_hint(ranges: list[tuple[int, int]], start: int) -> int:
    """The predecessor hint for a new range starting at `start`: last stored start below it, or 0."""
    hint = 0
    for s, _ in sorted(ranges):
        if s < start:
            hint = s
    return hint


def struct(handle: ContractHandle, function: str, *args: Any) -> dict[str, Any]:
    """Calls a view returning one struct and names its fields (view results arrive as plain tuples)."""
    value = getattr(handle, function)(*args)
    outputs = handle.function_abi(function, len(args))["outputs"]
    assert len(outputs) == 1 and outputs[0]["type"] == "tuple", f"{function} does not return one struct"
    names = [c["name"] for c in outputs[0]["components"]]
    return dict(zip(names, value, strict=True))


def issue(reg: ContractHandle, verifier: Signer, project_id: int, start: int, end: int, to: str | Signer,
          registry: bytes = b32("VERRA"), evidence: str = "evidence") -> int:
    """Issues a batch with the right hint; returns the new batch id."""
    hint = serial_hint(serial_ranges(reg, registry), start)
    result = reg.issueBatch(batch_params(project_id, start, end, to, evidence=evidence), hint, sender=verifier)
    return int(result.events_named("BatchIssued")[0].args["batchId"])


