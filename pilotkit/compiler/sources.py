"""Source discovery and import resolution.

Every source is handed to the compiler by content under its *source unit name* (the import path
after remapping is undone: `@openzeppelin/contracts/...`, `contracts/cash/X.sol`), so native solc
and solc-js receive the identical standard-JSON input and no file-system callback is needed.
"""

from __future__ import annotations

import hashlib
import posixpath
import re
from dataclasses import dataclass, field
from pathlib import Path

from pilotkit.errors import CompilerError

_COMMENTS = re.compile(r"//[^\n]*|/\*.*?\*/", re.S)
_IMPORT = re.compile(r"""\bimport\s+(?:[^;"']*?\bfrom\s+)?["']([^"']+)["']""")


@dataclass(frozen=True)
class Remapping:
    """`prefix=target`: an import starting with prefix is read from target (relative to the root)."""

    prefix: str
    target: str

    @classmethod
    def parse(cls, text: str) -> Remapping:
        prefix, _, target = text.partition("=")
        return cls(prefix.strip(), target.strip())


@dataclass
class SourceSet:
    """The sources reachable from the project's contracts, keyed by source unit name."""

    root: Path
    contents: dict[str, str] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    imports: dict[str, tuple[str, ...]] = field(default_factory=dict)
    files: dict[str, Path] = field(default_factory=dict)

    def closure(self, unit: str) -> list[str]:
        """The unit and everything it imports, transitively, in sorted order."""
        seen: set[str] = set()
        stack = [unit]
        while stack:
            current = stack.pop()
            if current in seen:
                continue
            seen.add(current)
            stack.extend(self.imports.get(current, ()))
        return sorted(seen)


def discover_roots(contracts_dir: Path, root: Path) -> list[str]:
    """Source unit names of every `.sol` file under the contracts folder, sorted."""
    if not contracts_dir.is_dir():
        raise CompilerError(f"contracts folder {contracts_dir} does not exist")
    return sorted(path.relative_to(root).as_posix() for path in contracts_dir.rglob("*.sol"))


def load_sources(roots: list[str], root: Path, remappings: list[Remapping]) -> SourceSet:
    """Read the roots and, transitively, everything they import."""
    sources = SourceSet(root=root)
    pending = list(roots)
    importer_of: dict[str, str] = {}
    while pending:
        unit = pending.pop()
        if unit in sources.contents:
            continue
        path = _locate(unit, root, remappings)
        if path is None:
            origin = importer_of.get(unit)
            where = f" (imported by {origin})" if origin else ""
            raise CompilerError(f"{origin or unit}: cannot find source '{unit}'{where}; check [compiler] remappings")
        raw = path.read_bytes()
        text = raw.decode("utf-8")
        sources.contents[unit] = text
        sources.hashes[unit] = hashlib.sha256(raw).hexdigest()
        sources.files[unit] = path
        found = tuple(sorted({_resolve(unit, target) for target in _IMPORT.findall(_COMMENTS.sub("", text))}))
        sources.imports[unit] = found
        for dependency in found:
            importer_of.setdefault(dependency, unit)
            pending.append(dependency)
    return sources


def _resolve(importer: str, target: str) -> str:
    if target.startswith(("./", "../")):
        return posixpath.normpath(posixpath.join(posixpath.dirname(importer), target))
    return posixpath.normpath(target)


def _locate(unit: str, root: Path, remappings: list[Remapping]) -> Path | None:
    best: Remapping | None = None
    for remapping in remappings:
        if unit.startswith(remapping.prefix) and (best is None or len(remapping.prefix) > len(best.prefix)):
            best = remapping
    if best is not None:
        candidate = root / (best.target + unit[len(best.prefix):])
        if candidate.is_file():
            return candidate
    candidate = root / unit
    return candidate if candidate.is_file() else None
