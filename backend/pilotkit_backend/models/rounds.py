"""ORM models of cash disbursement rounds (filled in by the rounds routes; migration 0008_rounds)."""

from __future__ import annotations
