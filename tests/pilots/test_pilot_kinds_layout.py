"""The replay's pilot kinds are modules: one folder per kind, one registration list, imports pointing one way.

Read from the source (every import, also inside functions and under TYPE_CHECKING):
- the core (everything in pilotkit/ outside pilotkit/pilots/kinds/) reaches the kinds only through the
  registration list `pilotkit.pilots.kinds`, imported by `pilotkit.pilots.registry` alone;
- no kind imports another kind, nor anything that imports the registry (so no cycle runs through a kind);
- (no import cycle of more than two modules: tests/test_layout_imports.py checks pilotkit/ and backend/ together);
- the core names no kind (no string constant `cash`, `credits.issued`, ...).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest
from _import_graph import graph, modules

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "pilotkit"
KINDS_PACKAGE = "pilotkit.pilots.kinds"
REGISTRY = "pilotkit.pilots.registry"


MODULES = {name: path for name, path in modules().items() if name.split(".")[0] == "pilotkit"}
#: the pilotkit modules each one imports (tests/_import_graph.py reads them)
GRAPH = {name: {t for t in targets if t in MODULES} for name, targets in graph().items() if name in MODULES}


def _kind_of(name: str) -> str | None:
    parts = name.split(".")
    return parts[3] if name.startswith(KINDS_PACKAGE + ".") and len(parts) > 3 else None


KIND_FOLDERS = sorted(p.name for p in (PACKAGE / "pilots" / "kinds").iterdir()
                      if p.is_dir() and (p / "__init__.py").exists())


def _reaches(start: str, target: str) -> bool:
    seen, todo = set(), [start]
    while todo:
        current = todo.pop()
        if current == target:
            return True
        if current not in seen:
            seen.add(current)
            todo.extend(GRAPH[current])
    return False


def test_the_registration_list_names_every_kind_folder() -> None:
    from pilotkit.pilots.kinds import KINDS

    assert [k.name for k in KINDS] == ["cash", "credits", "certs"]
    assert sorted(k.name for k in KINDS) == KIND_FOLDERS
    for kind in KINDS:  # the same name as the kind's contracts folder
        assert (ROOT / "contracts" / kind.name).is_dir(), kind.name


def test_the_core_reaches_the_kinds_only_through_the_registration_list() -> None:
    wrong = sorted(f"{name} imports {target}" for name, targets in GRAPH.items() if _kind_of(name) is None
                   and name != KINDS_PACKAGE for target in targets
                   if _kind_of(target) is not None or (target == KINDS_PACKAGE and name != REGISTRY))
    assert wrong == []


def test_no_kind_imports_another_kind_or_the_core_that_reads_the_registry() -> None:
    wrong = []
    for name, targets in GRAPH.items():
        kind = _kind_of(name)
        if kind is None:
            continue
        for target in targets:
            other = _kind_of(target)
            if other is not None and other != kind:
                wrong.append(f"{name} imports the {other} kind ({target})")
            elif other is None and _reaches(target, REGISTRY):
                wrong.append(f"{name} imports {target}, which reaches the registry")
    assert wrong == []


@pytest.mark.parametrize("name", sorted(n for n in MODULES if n.startswith("pilotkit.pilots.")
                                        and _kind_of(n) is None and n != KINDS_PACKAGE))
def test_the_replay_core_names_no_kind(name: str) -> None:
    kinds = set(KIND_FOLDERS)
    named = sorted({node.value for node in ast.walk(ast.parse(MODULES[name].read_text(encoding="utf-8")))
                    if isinstance(node, ast.Constant) and isinstance(node.value, str)
                    and (node.value in kinds or node.value.split(".")[0] in kinds and "." in node.value
                         and " " not in node.value)})
    assert named == []


def test_engine_is_only_the_replay_core() -> None:
    from pilotkit.pilots.engine import Replay
    from pilotkit.pilots.registry import CORE_STEPS_FIRST, CORE_STEPS_LAST

    handlers = sorted(n[len("_do_"):] for n in vars(Replay) if n.startswith("_do_"))
    assert handlers == sorted([*CORE_STEPS_FIRST, *CORE_STEPS_LAST])


def test_every_step_and_attempt_is_dispatched_to_its_kind() -> None:
    from pilotkit.pilots import registry
    from pilotkit.pilots.misuse import ATTEMPTS
    from pilotkit.pilots.schema import MISUSE_ATTEMPTS, STEP_SCHEMAS

    core = {*registry.CORE_STEPS_FIRST, *registry.CORE_STEPS_LAST}
    assert set(STEP_SCHEMAS) == core | set(registry.STEPS)
    assert registry.STEPS["enrol"][0].name == "cash"
    assert registry.STEPS["issue_credits"][0].name == "credits"
    assert registry.STEPS["revoke_certificate"][0].name == "certs"
    assert list(MISUSE_ATTEMPTS) == list(ATTEMPTS)
    assert registry.ATTEMPTS["transfer_retired"][0].name == "credits"
    for kind in registry.KINDS:
        assert set(kind.steps) == set(kind.step_schemas), kind.name
        assert all(metric.startswith(kind.name + ".") for metric in kind.metrics), kind.name
