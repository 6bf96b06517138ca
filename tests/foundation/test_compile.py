"""Compiling: the content-keyed cache, error reporting, determinism, per-network EVM versions, backends."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from pilotkit.compiler.build import Compiler, CompileResult
from pilotkit.compiler.diagnostics import CompilationFailed
from pilotkit.config import load_config
from pilotkit.errors import ArtifactNotFound, CompilerError, ToolchainNotFound
from pilotkit.project import Project
from pilotkit.toolchain.solc import NativeSolc, SolcJsBridge, find_solc

from ._support import REPO, copy_sample

ROOTS = ["contracts/Counter.sol", "contracts/Vault.sol", "contracts/interfaces/IVault.sol"]
TRANSIENT = """// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

contract Transient {
    function lock() external {
        assembly {
            tstore(0, 1)
        }
    }
}
"""


class ExplodingBackend:
    """A compiler backend that fails the test if anything asks it to compile."""

    kind = "exploding"
    version = "0.8.30+commit.00000000"

    def compile(self, standard_input: dict[str, Any]) -> dict[str, Any]:
        raise AssertionError(f"the compiler was started for {sorted(standard_input['sources'])}")

    def close(self) -> None:
        return None


def _artifact(root: Path, source: str, name: str, evm: str = "prague") -> Path:
    return root / "build" / evm / "artifacts" / source / f"{name}.json"


def _snapshot(folder: Path) -> dict[str, tuple[bytes, int]]:
    """Content and mtime of every file under a build folder (the lock file excluded)."""
    return {
        p.relative_to(folder).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
        for p in sorted(folder.rglob("*"))
        if p.is_file() and p.name != ".lock"
    }


def _pilotkit(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pilotkit", *args], capture_output=True, text=True, timeout=300, cwd=cwd
    )


def _cached_compiler(root: Path) -> Compiler:
    return Compiler(load_config(root), backend=ExplodingBackend())


# --- the cache ---------------------------------------------------------------------------------


def test_first_compile_compiles_every_root(first_compile: tuple[Path, CompileResult]) -> None:
    root, result = first_compile
    assert not result.from_cache
    assert result.compiled == ROOTS
    assert result.removed == []
    assert result.output_dir == root / "build" / "prague"
    assert result.compiler_version and result.compiler_version.startswith("0.8.30+commit.")
    assert result.artifacts().names() == ["Counter", "IVault", "Vault"]
    for source, name in [
        ("contracts/Counter.sol", "Counter"),
        ("contracts/Vault.sol", "Vault"),
        ("contracts/interfaces/IVault.sol", "IVault"),
    ]:
        assert _artifact(root, source, name).is_file()


def test_second_compile_is_a_cache_hit_without_a_compiler(
    compiled_project: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    before = _snapshot(compiled_project / "build")
    result = _cached_compiler(compiled_project).compile()
    assert result.from_cache and result.compiled == [] and result.removed == []

    def no_backend(*args: object, **kwargs: object) -> None:
        raise AssertionError("find_solc called on a cache hit")

    monkeypatch.setattr("pilotkit.compiler.build.find_solc", no_backend)
    assert Project.load(compiled_project).compile().from_cache
    assert _snapshot(compiled_project / "build") == before, "a cache hit rewrote build files"


def test_cache_survives_copying_the_project_elsewhere(compiled_template: Path, tmp_path: Path) -> None:
    moved = tmp_path / "elsewhere" / "pilot"
    shutil.copytree(compiled_template, moved)
    assert _cached_compiler(moved).compile().from_cache


def test_touching_without_changing_content_is_a_cache_hit(compiled_project: Path) -> None:
    for path in (compiled_project / "contracts").rglob("*.sol"):
        os.utime(path, (1, 1))
    assert _cached_compiler(compiled_project).compile().from_cache


def test_editing_an_import_recompiles_only_its_dependents(compiled_project: Path) -> None:
    counter = _artifact(compiled_project, "contracts/Counter.sol", "Counter")
    counter_before = (counter.read_bytes(), counter.stat().st_mtime_ns)
    interface = compiled_project / "contracts" / "interfaces" / "IVault.sol"
    interface.write_text(interface.read_text() + "\n// edited\n")

    result = Project.load(compiled_project).compile()

    assert result.compiled == ["contracts/Vault.sol", "contracts/interfaces/IVault.sol"]
    assert (counter.read_bytes(), counter.stat().st_mtime_ns) == counter_before
    vault = json.loads(_artifact(compiled_project, "contracts/Vault.sol", "Vault").read_text())
    assert (
        vault["sourceHashes"]["contracts/interfaces/IVault.sol"]
        == hashlib.sha256(interface.read_bytes()).hexdigest()
    )
    assert _cached_compiler(compiled_project).compile().from_cache


def test_deleting_a_source_removes_its_artifacts(compiled_project: Path) -> None:
    (compiled_project / "contracts" / "Counter.sol").unlink()
    result = _cached_compiler(compiled_project).compile()
    assert result.removed == ["contracts/Counter.sol"] and result.compiled == []
    assert not result.from_cache
    assert not _artifact(compiled_project, "contracts/Counter.sol", "Counter").exists()
    store = result.artifacts()
    assert store.names() == ["IVault", "Vault"]
    with pytest.raises(ArtifactNotFound, match="no compiled contract named 'Counter'"):
        store.get("Counter")
    assert _cached_compiler(compiled_project).compile().from_cache


def test_a_missing_artifact_file_is_rebuilt(compiled_project: Path) -> None:
    counter = _artifact(compiled_project, "contracts/Counter.sol", "Counter")
    expected = json.loads(counter.read_text())
    counter.unlink()
    result = Project.load(compiled_project).compile()
    assert result.compiled == ["contracts/Counter.sol"]
    rebuilt = json.loads(counter.read_text())
    # AST ids (immutableReferences keys, storageLayout astId) depend on the other sources compiled in the
    # same solc run, so only what deployment depends on is compared here.
    for key in ("abi", "bytecode", "deployedBytecode", "artifactHash", "sourceHashes", "compiler"):
        assert rebuilt[key] == expected[key], key


def test_a_missing_import_names_the_importer(compiled_project: Path) -> None:
    (compiled_project / "contracts" / "Orphan.sol").write_text(
        'pragma solidity ^0.8.24;\nimport {Gone} from "./lib/Gone.sol";\ncontract Orphan {}\n'
    )
    with pytest.raises(
        CompilerError, match=r"contracts/Orphan.sol: cannot find source 'contracts/lib/Gone.sol'"
    ):
        _cached_compiler(compiled_project).compile()


# --- error reporting -----------------------------------------------------------------------------

BROKEN_TYPE = """// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

