"""Shared fixtures for the pilots tests: the project and a cache of replay results (each replay runs once)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pilotkit.project import Project

ROOT = Path(__file__).resolve().parents[2]
PILOTS = ROOT / "pilots"


@pytest.fixture(scope="session")
def project() -> Project:
    project = Project.load(ROOT)
    project.artifacts("local")
    return project


@pytest.fixture(scope="session")
def replayed(project: Project) -> Callable[..., dict[str, Any]]:
    """`replayed("safety-net-push")` → the result of replaying pilots/safety-net-push.yaml (cached)."""
    from pilotkit.pilots.engine import replay_file

    cache: dict[tuple[str, int | None], dict[str, Any]] = {}

    def run(name: str, seed: int | None = None) -> dict[str, Any]:
        key = (name, seed)
        if key not in cache:
            cache[key] = replay_file(PILOTS / f"{name}.yaml", project=project, seed=seed)
        return cache[key]

    return run


@pytest.fixture(scope="session")
def via_api(project: Project) -> Callable[..., dict[str, Any]]:
    """`via_api("safety-net-push")` → the result of replaying it through the API (cached)."""
    from pilotkit.pilots.engine import replay_file

    cache: dict[str, dict[str, Any]] = {}

    def run(name: str) -> dict[str, Any]:
        if name not in cache:
            cache[name] = replay_file(PILOTS / f"{name}.yaml", project=project, via="api")
        return cache[name]

    return run
