"""The pilot-kind layout, read from the imports (docs/adding-a-pilot-kind.md states the rules).

Every import counts: module level, inside functions, and under `TYPE_CHECKING` (a dependency the type checker
sees is a dependency of the design). The rules:
- the platform (`pilotkit_backend.core`, `.db`, `.platform`) imports no kind, no `api` module, not `main`, not the
  catalogue, not the web shell;
- a kind (`pilotkit_backend.kinds.<kind>`, `pilotkit.pilots.kinds.<kind>`) imports no other kind;
- a kind's services, models and contract types import neither routes nor `api` nor `main`;
- the replay core (`pilotkit.pilots`, outside `kinds/`) reaches kinds only through their registry
  (`pilotkit.pilots.kinds` itself);
- no import cycle of more than two modules in `pilotkit/` or `backend/`.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from functools import cache
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = {"pilotkit": ROOT / "pilotkit", "pilotkit_backend": ROOT / "backend" / "pilotkit_backend"}
PLATFORM = ("pilotkit_backend.core", "pilotkit_backend.db", "pilotkit_backend.platform")
APP_SHELL = ("pilotkit_backend.api", "pilotkit_backend.main", "pilotkit_backend.catalogue", "pilotkit_backend.web",
             "pilotkit_backend.web_reports", "pilotkit_backend.kinds")
KIND_ROOTS = ("pilotkit_backend.kinds", "pilotkit.pilots.kinds")


def _module_name(package: str, path: Path) -> str:
    relative = path.relative_to(PACKAGES[package]).with_suffix("")
    parts = [package, *relative.parts]
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


@cache
def modules() -> dict[str, Path]:
    found: dict[str, Path] = {}
    for package, folder in PACKAGES.items():
        for path in folder.rglob("*.py"):
            if "migrations" in path.relative_to(folder).parts[:1] and path.name != "env.py":
                continue  # Alembic revisions: data, not design
            found[_module_name(package, path)] = path
    return found


def _resolve(name: str) -> str | None:
    """The project module `name` refers to (a module, or the package holding an imported attribute)."""
    known = modules()
    while name:
        if name in known:
            return name
        name = name.rpartition(".")[0]
    return None


def _imports_of(module: str) -> Iterator[str]:
    path = modules()[module]
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name)
                if target:
                    yield target
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            for alias in node.names:
                target = _resolve(f"{base}.{alias.name}") if alias.name != "*" else _resolve(base)
                if target:
                    yield target


@cache
def graph() -> dict[str, frozenset[str]]:
    return {m: frozenset(t for t in _imports_of(m) if t != m) for m in modules()}


def _within(module: str, prefixes: tuple[str, ...] | str) -> bool:
    prefixes = (prefixes,) if isinstance(prefixes, str) else prefixes
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _kind_of(module: str) -> tuple[str, str] | None:
    """(kind root, kind name) of a module inside a kind folder."""
    for root in KIND_ROOTS:
        if module.startswith(root + "."):
            return root, module[len(root) + 1:].split(".")[0]
    return None


def _edges() -> Iterator[tuple[str, str]]:
    for source, targets in graph().items():
        for target in targets:
            yield source, target


def test_the_layout_is_there() -> None:
    """Guards the guards: the rules below must have modules to check."""
    names = modules()
    for kind in ("cash", "credits", "certs"):
        assert f"pilotkit_backend.kinds.{kind}.kind" in names
    assert "pilotkit_backend.platform.registry" in names and "pilotkit_backend.catalogue" in names
    assert sum(1 for targets in graph().values() for _ in targets) > 300


def test_the_platform_imports_no_kind_and_no_request_layer() -> None:
    wrong = sorted(f"{s} -> {t}" for s, t in _edges() if _within(s, PLATFORM) and _within(t, APP_SHELL))
    assert wrong == [], "the platform must not import kinds, api/, main, the catalogue or the web shell"


def test_no_kind_imports_another() -> None:
    wrong = []
    for source, target in _edges():
        mine, theirs = _kind_of(source), _kind_of(target)
        if mine and theirs and mine[0] == theirs[0] and mine[1] != theirs[1]:
            wrong.append(f"{source} -> {target}")
    assert sorted(wrong) == [], "a shared need moves into the platform (or the replay core)"


def test_kinds_reach_the_app_only_through_the_request_layer() -> None:
    """A kind may use `api.deps`/`api.routing` in its routes, never `main`, the catalogue or the web shell."""
    shell = ("pilotkit_backend.main", "pilotkit_backend.catalogue", "pilotkit_backend.web",
             "pilotkit_backend.web_reports")
    wrong = sorted(f"{s} -> {t}" for s, t in _edges() if _within(s, "pilotkit_backend.kinds") and _within(t, shell))
    assert wrong == []


@pytest.mark.parametrize("layer", ["services", "models", "contract"])
def test_services_and_models_import_no_routes(layer: str) -> None:
    wrong = []
    for source, target in _edges():
        kind = _kind_of(source)
        if kind is None or kind[0] != "pilotkit_backend.kinds":
            continue
        if not _within(source, f"pilotkit_backend.kinds.{kind[1]}.{layer}"):
            continue
        if _within(target, ("pilotkit_backend.api", "pilotkit_backend.main")) or ".routes" in target:
            wrong.append(f"{source} -> {target}")
    assert sorted(wrong) == [], "dependencies point one way: routes -> services -> models/db/platform"


def test_the_replay_core_reaches_kinds_only_through_their_registry() -> None:
    registry = "pilotkit.pilots.kinds"
    wrong = sorted(f"{s} -> {t}" for s, t in _edges()
                   if _within(s, "pilotkit.pilots") and not _within(s, registry) and _within(t, registry)
                   and t != registry)
    assert wrong == []


def _cycles() -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan, iterative)."""
    edges = graph()
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    on_stack: set[str] = set()
    stack: list[str] = []
    found: list[list[str]] = []
    counter = 0
    for start in sorted(edges):
        if start in index:
            continue
        work = [(start, iter(sorted(edges[start])))]
        index[start] = low[start] = counter
        counter += 1
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            advanced = False
            for child in children:
                if child not in index:
                    index[child] = low[child] = counter
                    counter += 1
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(edges[child]))))
                    advanced = True
                    break
                if child in on_stack:
                    low[node] = min(low[node], index[child])
            if advanced:
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def _is_package_face(module: str) -> bool:
    """A package's `__init__` that only hands names on (no definitions): its imports form no design cycle."""
    path = modules()[module]
    if path.name != "__init__.py":
        return False
    tree = ast.parse(path.read_text(encoding="utf-8"))
    return not any(isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) for n in tree.body)


def test_no_import_cycle_of_more_than_two_modules() -> None:
    big = [c for c in _cycles() if len([m for m in c if not _is_package_face(m)]) > 2]
    assert big == [], f"import cycles: {big}"
