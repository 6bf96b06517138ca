"""After a replay: read the final state from the chain, check the invariants and the scenario's expectations."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pilotkit.pilots.scenario import METRICS, UNIT

if TYPE_CHECKING:
    from pilotkit.pilots.engine import Replay


def _units(base: int) -> int | float:
    return base // UNIT if base % UNIT == 0 else base / UNIT


def _check(name: str, ok: bool, detail: str) -> dict[str, Any]:
    return {"name": name, "ok": bool(ok), "detail": detail}


def _cash(engine: Replay, state: dict[str, Any], invariants: list[dict[str, Any]]) -> None:
    from pilotkit.pilots.engine import STATUS

    call = engine.actions.call
    (count,) = call("cash", "beneficiaryCount")
    statuses = dict.fromkeys(STATUS, 0)
    entitlements = 0
    for index in range(1, int(count) + 1):
        _, status, entitlement = call("cash", "beneficiary", index)
        statuses[STATUS[status]] += 1
        entitlements += int(entitlement)
    (round_count,) = call("cash", "roundCount")
    paid = approved = 0
    exact = []
    for round_id in range(1, int(round_count) + 1):
        (info,) = call("cash", "round", round_id)
        paid += int(info[7])
        approved += int(info[1]) in (2, 4)
        mine = next((r for r in engine.rounds.values() if r.round_id == round_id), None)
        if mine is not None and int(info[7]) != len(mine.paid) * mine.amount:
            exact.append(f"round {round_id}: chain paid {_units(int(info[7]))}, replay counted "
                         f"{len(mine.paid)} payments of {_units(mine.amount)}")
    (funded,) = call("cash", "totalFunded")
    (swept,) = call("cash", "totalSwept")
    (redeemed,) = call("cash", "totalRedeemed")
    (balance,) = call("token", "balanceOf", engine.actions.address("cash"))
    (paused,) = call("cash", "paused")
    state.update({
        "cash.enrolled": int(count), "cash.active": statuses["Active"], "cash.suspended": statuses["Suspended"],
        "cash.removed": statuses["Removed"], "cash.rounds": approved, "cash.payments": engine.payments,
        "cash.paid": _units(paid), "cash.funded": _units(int(funded)), "cash.swept": _units(int(swept)),
        "cash.redeemed": _units(int(redeemed)), "cash.balance": _units(int(balance)),
        "cash.recovered_wallets": engine.recoveries, "cash.paused": bool(paused),
    })
    if engine.scenario.programme.voucher_mode:
        merchant_balances = sum(int(call("cash", "merchantInfo", m.address)[1]) for m in engine.merchants)
        invariants.append(_check(
            "cash: money conserved (voucher mode)",
            balance == funded - redeemed - swept and paid - redeemed == entitlements + merchant_balances,
            f"balance {_units(int(balance))} = funded {_units(int(funded))} - redeemed {_units(int(redeemed))} - "
            f"swept {_units(int(swept))}; paid - redeemed = unspent entitlements {_units(entitlements)} + "
            f"unredeemed merchant balances {_units(merchant_balances)}"))
    else:
        invariants.append(_check(
            "cash: money conserved", balance == funded - paid - swept,
            f"balance {_units(int(balance))} = funded {_units(int(funded))} - paid {_units(paid)} - "
            f"swept {_units(int(swept))}"))
    invariants.append(_check("cash: every payment exactly once (chain totals = payments counted one by one)",
                             not exact, "; ".join(exact) or f"{engine.payments} payments over {approved} rounds"))
    mine_status = {s: sum(1 for v in engine.status.values() if v == s) for s in ("Active", "Suspended", "Removed")}
    invariants.append(_check("cash: beneficiary statuses on chain match the scenario's actions",
                             all(statuses[s] == n for s, n in mine_status.items()),
                             ", ".join(f"{s} {statuses[s]}" for s in mine_status)))


def _credits(engine: Replay, state: dict[str, Any], invariants: list[dict[str, Any]]) -> None:
    call = engine.actions.call
    (projects,) = call("credits", "projectCount")
    (batches,) = call("credits", "batchCount")
    (retirements,) = call("credits", "retirementCount")
    holders = [engine.role["developer"], engine.role["stranger"], *engine.buyers]
    issued = retired = 0
    broken = []
    for batch in range(1, int(batches) + 1):
        (i,) = call("credits", "issued", batch)
        (r,) = call("credits", "retired", batch)
        held = sum(int(call("credits", "balanceOf", h.address, batch)[0]) for h in holders)
        issued, retired = issued + int(i), retired + int(r)
        if held + int(r) != int(i):
            broken.append(f"batch {batch}: issued {i} != held {held} + retired {r}")
    state.update({"credits.projects": int(projects), "credits.batches": int(batches), "credits.issued": issued,
                  "credits.retired": retired, "credits.circulating": issued - retired,
                  "credits.retirements": int(retirements)})
    invariants.append(_check("credits: issued = held + retired, per batch", not broken,
                             "; ".join(broken) or f"{batches} batch(es), {issued} issued, {retired} retired"))


def _certs(engine: Replay, state: dict[str, Any], invariants: list[dict[str, Any]]) -> None:
    counts = {"Valid": 0, "Revoked": 0, "Suspended": 0, "Superseded": 0}
    wrong: list[str] = []
    everything = engine.certificates + engine.batch_docs
    for cert in everything:
        status = engine._verify(cert)
        counts[status] = counts.get(status, 0) + 1
        if status != cert.status and len(wrong) < 5:
            wrong.append(f"0x{cert.doc.hex()[:12]}… reads {status}, expected {cert.status}")
    state.update({"certs.issued": len(everything), "certs.valid": counts["Valid"],
                  "certs.revoked": counts["Revoked"], "certs.suspended": counts["Suspended"],
                  "certs.superseded": counts["Superseded"]})
    invariants.append(_check("certs: every certificate verifies with the status its history gives it", not wrong,
                             "; ".join(wrong) or f"{len(everything)} verified: " +
                             ", ".join(f"{k} {v}" for k, v in counts.items() if v)))


def measure(engine: Replay) -> dict[str, Any]:
    state: dict[str, Any] = {}
    invariants: list[dict[str, Any]] = []
    contracts = engine.scenario.contracts
    if "cash" in contracts:
        _cash(engine, state, invariants)
    if "credits" in contracts:
        _credits(engine, state, invariants)
    if "certs" in contracts:
        _certs(engine, state, invariants)
    expectations = []
    for key, expected in engine.scenario.expect_final.items():
        actual = state.get(key)
        ok = actual == expected or (isinstance(actual, (int, float)) and isinstance(expected, (int, float))
                                    and not isinstance(expected, bool) and abs(actual - expected) < 1e-9)
        expectations.append({"measure": key, "meaning": METRICS[key], "expected": expected, "actual": actual,
                             "ok": ok, "line": engine.scenario.expect_lines.get(key)})
    return {"final_state": state, "invariants": invariants, "expectations": expectations}
