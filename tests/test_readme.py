"""The README as a new user follows it: its runnable shell blocks run as written, its script examples are taken
from the scripts they name, and its testnet recipe sets every variable the deployment script needs."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
from pathlib import Path
from types import SimpleNamespace

import pytest
from _readme_blocks import README, REPO, runnable_blocks

ANYWHERE = [b for b in runnable_blocks() if not b.when]


def test_the_readme_marks_its_runnable_blocks() -> None:
    blocks = runnable_blocks()
    assert ANYWHERE and any(b.when == "with the demo running" for b in blocks)
    assert {b.when for b in blocks} <= {"", "with the demo running"}  # the walk and this file run every kind
    assert all(b.commands for b in blocks)


@pytest.mark.parametrize("block", ANYWHERE, ids=lambda b: f"README.md:{b.line}")
def test_runnable_blocks_run_as_written(block: object, tmp_path: Path) -> None:
    env = {**os.environ, "PATH": f"{REPO / '.venv' / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env = {k: v for k, v in env.items() if not k.startswith("PILOTKIT_API_")}
    for command in block.commands:  # type: ignore[attr-defined]
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", command], cwd=REPO, env=env, capture_output=True,
                              text=True, timeout=300, stdin=subprocess.DEVNULL)
        assert done.returncode == 0, f"README.md:{block.line}: `{command}` failed:\n{done.stdout}\n{done.stderr}"  # type: ignore[attr-defined]
        assert "Traceback" not in done.stderr, command


def _python_examples() -> list[tuple[str, list[str]]]:
    """(script path, the example's code lines) for every `# scripts/x.py` section of the README's python blocks."""
    examples: list[tuple[str, list[str]]] = []
    for body in re.findall(r"```python\n(.*?)```", README.read_text(), re.S):
        current: list[str] | None = None  # a block's lines count only after its `# scripts/x.py` header
        for line in body.splitlines():
            header = re.match(r"# (scripts/\w+\.py)\b", line)
            if header:
                current = []
                examples.append((header[1], current))
            elif current is not None and line.strip() and not line.lstrip().startswith("#"):
                current.append(line.strip())
    return examples


def test_script_examples_are_taken_from_the_files_they_name() -> None:
    examples = _python_examples()
    assert {path for path, _ in examples} >= {"scripts/deploy_core.py", "scripts/accredit_issuer.py"}
    for path, lines in examples:
        source = [line.strip() for line in (REPO / path).read_text().splitlines()]
        position = 0
        for line in lines:  # in the file, in this order
            assert line in source[position:], f"README's example of {path} has a line the file lacks: {line}"
            position = source.index(line, position) + 1


def test_the_testnet_recipe_sets_what_deploy_core_needs() -> None:
    recipe = next(body for body in re.findall(r"```sh\n(.*?)```", README.read_text(), re.S)
                  if "scripts/deploy_core.py --network sepolia" in body)
    needed = set(re.findall(r'os\.environ\.get\("(\w+)"\)', (REPO / "scripts" / "deploy_core.py").read_text()))
    assert needed == {"PILOTKIT_SETTLEMENT_TOKEN"}
    for variable in needed:
        assert re.search(rf"^export {variable}=", recipe, re.M), f"the testnet recipe never sets {variable}"


def test_deploy_core_on_a_real_network_without_a_token_says_what_to_set(monkeypatch: pytest.MonkeyPatch) -> None:
    from pilotkit.errors import PilotkitError

    spec = importlib.util.spec_from_file_location("deploy_core_example", REPO / "scripts" / "deploy_core.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    monkeypatch.delenv("PILOTKIT_SETTLEMENT_TOKEN", raising=False)
    session = SimpleNamespace(signer=SimpleNamespace(address="0x" + "11" * 20), network="sepolia",
                              connection=SimpleNamespace(is_local=False))
    with pytest.raises(PilotkitError, match="set PILOTKIT_SETTLEMENT_TOKEN to the address of the ERC-20"):
        module.main(session)
