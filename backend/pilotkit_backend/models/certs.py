"""ORM models of the certs area (filled in by the certs routes; migration 0007_certs)."""

from __future__ import annotations
