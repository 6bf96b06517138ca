"""The certs kind's replay state: every certificate issued, single or in a Merkle batch, with its status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from eth_utils import keccak

if TYPE_CHECKING:
    from pilotkit.pilots.kit import Engine

NAME = "certs"
CERT_STATUS = ["Unknown", "Valid", "Expired", "Suspended", "Revoked", "Superseded"]
SCHEMA_ID = keccak(text="pilotkit:certificate-schema:v1")


@dataclass
class Certificate:
    doc: bytes
    proof: list[bytes]
    root: bytes
    status: str = "Valid"


@dataclass
class CertsState:
    certificates: list[Certificate] = field(default_factory=list)
    batch_docs: list[Certificate] = field(default_factory=list)

    @property
    def everything(self) -> list[Certificate]:
        return self.certificates + self.batch_docs


def new_state(engine: Engine) -> CertsState:
    return CertsState()


def state(engine: Engine) -> CertsState:
    result: CertsState = engine.state(NAME)
    return result
