"""credits: the tables of the credits area (models in pilotkit_backend.models.credits).

Revision ID: 0006_credits
Revises: 0005_cash
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0006_credits"
down_revision: str | None = "0005_cash"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
