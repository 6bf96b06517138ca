"""Turning solc's error objects into `file:line:col: severity: message` lines."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from pilotkit.errors import CompilerError


@dataclass(frozen=True)
class Diagnostic:
    """One compiler message with its position in the source (1-based line and column)."""

    severity: str
    message: str
    file: str | None
    line: int | None
    column: int | None
    code: str | None = None

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.file else "solc"
        code = f" [{self.code}]" if self.code else ""
        return f"{where}: {self.severity}: {self.message}{code}"


class CompilationFailed(CompilerError):
    """The sources do not compile; `diagnostics` lists every error."""

    def __init__(self, diagnostics: list[Diagnostic]) -> None:
        self.diagnostics = diagnostics
        errors = [d for d in diagnostics if d.severity == "error"]
        super().__init__("\n".join(str(d) for d in errors) or "compilation failed")


def to_diagnostics(errors: list[dict[str, Any]], contents: dict[str, str]) -> list[Diagnostic]:
    """Convert solc's `errors` array, resolving byte offsets to line and column."""
    result = []
    for entry in errors:
        location = entry.get("sourceLocation") or {}
        file = location.get("file")
        line = column = None
        if file in contents and location.get("start", -1) >= 0:
            line, column = _line_column(contents[file], int(location["start"]))
        result.append(
            Diagnostic(
                severity=str(entry.get("severity", "error")),
                message=str(entry.get("message", "")).strip(),
                file=file,
                line=line,
                column=column,
                code=entry.get("errorCode"),
            )
        )
    return result


def _line_column(text: str, byte_offset: int) -> tuple[int, int]:
    prefix = text.encode("utf-8")[:byte_offset].decode("utf-8", "replace")
    line = prefix.count("\n") + 1
    column = len(prefix) - (prefix.rfind("\n") + 1) + 1
    return line, column
