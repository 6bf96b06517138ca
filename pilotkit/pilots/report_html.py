"""A self-contained HTML report of one replay: inline CSS and inline SVG charts, no external assets or scripts.

Sections (each an element with a stable id, which tests check): summary, assessment, steps, misuse, invariants,
expectations, gas, costs, throughput, charts (cumulative disbursed over chain time, gas per operation, cost per
served person by chain preset).
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape
from pathlib import Path
from typing import Any

from pilotkit.pilots.scenario import UNIT

SECTIONS = ("summary", "assessment", "steps", "misuse", "invariants", "expectations", "gas", "costs",
            "throughput", "chart-disbursed", "chart-gas", "chart-costs")

CSS = """
body{font:15px/1.45 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:0;color:#1d2330;background:#f6f7f9}
main{max-width:1100px;margin:0 auto;padding:24px}
h1{font-size:26px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:2px solid #dde1e7;padding-bottom:4px}
.sub{color:#5b6475}.card{background:#fff;border:1px solid #dde1e7;border-radius:8px;padding:14px 18px;margin:10px 0}
.verdict{display:inline-block;font-weight:700;padding:4px 12px;border-radius:6px;color:#fff}
.PASS{background:#1f7a3f}.FAIL{background:#b42318}.ok{color:#1f7a3f;font-weight:600}.bad{color:#b42318;font-weight:600}
table{border-collapse:collapse;width:100%;background:#fff;font-size:14px}
th,td{border:1px solid #dde1e7;padding:5px 8px;text-align:left;vertical-align:top}th{background:#eef1f5}
td.num{text-align:right;font-variant-numeric:tabular-nums}code{font-size:12px;word-break:break-all}
.rec{font-size:20px;font-weight:700}.note{font-size:13px;color:#5b6475}svg text{font:12px system-ui,sans-serif}
"""


def _e(value: Any) -> str:
    return escape(str(value))


def _mark(ok: bool) -> str:
    return '<span class="ok">✔ yes</span>' if ok else '<span class="bad">✘ no</span>'


def _table(header: list[str], rows: list[list[str]], numeric: set[int] | None = None) -> str:
    numeric = numeric or set()
    head = "".join(f"<th>{_e(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f'<td class="num">{c}</td>' if i in numeric else f"<td>{c}</td>"
                                    for i, c in enumerate(row)) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _bar_chart(title: str, items: list[tuple[str, float]], unit: str, width: int = 760) -> str:
    if not items:
        return f"<p class='note'>{_e(title)}: nothing to chart.</p>"
    bar_h, label_w = 22, 230
    height = bar_h * len(items) + 30
    top = max(v for _, v in items) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
             f'aria-label="{_e(title)}">']
    for n, (label, value) in enumerate(items):
        y = 10 + n * bar_h
        w = max((width - label_w - 110) * value / top, 1 if value else 0)
        parts.append(f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{_e(label[:34])}</text>')
        parts.append(f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{bar_h - 7}" fill="#3563c9"/>')
        parts.append(f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{_e(_fmt(value))} {_e(unit)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def _line_chart(title: str, points: list[tuple[float, float]], x_label: str, y_label: str,
                width: int = 760, height: int = 260) -> str:
    if len(points) < 2:
        return f"<p class='note'>{_e(title)}: no disbursement in this scenario.</p>"
    left, bottom, right, top_pad = 70, 40, 20, 15
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    x0, x1 = min(xs), max(xs) if max(xs) > min(xs) else min(xs) + 1
    y1 = max(ys) or 1

    def sx(x: float) -> float:
        return left + (width - left - right) * (x - x0) / (x1 - x0)

    def sy(y: float) -> float:
        return height - bottom - (height - bottom - top_pad) * y / y1

    path = " ".join(f"{'M' if i == 0 else 'L'}{sx(x):.1f},{sy(y):.1f}" for i, (x, y) in enumerate(points))
    steps = "".join(f'<circle cx="{sx(x):.1f}" cy="{sy(y):.1f}" r="2.5" fill="#1f7a3f"/>' for x, y in points)
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" role="img" '
            f'aria-label="{_e(title)}">'
            f'<line x1="{left}" y1="{height - bottom}" x2="{width - right}" y2="{height - bottom}" stroke="#888"/>'
            f'<line x1="{left}" y1="{top_pad}" x2="{left}" y2="{height - bottom}" stroke="#888"/>'
            f'<text x="{left - 6}" y="{sy(y1) + 4:.1f}" text-anchor="end">{_e(_fmt(y1))}</text>'
            f'<text x="{left - 6}" y="{height - bottom + 4}" text-anchor="end">0</text>'
            f'<text x="{left}" y="{height - 8}">{_e(_day(x0))}</text>'
            f'<text x="{width - right}" y="{height - 8}" text-anchor="end">{_e(_day(x1))}</text>'
            f'<text x="{(width) / 2}" y="{height - 8}" text-anchor="middle">{_e(x_label)}</text>'
            f'<text x="14" y="{top_pad + 10}">{_e(y_label)}</text>'
            f'<path d="{path}" fill="none" stroke="#1f7a3f" stroke-width="2"/>{steps}</svg>')


def _fmt(value: float) -> str:
    if isinstance(value, float) and not value.is_integer():
        return f"{value:,.4f}" if value < 1 else f"{value:,.2f}"
    return f"{int(value):,}"


def _day(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d")


def render(result: dict[str, Any]) -> str:
    s, summary, a = result["scenario"], result["summary"], result["assessment"]
    out: list[str] = []
    out.append(f"<header><h1>{_e(s['title'])}</h1><p class='sub'>{_e(s['region'])} · {_e(s['agency_type'])} · "
               f"{_e(s['use_case'])}</p><p class='note'>Modelled on <b>{_e(s['modelled_on']['pilot'])}</b> "
               f"({_e(s['modelled_on']['reference'])}); {_e(s['modelled_on']['note'])}. Scenario "
               f"<code>{_e(s['file'])}</code>, seed {_e(s['seed'])}"
               f"{', full size' if s['full_size'] else ''}.</p></header>")
    failures = "".join(f"<li>{_e(f)}</li>" for f in summary["failures"])
    out.append(f"<section id='summary'><h2>Summary</h2><div class='card'><span class='verdict "
               f"{_e(summary['verdict'])}'>{_e(summary['verdict'])}</span> {_e(summary['headline'])}"
               f"{'<ul>' + failures + '</ul>' if failures else ''}"
               f"{'<p class=bad>' + _e(summary['fit_warning']) + '</p>' if summary.get('fit_warning') else ''}"
               f"<p>{_e(s['summary'])}</p></div></section>")
    reasons = "".join(f"<li>{_e(r)}</li>" for r in a["reasons"])
    conditions = "".join(f"<li>{_e(c)}</li>" for c in a["conditions"])
    trail = _table(["question", "answer"], [[_e(t["question"]), "yes" if t["answer"] else "no"] for t in a["trail"]])
    risks = _table(["area", "likelihood", "impact", "score", "level", "mitigation"],
                   [[_e(r["area"].replace("_", " ")), str(r["likelihood"]), str(r["impact"]), str(r["score"]),
                     _e(r["level"]), _e(r["mitigation"])] for r in a["risks"]], {1, 2, 3})
    out.append(f"<section id='assessment'><h2>Fit assessment</h2><div class='card'><div class='rec'>"
               f"{_e(a['label'])}</div><ul>{reasons}</ul>"
               f"{'<p><b>Conditions</b></p><ul>' + conditions + '</ul>' if conditions else ''}</div>"
               f"{trail}<p><b>Risk register</b> (overall {_e(a['overall_risk'])})</p>{risks}</section>")
    steps = [[str(st["step"]), _e(st["do"] + (f" ({st['label']})" if st["label"] else "")), _mark(st["ok"]),
              f"{st['transactions']:,}", f"{st['gas']:,}",
              _e("; ".join(st["problems"]) or _short(st["detail"]))] for st in result["steps"]]
    out.append("<section id='steps'><h2>Steps</h2>" +
               _table(["#", "step", "ok", "transactions", "gas", "outcome"], steps, {3, 4}) + "</section>")
    misuse = [[str(m["step"]), _e(m["attempt"].replace("_", " ")), _e(m["description"]),
               _e(_pair(m["expected"])), _e(_pair(m["observed"])), _mark(m["refused_as_expected"]),
               f"<code>{_e(m.get('tx_hash', 'view call'))}</code>"] for m in result["misuse"]]
    out.append("<section id='misuse'><h2>Misuse attempts</h2>" +
               (_table(["step", "attempt", "what was tried", "expected", "observed", "refused as expected",
                        "transaction"], misuse) if misuse else "<p>No misuse attempts in this scenario.</p>") +
               "</section>")
    out.append("<section id='invariants'><h2>Invariants checked</h2>" +
               _table(["invariant", "holds", "detail"],
                      [[_e(i["name"]), _mark(i["ok"]), _e(i["detail"])] for i in result["invariants"]]) +
               "</section>")
    out.append("<section id='expectations'><h2>Expectations</h2>" +
               _table(["measure", "meaning", "expected", "actual", "met"],
                      [[_e(e["measure"]), _e(e["meaning"]), _e(e["expected"]), _e(e["actual"]), _mark(e["ok"])]
                       for e in result["expectations"]]) + "</section>")
    gas = result["gas"]["by_operation"]
    out.append("<section id='gas'><h2>Gas per operation</h2>" +
               _table(["operation", "transactions", "mean gas", "min", "max", "items", "gas per item"],
                      [[_e(k), f"{g['transactions']:,}", f"{g['mean']:,}", f"{g['min']:,}", f"{g['max']:,}",
                        f"{g['items']:,}", f"{g['per_item']:,}" if g["per_item"] else "-"] for k, g in gas.items()],
                      {1, 2, 3, 4, 5, 6}) + f"<p>Total gas: {result['gas']['total']:,}</p></section>")
    costs = result["costs"]
    unit = costs["served_unit"]
    out.append(f"<section id='costs'><h2>Cost per {_e(unit)} by chain</h2>" +
               _table(["preset", "kind", "gas price (gwei)", "token price (USD)", "total (USD)",
                       f"per {unit} (USD)", "note"],
                      [[_e(r["preset"]["name"]), _e(r["preset"]["kind"]), _fmt(r["preset"]["gas_price_gwei"]),
                        _fmt(r["preset"]["token_price_usd"]), _fmt(r["total_usd"]),
                        _fmt(r["per_beneficiary_usd"] or 0), _e(r["preset"]["note"])] for r in costs["presets"]],
                      {2, 3, 4, 5}) +
               f"<p class='note'>{costs['served']:,} {_e(unit)}(s) served. Presets are assumptions, not quotes: "
               "set your own gas and token prices under chain.custom_presets.</p></section>")
    t, w = result["throughput"], result["wall_clock"]
    latency = w.get("block_latency_ms", {})
    out.append("<section id='throughput'><h2>Throughput and latency</h2>" +
               _table(["measure", "value"], [
                   ["transactions", f"{t['transactions']:,}"], ["beneficiary-level operations", f"{t['operations']:,}"],
                   ["blocks", f"{t['blocks']:,}"], ["chain time covered", f"{t['chain_seconds'] / 86400:.1f} days"],
                   ["replay wall time", f"{w.get('replay_seconds')} s"],
                   ["transactions per second", _e(w.get("transactions_per_second"))],
                   ["operations per second", _e(w.get("operations_per_second"))],
                   ["block latency (submit → receipts), median / p95 / max",
                    f"{latency.get('median')} / {latency.get('p95')} / {latency.get('max')} ms"],
               ]) + f"<p class='note'>Wall-clock figures from this machine, {_e(w.get('started_at'))}; everything "
               "else in this report is deterministic for the scenario and seed.</p></section>")
    points = [(float(ts), amount / UNIT) for ts, amount in result["timeline"]]
    out.append("<section id='chart-disbursed'><h2>Cumulative disbursed over time</h2>" +
               _line_chart("cumulative disbursed", points, "chain date", "token units") + "</section>")
    top_gas = sorted(((k, float(g["mean"])) for k, g in gas.items()), key=lambda kv: -kv[1])[:14]
    out.append("<section id='chart-gas'><h2>Gas per operation (mean per transaction)</h2>" +
               _bar_chart("gas per operation", top_gas, "gas") + "</section>")
    out.append(f"<section id='chart-costs'><h2>Cost per {_e(unit)} by chain</h2>" +
               _bar_chart("cost by chain", [(r["preset"]["name"], float(r["per_beneficiary_usd"] or 0))
                                            for r in costs["presets"]], "USD") + "</section>")
    chain = result["chain"]
    out.append(f"<footer><p class='note'>Chain: {_e(chain['kind'])} ({_e(chain['network'])}, chain id "
               f"{_e(chain['chain_id'])}, EVM {_e(chain['evm_version'])}), {chain['blocks']:,} blocks, final block "
               f"<code>{_e(chain['final_block_hash'])}</code>, transactions digest "
               f"<code>{_e(result['transactions_digest'])}</code>. Generated by pilotkit replay "
               f"({_e(result['format'])}).</p></footer>")
    return ("<!DOCTYPE html>\n<html lang='en'><head><meta charset='utf-8'><meta name='viewport' "
            f"content='width=device-width, initial-scale=1'><title>{_e(s['title'])} — pilot replay</title>"
            f"<style>{CSS}</style></head><body><main>{''.join(out)}</main></body></html>\n")


def _pair(value: dict[str, Any]) -> str:
    return ", ".join(f"{k}: {v}" for k, v in value.items())


def _short(detail: dict[str, Any]) -> str:
    shown = []
    for key, value in detail.items():
        if key in ("step", "attempt", "expected", "observed", "refused", "refused_as_expected", "error_values"):
            continue
        if isinstance(value, dict):
            value = ", ".join(f"{k} {v}" for k, v in value.items())
        shown.append(f"{key.replace('_', ' ')}: {value}")
    return "; ".join(shown)[:300]


def write_html(result: dict[str, Any], path: Path) -> Path:
    path.write_text(render(result), encoding="utf-8")
    return path
