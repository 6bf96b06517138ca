"""ORM model: the contracts the service acts on (cash programmes, eco-credit and certificate registries).

A contract is registered once per chain (`POST /v1/programmes`, `POST /v1/registries`); from then on the
indexer follows its events from `deploy_block`, and API keys can be bound to it (`programme:<address>` or
`registry:<address>`).
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pilotkit_backend.db.base import Base
from pilotkit_backend.db.types import UTCDateTime, utcnow


class ContractKind(StrEnum):
    """What a registered contract is; `binding_kind` is the API-key binding that reaches it."""

    programme = "programme"  # CashProgramme
    credits = "credits"  # EcoCreditRegistry
    certificates = "certificates"  # CertificateRegistry

    @property
    def binding_kind(self) -> str:
        return "programme" if self is ContractKind.programme else "registry"

    @property
    def contract_name(self) -> str:
        return {"programme": "CashProgramme", "credits": "EcoCreditRegistry",
                "certificates": "CertificateRegistry"}[self.value]


class RegisteredContract(Base):
    """A deployed contract the service manages, on one chain."""

    __tablename__ = "registered_contracts"

    chain_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, autoincrement=False)
    address: Mapped[str] = mapped_column(String(42), primary_key=True)  # checksummed
    kind: Mapped[str] = mapped_column(String(16))
    label: Mapped[str] = mapped_column(String(120))
    deploy_block: Mapped[int] = mapped_column(BigInteger)
    created_by_key: Mapped[int | None] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    @property
    def contract_kind(self) -> ContractKind:
        return ContractKind(self.kind)
