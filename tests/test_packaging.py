"""The project's own install leaves a fresh clone clean and quiet: the npm lock already lists every package
`npm install` would add (Anvil's per-platform binaries), and the licence metadata is the SPDX form setuptools wants."""

from __future__ import annotations

import json
import re
import tomllib
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def test_the_lock_lists_every_optional_package_npm_install_would_add() -> None:
    lock = json.loads((REPO / "package-lock.json").read_text())["packages"]
    for name, entry in lock.items():
        for optional in entry.get("optionalDependencies") or {}:
            nested, top = f"{name}/node_modules/{optional}", f"node_modules/{optional}"  # as npm resolves it
            locked = lock.get(nested) or lock.get(top)
            assert locked is not None, f"{name} names {optional}, which the lock lacks: `npm install` would add it"
            assert locked.get("integrity") or locked.get("link"), optional


def test_the_makefile_installs_with_the_lock_it_checks() -> None:
    makefile = (REPO / "Makefile").read_text()
    assert "node_modules/.installed: package.json package-lock.json" in makefile
    assert re.search(r"^\tnpm (install|ci)\b", makefile, re.M)


def test_the_licence_is_an_spdx_expression() -> None:
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["project"]["license"] == "Apache-2.0"  # a string: a table is deprecated (warns at every build)
    assert not any(c.startswith("License ::") for c in pyproject["project"].get("classifiers", []))
    requires = " ".join(pyproject["build-system"]["requires"])
    minimum = re.search(r"setuptools>=(\d+)", requires)
    assert minimum and int(minimum[1]) >= 77, "SPDX licence strings need setuptools 77 or later"
