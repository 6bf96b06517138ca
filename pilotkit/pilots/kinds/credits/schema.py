"""The credits kind's part of the scenario format: its steps' schemas and its measures."""

from __future__ import annotations

from typing import Any

from pilotkit.pilots.fragments import TEXT, step

STEP_SCHEMAS: dict[str, dict[str, Any]] = {
    "register_project": step(["registry", "external_id", "methodology", "country"], registry=TEXT,
                             external_id=TEXT, methodology=TEXT,
                             country={"type": "string", "pattern": "^[A-Z]{2}$"}),
    "issue_credits": step(["serials"], serials={"type": "integer", "minimum": 1},
                          serial_start={"type": "integer", "minimum": 1},
                          vintage={"type": "array", "items": {"type": "integer", "minimum": 1990, "maximum": 2100},
                                   "minItems": 2, "maxItems": 2}),
    "transfer_credits": step(["amount"], amount={"type": "integer", "minimum": 1},
                             to={"type": "integer", "minimum": 1}, batch={"type": "integer", "minimum": 1}),
    "retire_credits": step(["amount"], amount={"type": "integer", "minimum": 1},
                           by={"oneOf": [{"const": "holder"}, {"type": "integer", "minimum": 1}]},
                           batch={"type": "integer", "minimum": 1}, reason=TEXT, beneficiary=TEXT),
    "freeze_credits": step(batch={"type": "integer", "minimum": 1}, reason={"type": "integer", "minimum": 0}),
}

METRICS: dict[str, str] = {
    "credits.projects": "projects registered",
    "credits.batches": "credit batches issued",
    "credits.issued": "credits issued",
    "credits.retired": "credits retired",
    "credits.circulating": "credits issued and not retired",
    "credits.retirements": "retirement records",
}
