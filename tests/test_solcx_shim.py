"""The solc-js shim for py-solc-x / Brownie: version line, standard JSON, imports, allowed paths."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from pilotkit.errors import ToolchainNotFound
from pilotkit.toolchain import solc as pilotkit_solc
from pilotkit.toolchain.solcx_shim import SHIM_MARKER, install_solcx_shim, is_solcx_shim

solcx = pytest.importorskip("solcx")
from packaging.version import Version  # noqa: E402  (a py-solc-x dependency)

REPO = Path(__file__).resolve().parents[1]
VERSION = "0.8.30"
OZ = REPO / "node_modules" / "@openzeppelin"

pytestmark = pytest.mark.skipif(
    not (REPO / "node_modules" / "solc" / "package.json").is_file() or not OZ.is_dir(),
    reason="needs `npm install` (solc-js and OpenZeppelin in node_modules)",
)

SOURCE = """// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.24;
import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
contract Owned is Ownable {
    constructor() Ownable(msg.sender) {}
}
"""


def _input(remapping_target: str) -> dict[str, Any]:
    return {
        "language": "Solidity",
        "sources": {"contracts/Owned.sol": {"content": SOURCE}},
        "settings": {
            "remappings": [f"@openzeppelin={remapping_target}"],
            "evmVersion": "prague",
            "optimizer": {"enabled": True, "runs": 200},
            "outputSelection": {"*": {"*": ["abi", "evm.bytecode.object"]}},
        },
    }


def _bytecode(output: dict[str, Any]) -> str:
    return str(output["contracts"]["contracts/Owned.sol"]["Owned"]["evm"]["bytecode"]["object"])


@pytest.fixture(scope="module")
def shim(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return install_solcx_shim(VERSION, REPO, tmp_path_factory.mktemp("solcx"))


def test_wrapper_is_executable_and_marked(shim: Path) -> None:
    assert shim.name == f"solc-v{VERSION}"
    assert os.access(shim, os.X_OK)
    assert SHIM_MARKER.encode() in shim.read_bytes()[:512]
    assert is_solcx_shim(shim)
    assert solcx.get_installed_solc_versions(solcx_binary_path=shim.parent) == [Version(VERSION)]


def test_pilotkit_discovery_skips_the_shim(shim: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOLCX_BINARY_PATH", str(shim.parent))
    assert shim not in pilotkit_solc._native_candidates(VERSION)


def test_version_parses_like_native_solc(shim: Path) -> None:
    text = subprocess.run([str(shim), "--version"], capture_output=True, text=True, check=True).stdout
    assert text.startswith(
        "solc, the solidity compiler commandline interface\nVersion: 0.8.30+commit.73712a01"
    )
    assert solcx.wrapper.get_solc_version(shim) == Version(VERSION)
    assert solcx.wrapper.get_solc_version(shim, with_commit_hash=True) == Version("0.8.30+commit.73712a01")


def test_compile_standard_resolves_openzeppelin_through_remapping(shim: Path) -> None:
    output = solcx.compile_standard(_input(OZ.as_posix()), allow_paths=[OZ.as_posix()], solc_binary=shim)
    assert len(_bytecode(output)) > 1000
    assert f"{OZ.as_posix()}/contracts/access/Ownable.sol" in output["sources"]


def test_relative_remapping_with_base_path(
    shim: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # imports must resolve against --base-path, not the working directory
    output = solcx.compile_standard(
        _input("node_modules/@openzeppelin"), base_path=REPO, allow_paths=[OZ.as_posix()], solc_binary=shim
    )
    assert _bytecode(output)
    assert "node_modules/@openzeppelin/contracts/access/Ownable.sol" in output["sources"]


def test_imports_outside_allowed_paths_are_refused(
    shim: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(solcx.exceptions.SolcError, match="outside of allowed directories"):
        solcx.compile_standard(_input(OZ.as_posix()), solc_binary=shim)


def test_include_path_and_json_only_stdout(shim: Path, tmp_path: Path) -> None:
    library = tmp_path / "lib"
    (library / "dep").mkdir(parents=True)
    (library / "dep" / "Answer.sol").write_text(
        "// SPDX-License-Identifier: Apache-2.0\npragma solidity ^0.8.24;\n"
        "library Answer { function get() internal pure returns (uint256) { return 42; } }\n"
    )
    source = (
        "// SPDX-License-Identifier: Apache-2.0\npragma solidity ^0.8.24;\n"
        'import {Answer} from "dep/Answer.sol";\n'
        "contract Asks { function ask() external pure returns (uint256) { return Answer.get(); } }\n"
    )
    request = {
        "language": "Solidity",
        "sources": {"Asks.sol": {"content": source}},
        "settings": {"outputSelection": {"*": {"*": ["evm.bytecode.object"]}}},
    }
    done = subprocess.run(
        [str(shim), "--standard-json", "--base-path", str(tmp_path / "src"), "--include-path", str(library)],
        input=json.dumps(request),
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    output = json.loads(done.stdout)  # the whole of stdout is one JSON document
    assert not [e for e in output.get("errors", []) if e["severity"] == "error"], output.get("errors")
    assert output["contracts"]["Asks.sol"]["Asks"]["evm"]["bytecode"]["object"]


def test_unknown_option_is_refused_like_native_solc(shim: Path) -> None:
    done = subprocess.run([str(shim), "--no-such-flag"], capture_output=True, text=True, check=False)
    assert done.returncode != 0
    assert "unrecognised option '--no-such-flag'" in done.stderr


def test_never_overwrites_a_native_binary(tmp_path: Path) -> None:
    native = tmp_path / f"solc-v{VERSION}"
    native.write_bytes(b"\x7fELF not really a compiler")
    with pytest.raises(FileExistsError):
        install_solcx_shim(VERSION, REPO, tmp_path)
    assert native.read_bytes().startswith(b"\x7fELF")


def test_refuses_a_version_node_modules_does_not_have(tmp_path: Path) -> None:
    with pytest.raises(ToolchainNotFound, match="0.8.29"):
        install_solcx_shim("0.8.29", REPO, tmp_path)
    assert not any(tmp_path.iterdir())