contract Broken {
    function f() external pure returns (uint256) {
        string memory s = unicode"héllo"; uint256 y = s;
        return y;
    }
}
"""
BROKEN_SYNTAX = """// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;

contract Broken {
    uint256 x = 1
}
"""


@pytest.mark.parametrize(
    ("source", "line", "column", "message"),
    [
        # the column counts characters, not UTF-8 bytes: "é" before the error is one column
        (
            BROKEN_TYPE,
            6,
            BROKEN_TYPE.splitlines()[5].index("uint256 y") + 1,
            "Type string memory is not implicitly convertible to expected type uint256.",
        ),
        (BROKEN_SYNTAX, 6, 1, "Expected ';' but got '}'"),
    ],
    ids=["type-error", "syntax-error"],
)
def test_cli_reports_errors_as_file_line_col(
    compiled_project: Path, source: str, line: int, column: int, message: str
) -> None:
    (compiled_project / "contracts" / "Broken.sol").write_text(source)
    done = _pilotkit("compile", "--project", str(compiled_project))
    assert done.returncode == 1, done.stdout + done.stderr
    expected = f"contracts/Broken.sol:{line}:{column}: error: {message}"
    assert any(row.startswith(expected) for row in done.stderr.splitlines()), done.stderr
    assert "compilation failed: 1 error(s)" in done.stderr
    assert not (compiled_project / "build" / "prague" / "artifacts" / "contracts" / "Broken.sol").exists()
    # a failed compile is not cached: the next run reports the same error again
    again = _pilotkit("compile", "--project", str(compiled_project))
    assert again.returncode == 1 and expected in again.stderr


def test_compilation_failed_carries_located_diagnostics(compiled_project: Path) -> None:
    (compiled_project / "contracts" / "Broken.sol").write_text(BROKEN_SYNTAX)
    with pytest.raises(CompilationFailed) as caught:
        Project.load(compiled_project).compile()
    [error] = [d for d in caught.value.diagnostics if d.severity == "error"]
    assert (error.file, error.line, error.column) == ("contracts/Broken.sol", 6, 1)
    assert str(error) in str(caught.value)


# --- determinism and artifact contents ------------------------------------------------------------


def test_compiles_in_two_fresh_copies_are_byte_identical(compiled_template: Path, tmp_path: Path) -> None:
    fresh = copy_sample(tmp_path / "elsewhere")
    done = _pilotkit("compile", "--project", str(fresh))  # a separate process: a separate compiler instance
    assert done.returncode == 0, done.stderr
    ours = {k: v[0] for k, v in _snapshot(compiled_template / "build" / "prague").items()}
    theirs = {k: v[0] for k, v in _snapshot(fresh / "build" / "prague").items()}
    assert sorted(theirs) == sorted(ours)
    assert "cache.json" in ours and len(ours) == 4
    for name in ours:
        assert theirs[name] == ours[name], f"{name} differs between two compiles"


def test_artifacts_hold_what_deployment_and_tooling_need(compiled_template: Path) -> None:
    counter = json.loads(_artifact(compiled_template, "contracts/Counter.sol", "Counter").read_text())
    assert counter["contractName"] == "Counter" and counter["sourceName"] == "contracts/Counter.sol"
    assert {e["name"] for e in counter["abi"] if e.get("name")} >= {
        "count",
        "owner",
        "increment",
        "Incremented",
    }
    assert re.fullmatch(r"[0-9a-f]+", counter["bytecode"]) and re.fullmatch(
        r"[0-9a-f]+", counter["deployedBytecode"]
    )
    assert counter["deployedBytecode"] in counter["bytecode"] or len(counter["bytecode"]) > len(
        counter["deployedBytecode"]
    )
    assert [s["label"] for s in counter["storageLayout"]["storage"]] == ["count"]
    assert counter["immutableReferences"], "the immutable `owner` has references"
    assert counter["methodIdentifiers"]["increment()"] == "d09de08a"
    assert counter["compiler"]["version"].startswith("0.8.30+commit.")
    assert counter["compiler"]["settings"]["evmVersion"] == "prague"
    assert counter["compiler"]["settings"]["optimizer"] == {"enabled": True, "runs": 200}
    counter_source = compiled_template / "contracts" / "Counter.sol"
    assert counter["sourceHashes"] == {
        "contracts/Counter.sol": hashlib.sha256(counter_source.read_bytes()).hexdigest()
    }
    assert counter["devdoc"]["title"].startswith("Counter")

    vault = json.loads(_artifact(compiled_template, "contracts/Vault.sol", "Vault").read_text())
    assert {
        "contracts/Vault.sol",
        "contracts/interfaces/IVault.sol",
        "@openzeppelin/contracts/access/AccessControl.sol",
    } <= set(vault["sourceHashes"])
    assert {e["name"] for e in vault["abi"] if e["type"] == "error"} >= {
        "InsufficientDeposit",
        "ZeroAmount",
        "AccessControlUnauthorizedAccount",
    }
    interface = json.loads(
        _artifact(compiled_template, "contracts/interfaces/IVault.sol", "IVault").read_text()
    )
    assert interface["bytecode"] == "" and interface["abi"]
    assert len(vault["artifactHash"]) == 64 and vault["artifactHash"] != counter["artifactHash"]


# --- EVM versions per network ------------------------------------------------------------------


def test_each_network_builds_for_its_evm_version(compiled_project: Path) -> None:
    project = Project.load(compiled_project)
    assert project.compile(network="local").from_cache  # prague, already built
    shanghai = project.compile(network="ganache")
    assert shanghai.output_dir == compiled_project / "build" / "shanghai"
    assert shanghai.compiled == ROOTS
    for evm in ("prague", "shanghai"):
        for source, name in [("contracts/Counter.sol", "Counter"), ("contracts/Vault.sol", "Vault")]:
            data = json.loads(_artifact(compiled_project, source, name, evm).read_text())
            assert data["compiler"]["settings"]["evmVersion"] == evm
    cache = json.loads((compiled_project / "build" / "shanghai" / "cache.json").read_text())
    assert cache["settings"]["evmVersion"] == "shanghai"
    assert project.artifacts("ganache").get("Counter").compiler["settings"]["evmVersion"] == "shanghai"
    assert project.compile(network="ganache").from_cache
    assert project.compile(network="local").from_cache


def test_cancun_opcode_compiles_for_prague_but_not_shanghai(tmp_path: Path) -> None:
    (tmp_path / "pilotkit.toml").write_text('[project]\nname = "transient"\n')
    (tmp_path / "contracts").mkdir()
    (tmp_path / "contracts" / "Transient.sol").write_text(TRANSIENT)
    project = Project.load(tmp_path)

    prague = project.compile(network="local")
    assert prague.compiled == ["contracts/Transient.sol"]
    assert any(
        w.severity == "warning" and (w.file, w.line) == ("contracts/Transient.sol", 7)
        for w in prague.warnings
    )  # solc's EIP-1153 caution, located

    with pytest.raises(CompilationFailed) as caught:
        project.compile(network="ganache")
    [error] = [d for d in caught.value.diagnostics if d.severity == "error"]
    assert (error.file, error.line, error.column) == ("contracts/Transient.sol", 7, 13)
    assert "tstore" in error.message and "Cancun" in error.message and "shanghai" in error.message
    assert not (tmp_path / "build" / "shanghai" / "artifacts").exists()


# --- backends ------------------------------------------------------------------------------------


def _fake_solc(folder: Path, version: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "solc"
    script.write_text(
        f'#!/bin/sh\necho "solc, the solidity compiler commandline interface"\n'
        f'echo "Version: {version}.Linux.g++"\n'
    )
    script.chmod(0o755)
    return script


@pytest.fixture
def isolated_solc_lookup(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No solc on PATH or in py-solc-x's folder; returns an empty node_modules to point at."""
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    monkeypatch.setenv("SOLCX_BINARY_PATH", str(tmp_path / "solcx"))
    monkeypatch.delenv("PILOTKIT_SOLC", raising=False)
    empty = tmp_path / "node_modules"
    empty.mkdir()
    return empty


