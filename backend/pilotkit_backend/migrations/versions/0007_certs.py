"""certs: the tables of the certs area (models in pilotkit_backend.models.certs).

Revision ID: 0007_certs
Revises: 0006_credits
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0007_certs"
down_revision: str | None = "0006_credits"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
