"""JSON Schema pieces the scenario schema is built from: the core's and every kind's step fragments use them.

`scenario.from_document` converts a step's values by the fragment its schema gives them: a property whose schema
is `AMOUNT` becomes base units of the settlement token, one whose schema is `DURATION` becomes seconds. A leaf
module (no imports from the rest of pilotkit), so a kind's `schema.py` can import it without reaching the core.
"""

from __future__ import annotations

from typing import Any

DURATION: dict[str, Any] = {
    "description": "seconds, or a number with a unit: 90s, 30m, 12h, 7d, 2w",
    "oneOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": r"^\s*\d+\s*[smhdw]\s*$"},
    ],
}
AMOUNT: dict[str, Any] = {
    "description": "token units (e.g. 25 or 12.5 for the 6-decimal settlement token)",
    "oneOf": [
        {"type": "number", "exclusiveMinimum": 0},
        {"type": "string", "pattern": r"^\s*\d+(\.\d{1,6})?\s*$"},
    ],
}
SHARE: dict[str, Any] = {"type": "number", "minimum": 0, "maximum": 1, "description": "a fraction between 0 and 1"}
COUNT_OR_ALL: dict[str, Any] = {"oneOf": [{"type": "integer", "minimum": 1}, {"const": "all"}]}
INDEXES: dict[str, Any] = {"type": "array", "items": {"type": "integer", "minimum": 1}, "minItems": 1}
TEXT: dict[str, Any] = {"type": "string", "minLength": 1}
COMMON: dict[str, Any] = {"do": {"type": "string"}, "label": {"type": "string", "pattern": r"^[A-Za-z][A-Za-z0-9_-]*$"},
                          "note": {"type": "string"}}


def step(required: list[str] | None = None, **properties: Any) -> dict[str, Any]:
    """The schema of one step kind: `do`, `label`, `note` and its own properties; nothing else allowed."""
    return {"type": "object", "properties": {**COMMON, **properties}, "required": ["do", *(required or [])],
            "additionalProperties": False}


def converter(schema: dict[str, Any]) -> str | None:
    """`"amount"` or `"duration"` when a step property's schema asks its value to be converted, else None."""
    if schema is AMOUNT:
        return "amount"
    if schema is DURATION:
        return "duration"
    return None
