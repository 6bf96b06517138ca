"""The pilot-kind layout, read from the imports (docs/adding-a-pilot-kind.md states the rules).

Every import counts: module level, inside functions, and under `TYPE_CHECKING` (a dependency the type checker
sees is a dependency of the design). The rules:
- the platform (`pilotkit_backend.core`, `.db`, `.platform`) imports no kind, no `api` module, not `main`, not the
  catalogue, not the web shell; `core` and `db` do not import `platform`;
- a kind (`pilotkit_backend.kinds.<kind>`, `pilotkit.pilots.kinds.<kind>`) imports no other kind;
- a kind's services, models and contract types import neither routes nor `api` nor `main`;
- (the replay core's own rules, e.g. that it reaches kinds only through their registration list, are in
  tests/pilots/test_pilot_kinds_layout.py;)
- no import cycle of more than two modules in `pilotkit/` or `backend/`.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from _import_graph import cycles, graph, is_package_face, modules

PLATFORM = ("pilotkit_backend.core", "pilotkit_backend.db", "pilotkit_backend.platform")
APP_SHELL = ("pilotkit_backend.api", "pilotkit_backend.main", "pilotkit_backend.catalogue", "pilotkit_backend.web",
             "pilotkit_backend.web_reports", "pilotkit_backend.kinds")
KIND_ROOTS = ("pilotkit_backend.kinds", "pilotkit.pilots.kinds")


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


def test_core_and_db_sit_below_the_platform() -> None:
    """`core/` (settings, problem+json, middleware) and `db/` are what the platform stands on, never above it."""
    base = ("pilotkit_backend.core", "pilotkit_backend.db")
    wrong = sorted(f"{s} -> {t}" for s, t in _edges() if _within(s, base) and _within(t, "pilotkit_backend.platform"))
    assert wrong == []


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


def test_no_import_cycle_of_more_than_two_modules() -> None:
    big = [c for c in cycles() if len([m for m in c if not is_package_face(m)]) > 2]
    assert big == [], f"import cycles: {big}"
