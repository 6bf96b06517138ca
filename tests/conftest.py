"""Shared fixtures for pilotkit's own tests."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SAMPLE = REPO / "tests" / "fixtures" / "sample"


@pytest.fixture(autouse=True, scope="session")
def _shared_node_modules() -> None:
    """Projects copied to temporary folders use the repository's Node toolchain."""
    import os

    os.environ.setdefault("PILOTKIT_NODE_MODULES", str(REPO / "node_modules"))


@pytest.fixture
def sample_project(tmp_path: Path) -> Path:
    """A private copy of the small sample project (its remapping points back at the repo's node_modules)."""
    target = tmp_path / "sample"
    shutil.copytree(SAMPLE, target, ignore=shutil.ignore_patterns("build", "deployments"))
    config = target / "pilotkit.toml"
    config.write_text(config.read_text().replace("../../../node_modules/", f"{REPO.as_posix()}/node_modules/"))
    return target
