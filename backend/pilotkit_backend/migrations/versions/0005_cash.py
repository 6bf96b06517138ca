"""cash: the tables of the cash area (models in pilotkit_backend.models.cash).

Revision ID: 0005_cash
Revises: 0004_registry
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0005_cash"
down_revision: str | None = "0004_registry"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
