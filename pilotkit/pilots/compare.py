"""`pilotkit compare a.json b.json`: what changed between two replay results.

Compares the verdicts, the recommendation, the final state, the gas per operation (with the relative change),
the cost per served person under each preset, the misuse outcomes, the invariants and, as information, the
wall-clock throughput (which differs between any two runs).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pilotkit import safejson
from pilotkit.errors import PilotkitError


@dataclass
class Diff:
    before: str
    after: str
    changes: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    deterministic_equal: bool = False

    def add(self, section: str, **change: Any) -> None:
        self.changes.setdefault(section, []).append(change)

    def to_dict(self) -> dict[str, Any]:
        return {"before": self.before, "after": self.after, "identical_apart_from_wall_clock":
                self.deterministic_equal, "changes": self.changes}

    def text(self) -> str:
        lines = [f"before: {self.before}", f"after:  {self.after}"]
        if self.deterministic_equal:
            lines.append("identical apart from wall-clock figures (same transactions, gas and state)")
        for section, changes in self.changes.items():
            lines.append(f"\n{section}:")
            for c in changes:
                what = c.get("what", "")
                if "delta_percent" in c:
                    lines.append(f"  {what}: {c['before']:,} → {c['after']:,} ({c['delta_percent']:+.1f}%)")
                else:
                    lines.append(f"  {what}: {c.get('before')} → {c.get('after')}")
        if not self.changes:
            lines.append("no differences")
        return "\n".join(lines)


def _load(path: str) -> dict[str, Any]:
    try:
        data = safejson.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PilotkitError(f"{path}: not a readable replay result ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != "pilotkit-replay/1":
        raise PilotkitError(f"{path}: not a pilotkit replay result (format pilotkit-replay/1)")
    return data


def _pct(before: float, after: float) -> float:
    return 0.0 if before == after else (100.0 * (after - before) / before if before else float("inf"))


def compare(a: dict[str, Any], b: dict[str, Any], before: str = "a", after: str = "b") -> Diff:
    from pilotkit.pilots.report_json import deterministic_part

    diff = Diff(before, after, deterministic_equal=deterministic_part(a) == deterministic_part(b))
    for key in ("name", "seed", "full_size"):
        if a["scenario"].get(key) != b["scenario"].get(key):
            diff.add("scenario", what=key, before=a["scenario"].get(key), after=b["scenario"].get(key))
    if a["summary"]["verdict"] != b["summary"]["verdict"]:
        diff.add("verdict", what="verdict", before=a["summary"]["verdict"], after=b["summary"]["verdict"])
    if a["assessment"]["recommendation"] != b["assessment"]["recommendation"]:
        diff.add("assessment", what="recommendation", before=a["assessment"]["label"], after=b["assessment"]["label"])
    for key in sorted(set(a["final_state"]) | set(b["final_state"])):
        x, y = a["final_state"].get(key), b["final_state"].get(key)
        if x != y:
            diff.add("final state", what=key, before=x, after=y)
    ga, gb = a["gas"]["by_operation"], b["gas"]["by_operation"]
    for op in sorted(set(ga) | set(gb)):
        x, y = (ga.get(op) or {}).get("mean"), (gb.get(op) or {}).get("mean")
        if x is None or y is None:
            diff.add("gas per operation (mean)", what=op, before=x, after=y)
        elif x != y:
            diff.add("gas per operation (mean)", what=op, before=x, after=y, delta_percent=_pct(x, y))
    if a["gas"]["total"] != b["gas"]["total"]:
        diff.add("gas per operation (mean)", what="total gas", before=a["gas"]["total"], after=b["gas"]["total"],
                 delta_percent=_pct(a["gas"]["total"], b["gas"]["total"]))
    ca = {r["preset"]["name"]: r["per_beneficiary_usd"] for r in a["costs"]["presets"]}
    cb = {r["preset"]["name"]: r["per_beneficiary_usd"] for r in b["costs"]["presets"]}
    for name in sorted(set(ca) | set(cb)):
        if ca.get(name) != cb.get(name):
            diff.add("cost per served person (USD)", what=name, before=ca.get(name), after=cb.get(name))
    ma = {(m["step"], m["attempt"]): m for m in a["misuse"]}
    mb = {(m["step"], m["attempt"]): m for m in b["misuse"]}
    for step_key in sorted(set(ma) | set(mb)):
        ma_x, mb_y = ma.get(step_key), mb.get(step_key)
        if (ma_x and ma_x["observed"]) != (mb_y and mb_y["observed"]):
            diff.add("misuse attempts", what=f"step {step_key[0]} {step_key[1]}", before=ma_x and ma_x["observed"],
                     after=mb_y and mb_y["observed"])
    ia = {i["name"]: i["ok"] for i in a["invariants"]}
    ib = {i["name"]: i["ok"] for i in b["invariants"]}
    for name in sorted(set(ia) | set(ib)):
        if ia.get(name) != ib.get(name):
            diff.add("invariants", what=name, before=ia.get(name), after=ib.get(name))
    wa, wb = a.get("wall_clock", {}), b.get("wall_clock", {})
    for key in ("replay_seconds", "transactions_per_second", "operations_per_second"):
        x, y = wa.get(key), wb.get(key)
        if x and y and x != y:
            diff.add("wall clock (differs between any two runs)", what=key, before=x, after=y,
                     delta_percent=_pct(x, y))
    return diff


def compare_files(before: str, after: str) -> Diff:
    return compare(_load(before), _load(after), before, after)
