"""The Slither gate: every High or Medium finding must be triaged, with a reason, in a committed file.

Slither cannot download a compiler here, so pilotkit compiles the contracts itself (mocks excluded) into a
Hardhat-style build-info file ({pilotkit.compiler.build_info}) and points crytic-compile at it. Findings in
node_modules (OpenZeppelin) and mocks are filtered by Slither (`--filter-paths`). A finding is identified by
(detector, contract, function or element): stable across line moves, specific enough to review.

Run by hand: `make lint-contracts` (or `python -m pilotkit.analysis.slither_gate`).
"""

from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

GATED_IMPACTS = ("High", "Medium")
EXCLUDED_PATHS = ("node_modules", "contracts/cash/mocks/")
TRIAGE_FILE = "slither-triage.json"


@dataclass(frozen=True)
class Finding:
    detector: str
    impact: str
    key: str
    description: str

    def __str__(self) -> str:
        return f"[{self.impact}] {self.detector} {self.key}: {self.description.strip().splitlines()[0]}"


def _element_key(result: dict[str, Any]) -> str:
    """`Contract.function` (or `Contract` / the first element's name) of a Slither result."""
    for element in result.get("elements", []):
        kind = element.get("type")
        if kind == "function":
            parent = element.get("type_specific_fields", {}).get("parent", {}).get("name", "?")
            return f"{parent}.{element.get('name')}"
        if kind == "contract":
            return str(element.get("name"))
        if kind in ("variable", "node"):
            fields = element.get("type_specific_fields", {})
            parent = fields.get("parent", {})
            if parent.get("type") == "function":
                contract = parent.get("type_specific_fields", {}).get("parent", {}).get("name", "?")
                return f"{contract}.{parent.get('name')}"
            if parent.get("type") == "contract":
                return f"{parent.get('name')}.{element.get('name')}"
    return "?"


def run_slither(root: Path, workdir: Path) -> tuple[list[Finding], float]:
    """Compile, run Slither over the build-info, return the High and Medium findings and the seconds taken."""
    from pilotkit.compiler.build_info import write_build_info
    from pilotkit.config import load_config

    started = time.monotonic()
    config = load_config(root)
    artifacts = workdir / "artifacts"
    write_build_info(config, artifacts, exclude=("contracts/cash/mocks/",))
    report = workdir / "slither.json"
    command = [
        sys.executable, "-m", "slither", str(root),
        "--compile-force-framework", "hardhat",
        "--hardhat-ignore-compile", "--npx-disable",
        "--hardhat-artifacts-directory", str(artifacts),
        "--filter-paths", "|".join(EXCLUDED_PATHS),
        "--exclude-informational", "--exclude-optimization", "--exclude-low",
        "--json", str(report),
        "--disable-color",
    ]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if not report.is_file():
        raise RuntimeError(f"slither produced no report (exit {done.returncode}):\n{done.stderr[-4000:]}")
    data = json.loads(report.read_text())
    if not data.get("success"):
        raise RuntimeError(f"slither failed: {data.get('error')}\n{done.stderr[-4000:]}")
    findings = []
    for result in data.get("results", {}).get("detectors", []):
        if result.get("impact") not in GATED_IMPACTS:
            continue
        findings.append(Finding(result["check"], result["impact"], _element_key(result), result["description"]))
    return sorted(set(findings), key=lambda f: (f.detector, f.key)), time.monotonic() - started


def load_triage(root: Path) -> dict[tuple[str, str], str]:
    """(detector, key) -> reason, from the committed triage file; a missing or empty reason is an error."""
    entries = json.loads((root / TRIAGE_FILE).read_text())["accepted"]
    triage = {}
    for entry in entries:
        reason = str(entry.get("reason", "")).strip()
        if not reason:
            raise ValueError(f"{TRIAGE_FILE}: {entry.get('detector')} {entry.get('key')} has no reason")
        triage[(entry["detector"], entry["key"])] = reason
    return triage


def untriaged(findings: list[Finding], triage: dict[tuple[str, str], str]) -> list[Finding]:
    return [f for f in findings if (f.detector, f.key) not in triage]


def main() -> int:
    root = Path(__file__).resolve().parents[2]
    with tempfile.TemporaryDirectory(prefix="pilotkit-slither-") as tmp:
        findings, seconds = run_slither(root, Path(tmp))
    triage = load_triage(root)
    open_findings = untriaged(findings, triage)
    stale = sorted(set(triage) - {(f.detector, f.key) for f in findings})
    for finding in findings:
        mark = "accepted" if finding not in open_findings else "UNTRIAGED"
        print(f"{mark:9} {finding}")
    for detector, key in stale:
        print(f"stale     triage entry no longer reported: {detector} {key}")
    print(f"slither: {len(findings)} High/Medium findings, {len(open_findings)} untriaged, {seconds:.1f} s")
    return 1 if open_findings else 0


if __name__ == "__main__":
    raise SystemExit(main())
