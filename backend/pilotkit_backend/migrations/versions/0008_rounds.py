"""rounds: the tables of cash disbursement rounds (models in pilotkit_backend.models.rounds).

Revision ID: 0008_rounds
Revises: 0007_certs
Create Date: 2026-11-21
"""

from __future__ import annotations

from collections.abc import Sequence

revision: str = "0008_rounds"
down_revision: str | None = "0007_certs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
