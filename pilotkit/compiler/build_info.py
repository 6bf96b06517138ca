"""A Hardhat-style build-info file from pilotkit's own standard-JSON compile.

Static analysers built on crytic-compile (Slither) read Hardhat's `artifacts/build-info/<id>.json`
(`{"solcVersion", "solcLongVersion", "input", "output"}`), so they can analyse the contracts without
downloading a compiler: pilotkit compiles once with its own backend (native solc or solc-js) and writes
that file. The compile asks for the ASTs and source maps the analysers need; it does not touch `build/`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

from pilotkit.compiler.build import standard_settings
from pilotkit.compiler.diagnostics import CompilationFailed, to_diagnostics
from pilotkit.compiler.sources import Remapping, discover_roots, load_sources
from pilotkit.config import ProjectConfig
from pilotkit.toolchain.solc import find_solc

BUILD_INFO_FORMAT = "hh-sol-build-info-1"
ANALYSIS_OUTPUTS = [
    "abi",
    "devdoc",
    "userdoc",
    "evm.bytecode.object",
    "evm.bytecode.sourceMap",
    "evm.deployedBytecode.object",
    "evm.deployedBytecode.sourceMap",
]


def write_build_info(config: ProjectConfig, artifacts_dir: Path, exclude: tuple[str, ...] = ()) -> Path:
    """Compile every root under the contracts folder except those under an `exclude` folder (source unit
    prefixes such as ``contracts/cash/mocks/``) and write `<artifacts_dir>/build-info/<id>.json`.

    Returns the written path. Earlier build-info files in that folder are removed, so a reader sees one
    compilation unit.
    """
    roots = [r for r in discover_roots(config.contracts_dir, config.root) if not r.startswith(exclude)]
    remappings = [Remapping.parse(r) for r in config.compiler.remappings]
    sources = load_sources(roots, config.root, remappings)
    needed = sorted({unit for root in roots for unit in sources.closure(root)})
    standard_input: dict[str, Any] = {
        "language": "Solidity",
        "sources": {unit: {"content": sources.contents[unit]} for unit in needed},
        "settings": {
            **standard_settings(config.compiler),
            "outputSelection": {"*": {"*": ANALYSIS_OUTPUTS, "": ["ast"]}},
        },
    }
    backend = find_solc(config.compiler.solc_version, config.root)
    output = backend.compile(standard_input)
    diagnostics = to_diagnostics(output.get("errors", []), sources.contents)
    if any(d.severity == "error" for d in diagnostics):
        raise CompilationFailed(diagnostics)
    short = backend.version.split("+")[0]
    body = {
        "_format": BUILD_INFO_FORMAT,
        "solcVersion": short,
        "solcLongVersion": backend.version,
        "input": standard_input,
        "output": output,
    }
    text = json.dumps(body, sort_keys=True)
    build_id = hashlib.sha256(json.dumps(standard_input, sort_keys=True).encode()).hexdigest()[:32]
    folder = artifacts_dir / "build-info"
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()
    path = folder / f"{build_id}.json"
    path.write_text(text)
    return path
