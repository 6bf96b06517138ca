"""ORM models of the credits area (filled in by the credits routes; migration 0006_credits)."""

from __future__ import annotations
