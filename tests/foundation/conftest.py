"""Fixtures for the foundation suite: a compiled sample project, a shared Anvil, process-leak checks."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from ._support import REPO, chain_children, copy_sample

if TYPE_CHECKING:
    from pilotkit.compiler.build import CompileResult


@pytest.fixture(scope="session", autouse=True)
def no_leaked_processes() -> Iterator[None]:
    """After the whole suite, no chain process started by this process may still be running."""
    before = {pid for pid, _ in chain_children()}
    yield
    leaked = [(pid, line) for pid, line in chain_children() if pid not in before]
    assert not leaked, f"processes left running: {leaked}"


@pytest.fixture(scope="session")
def first_compile(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, CompileResult]:
    """The sample project's first compile (prague): its root and what the compile reported."""
    from pilotkit.project import Project

    root = copy_sample(tmp_path_factory.mktemp("template") / "sample")
    return root, Project.load(root).compile()


@pytest.fixture(scope="session")
def compiled_template(first_compile: tuple[Path, CompileResult]) -> Path:
    """The sample project compiled once for prague; tests copy it (build included) to stay fast."""
    return first_compile[0]


@pytest.fixture
def compiled_project(tmp_path: Path, compiled_template: Path) -> Path:
    """A private copy of the compiled sample project (the build cache is content-keyed, so it stays valid)."""
    target = tmp_path / "sample"
    shutil.copytree(compiled_template, target, ignore=shutil.ignore_patterns("deployments", ".lock"))
    return target


@pytest.fixture(scope="session")
def anvil() -> Iterator[object]:
    """One Anvil for the session (chain id 31337, the dev mnemonic's accounts funded)."""
    from pilotkit.chain.local import AnvilNode

    node = AnvilNode(project_root=REPO).start()
    try:
        yield node
    finally:
        node.stop()
