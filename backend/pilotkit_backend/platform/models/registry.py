"""ORM model: the contracts the service acts on (each of a type a pilot kind declares: `platform.contract_types`).

A contract is registered once per chain (`POST /v1/contracts`); from then on the
indexer follows its events from `deploy_block`, and API keys can be bound to it (`programme:<address>` or
`registry:<address>`).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from pilotkit_backend.db.base import Base
from pilotkit_backend.db.types import UTCDateTime, utcnow
from pilotkit_backend.platform import contract_types
from pilotkit_backend.platform.contract_types import ContractType


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
    def contract_kind(self) -> ContractType:
        return contract_types.get(self.kind)
