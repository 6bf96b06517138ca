"""ORM models of the cash area (filled in by the cash routes; migration 0005_cash)."""

from __future__ import annotations
