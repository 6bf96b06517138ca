"""The one pagination cursor every list endpoint takes: `?cursor=` is the `next_cursor` of the previous page.

A cursor is one or two non-negative integers in ASCII digits, at most 18 digits each (so it always fits a
64-bit column), joined by a dot: `"41"` (an id) or `"1234.7"` (a chain position: block and log index; a job
page's creation time in microseconds and how many jobs of that instant were already listed). It is validated
once, here, before the handler runs: anything else (a 20-digit number, superscript or other non-ASCII digits,
signs, spaces, the wrong number of parts for the endpoint) is

    400 application/problem+json, type /problems/invalid-cursor, parameter: "cursor"

Routes take `cursor: CursorDep` and read `cursor.id()` or `cursor.pair()` (both refuse the other shape with
the same 400); `Cursor.of(...)` makes the `next_cursor` of a page.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Query

from pilotkit_backend.core.problems import BadRequest

MAX_DIGITS = 18
CURSOR_PATTERN = rf"^[0-9]{{1,{MAX_DIGITS}}}(\.[0-9]{{1,{MAX_DIGITS}}})?$"
MAX_CURSOR_LENGTH = 2 * MAX_DIGITS + 1
_CURSOR = re.compile(CURSOR_PATTERN, re.ASCII)


class InvalidCursor(BadRequest):
    type, title = "/problems/invalid-cursor", "Invalid cursor"

    def __init__(self) -> None:
        super().__init__("cursor is not one this API returned: pass the next_cursor of the previous page",
                         extra={"parameter": "cursor"})


@dataclass(frozen=True)
class Cursor:
    """A validated cursor (module docstring)."""

    parts: tuple[int, ...]

    @classmethod
    def parse(cls, text: str) -> Cursor:
        if len(text) > MAX_CURSOR_LENGTH or not _CURSOR.fullmatch(text):
            raise InvalidCursor
        return cls(tuple(int(part) for part in text.split(".")))

    @staticmethod
    def of(*parts: int) -> str:
        """The `next_cursor` text for these parts."""
        return ".".join(str(int(part)) for part in parts)

    def id(self) -> int:
        """A one-part cursor (an id or a position); 400 for a two-part one."""
        if len(self.parts) != 1:
            raise InvalidCursor
        return self.parts[0]

    def pair(self) -> tuple[int, int]:
        """A two-part cursor; 400 for a one-part one."""
        if len(self.parts) != 2:
            raise InvalidCursor
        return self.parts[0], self.parts[1]

    def __str__(self) -> str:
        return self.of(*self.parts)


def cursor_param(
    cursor: Annotated[
        str | None,
        Query(description="the `next_cursor` of the previous page (ASCII digits, optionally `<digits>.<digits>`)",
              json_schema_extra={"pattern": CURSOR_PATTERN, "maxLength": MAX_CURSOR_LENGTH}),
    ] = None,
) -> Cursor | None:
    return None if cursor is None else Cursor.parse(cursor)


CursorDep = Annotated[Cursor | None, Depends(cursor_param)]
