"""JSON from outside the process (request bodies, node answers, uploaded files, CLI input), with a depth limit.

`json.loads` recurses once per nesting level, in C. Under a high `sys.setrecursionlimit` (py_ecc, imported through
web3 and eth-account, raises it to 100,000) a document nested deep enough overflows the C stack and kills the
process instead of raising. So every document read from the network is checked first: `check_depth` counts
brackets outside strings, at C speed, and refuses more than `MAX_DEPTH` levels with `JSONTooDeep` (a
`ValueError`, like every other malformed-JSON error), before `json.loads` sees it. `limit_recursion` puts the
interpreter's recursion limit back to a value the C stack of every thread can hold; importing `pilotkit` installs
an import hook that does so right after py_ecc is imported.
"""

from __future__ import annotations

import importlib.abc
import importlib.machinery
import json
import re
import sys
from itertools import accumulate
from types import ModuleType
from typing import Any

#: Deepest nesting accepted in a JSON document (the service's bodies need fewer than ten levels).
MAX_DEPTH = 64
#: The recursion limit the interpreter is held at (CPython's default: safe for the smallest thread stacks).
SAFE_RECURSION_LIMIT = 1000

_STRING = re.compile(rb'"(?:[^"\\]|\\.)*"', re.DOTALL)
_NOT_BRACKET = bytes(b for b in range(256) if b not in b"[]{}")
_STEP = [0] * 256
_STEP[ord("[")] = _STEP[ord("{")] = 1
_STEP[ord("]")] = _STEP[ord("}")] = -1


class JSONTooDeep(ValueError):
    """The document nests deeper than the limit (`limit` says how deep it may go)."""

    def __init__(self, limit: int) -> None:
        super().__init__(f"JSON nested deeper than {limit} levels")
        self.limit = limit


def check_depth(data: bytes | bytearray | str, limit: int = MAX_DEPTH) -> None:
    """Raise JSONTooDeep if `data` opens more than `limit` arrays/objects at once (strings are skipped)."""
    raw = data.encode("utf-8", "surrogatepass") if isinstance(data, str) else bytes(data)
    if raw.count(b"[") + raw.count(b"{") <= limit:
        return
    brackets = _STRING.sub(b"", raw).translate(None, _NOT_BRACKET)
    if brackets and max(accumulate(map(_STEP.__getitem__, brackets))) > limit:
        raise JSONTooDeep(limit)


def loads(data: bytes | bytearray | str, *, max_depth: int = MAX_DEPTH) -> Any:
    """`json.loads` after `check_depth`: raises ValueError (JSONDecodeError, JSONTooDeep, UnicodeDecodeError,
    or too many digits in a number) for anything that is not a JSON document of at most `max_depth` levels."""
    check_depth(data, max_depth)
    try:
        return json.loads(data)
    except RecursionError:  # a caller's own stack was already deep: still an answer, never a crash
        raise JSONTooDeep(max_depth) from None


def limit_recursion(limit: int = SAFE_RECURSION_LIMIT) -> None:
    """Lower the interpreter's recursion limit to `limit` if something raised it."""
    if sys.getrecursionlimit() > limit:
        sys.setrecursionlimit(limit)


class _RestoreAfterImport(importlib.abc.MetaPathFinder):
    """Finds nothing itself: wraps the loader of the modules in `names` so the recursion limit is put back
    once they have run (py_ecc sets it to 100,000 at import)."""

    names = frozenset({"py_ecc"})

    def find_spec(self, fullname: str, path: Any, target: ModuleType | None = None) -> Any:
        if fullname not in self.names:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(fullname, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                spec.loader = _Restoring(spec.loader)
                return spec
            if spec is not None:
                return spec
        return None


class _Restoring(importlib.abc.Loader):
    def __init__(self, inner: Any) -> None:
        self.inner = inner

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> ModuleType | None:
        return self.inner.create_module(spec)  # type: ignore[no-any-return]

    def exec_module(self, module: ModuleType) -> None:
        before = sys.getrecursionlimit()
        try:
            self.inner.exec_module(module)
        finally:
            sys.setrecursionlimit(min(before, SAFE_RECURSION_LIMIT))

    def __getattr__(self, name: str) -> Any:  # get_resource_reader, is_package, ...
        return getattr(self.inner, name)


def install_import_guard() -> None:
    """Idempotent: put the recursion limit back after py_ecc is imported (and now, if it already was)."""
    if not any(isinstance(finder, _RestoreAfterImport) for finder in sys.meta_path):
        sys.meta_path.insert(0, _RestoreAfterImport())
    if "py_ecc" in sys.modules:
        limit_recursion()
