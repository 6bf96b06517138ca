"""Hashing an uploaded document while it streams in: SHA-256 of the multipart field, never stored anywhere.

Starlette's form parser spools files over 1 MB to a temporary file on disk; this parser feeds each chunk of the
named part straight into the hash instead, so the document only ever exists in the request's memory buffers.
"""

from __future__ import annotations

import hashlib
from typing import Any

from fastapi import Request
from python_multipart.multipart import MultipartParser, parse_options_header

from pilotkit_backend.core.body_limit import BodyTooLarge
from pilotkit_backend.core.problems import ProblemError, Unprocessable


class UnsupportedMediaType(ProblemError):
    status, type, title = 415, "/problems/unsupported-media-type", "Unsupported media type"


class _Parts:
    def __init__(self, field: str) -> None:
        self.field = field.encode()
        self.digest = hashlib.sha256()
        self.header_field = bytearray()
        self.header_value = bytearray()
        self.headers: dict[bytes, bytes] = {}
        self.in_field = False
        self.found = 0

    def callbacks(self) -> dict[str, Any]:
        return {
            "on_part_begin": self.part_begin, "on_header_field": self.header_field_data,
            "on_header_value": self.header_value_data, "on_header_end": self.header_end,
            "on_headers_finished": self.headers_finished, "on_part_data": self.part_data,
            "on_part_end": self.part_end,
        }

    def part_begin(self) -> None:
        self.headers = {}
        self.in_field = False

    def header_field_data(self, data: bytes, start: int, end: int) -> None:
        self.header_field += data[start:end]

    def header_value_data(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def header_end(self) -> None:
        self.headers[bytes(self.header_field).lower()] = bytes(self.header_value)
        self.header_field.clear()
        self.header_value.clear()

    def headers_finished(self) -> None:
        _, options = parse_options_header(self.headers.get(b"content-disposition", b""))
        if options.get(b"name") == self.field:
            self.found += 1
            if self.found > 1:
                raise Unprocessable(f"send one '{self.field.decode()}' part only")
            self.in_field = True

    def part_data(self, data: bytes, start: int, end: int) -> None:
        if self.in_field:
            self.digest.update(data[start:end])

    def part_end(self) -> None:
        self.in_field = False


async def sha256_of_upload(request: Request, field: str = "file") -> str:
    """0x-hex SHA-256 of multipart part `field` (415 if the body is not multipart, 422 if the part is missing).

    The body size is bounded by the app's body limit (413).
    """
    content_type, options = parse_options_header(request.headers.get("content-type", ""))
    boundary = options.get(b"boundary")
    if content_type != b"multipart/form-data" or not boundary:
        raise UnsupportedMediaType(f"send the document as multipart/form-data with a '{field}' part")
    parts = _Parts(field)
    parser = MultipartParser(boundary, parts.callbacks())  # type: ignore[arg-type]
    try:
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except (ProblemError, BodyTooLarge):
        raise
    except ValueError:  # python-multipart's parse errors (MultipartParseError is one)
        raise Unprocessable("the multipart body is malformed") from None
    if not parts.found:
        raise Unprocessable(f"the multipart body has no '{field}' part")
    return "0x" + parts.digest.hexdigest()