def test_pilotkit_solc_with_another_version_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake_solc(tmp_path / "bin", "0.8.19+commit.7dd6d404")
    monkeypatch.setenv("PILOTKIT_SOLC", str(fake))
    with pytest.raises(ToolchainNotFound) as caught:
        find_solc("0.8.30", tmp_path)
    assert "0.8.19" in str(caught.value) and "0.8.30" in str(caught.value)


def test_pilotkit_solc_that_is_not_a_compiler_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PILOTKIT_SOLC", str(tmp_path / "nowhere" / "solc"))
    with pytest.raises(ToolchainNotFound, match="is not a runnable solc binary"):
        find_solc("0.8.30", tmp_path)


def test_pilotkit_solc_with_the_pinned_version_is_used_natively(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake_solc(tmp_path / "bin", "0.8.30+commit.73712a01")
    monkeypatch.setenv("PILOTKIT_SOLC", str(fake))
    backend = find_solc("0.8.30", tmp_path)
    assert isinstance(backend, NativeSolc)
    assert (backend.kind, backend.version, backend.path) == ("native", "0.8.30+commit.73712a01", fake)


def test_native_solc_on_path_wins_when_its_version_matches(
    isolated_solc_lookup: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake_solc(tmp_path / "bin", "0.8.30+commit.73712a01")
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    monkeypatch.setenv("PILOTKIT_NODE_MODULES", str(isolated_solc_lookup))
    assert find_solc("0.8.30", tmp_path).kind == "native"


def test_native_solc_of_another_version_falls_back_to_solcjs(
    isolated_solc_lookup: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = _fake_solc(tmp_path / "bin", "0.8.19+commit.7dd6d404")
    monkeypatch.setenv("PATH", f"{fake.parent}:/usr/bin:/bin")
    (isolated_solc_lookup / "solc").symlink_to(REPO / "node_modules" / "solc")
    monkeypatch.setenv("PILOTKIT_NODE_MODULES", str(isolated_solc_lookup))
    backend = find_solc("0.8.30", tmp_path)
    try:
        assert backend.kind == "solc-js" and backend.version.startswith("0.8.30+commit.")
    finally:
        backend.close()


def test_no_compiler_anywhere_says_how_to_get_one(
    isolated_solc_lookup: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PILOTKIT_NODE_MODULES", str(isolated_solc_lookup))
    with pytest.raises(ToolchainNotFound, match="npm install") as caught:
        find_solc("0.8.30", tmp_path)
    assert "solcx" in str(caught.value) and "PILOTKIT_SOLC" in str(caught.value)


def test_pilotkit_solc_solcjs_forces_the_solcjs_backend(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _fake_solc(tmp_path / "bin", "0.8.30+commit.73712a01")
    monkeypatch.setenv("PATH", f"{tmp_path / 'bin'}:{os.environ['PATH']}")  # a matching native one is ignored
    monkeypatch.setenv("PILOTKIT_SOLC", "solcjs")
    backend = find_solc("0.8.30", tmp_path)
    assert backend.kind == "solc-js" and backend.version.startswith("0.8.30+commit.")
    assert find_solc("0.8.30", tmp_path) is backend  # kept loaded for the process


def test_solcjs_output_is_deterministic() -> None:
    tiny = {
        "language": "Solidity",
        "sources": {
            "T.sol": {
                "content": "// SPDX-License-Identifier: MIT\npragma solidity ^0.8.0;\n"
                "contract T { uint256 public x = 7; }\n"
            }
        },
        "settings": {
            "optimizer": {"enabled": True, "runs": 200},
            "evmVersion": "prague",
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object", "metadata"]}},
        },
    }
    first, second = SolcJsBridge(REPO / "node_modules" / "solc"), SolcJsBridge(REPO / "node_modules" / "solc")
    try:
        a, b, c = first.compile(tiny), first.compile(tiny), second.compile(tiny)
    finally:
        first.close()
        second.close()
    assert "errors" not in a or all(e["severity"] != "error" for e in a["errors"])
    assert a["contracts"]["T.sol"]["T"]["evm"]["bytecode"]["object"]
    assert json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) == json.dumps(c, sort_keys=True)
    assert first._process.poll() is not None and second._process.poll() is not None
