"""After a replay: the cash programme's final state read from the chain, and its invariants."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pilotkit.pilots.kinds.cash.state import NAME, STATUS, state
from pilotkit.pilots.kit import check, units

if TYPE_CHECKING:
    from pilotkit.pilots.kit import Engine


def measure(engine: Engine, final: dict[str, Any], invariants: list[dict[str, Any]]) -> None:
    s = state(engine)
    call = engine.actions.call
    (count,) = call(NAME, "beneficiaryCount")
    statuses = dict.fromkeys(STATUS, 0)
    entitlements = 0
    for index in range(1, int(count) + 1):
        _, status, entitlement = call(NAME, "beneficiary", index)
        statuses[STATUS[status]] += 1
        entitlements += int(entitlement)
    (round_count,) = call(NAME, "roundCount")
    paid = approved = 0
    exact = []
    for round_id in range(1, int(round_count) + 1):
        (info,) = call(NAME, "round", round_id)
        paid += int(info[7])
        approved += int(info[1]) in (2, 4)
        mine = next((r for r in s.rounds.values() if r.round_id == round_id), None)
        if mine is not None and int(info[7]) != len(mine.paid) * mine.amount:
            exact.append(f"round {round_id}: chain paid {units(int(info[7]))}, replay counted "
                         f"{len(mine.paid)} payments of {units(mine.amount)}")
    (funded,) = call(NAME, "totalFunded")
    (swept,) = call(NAME, "totalSwept")
    (redeemed,) = call(NAME, "totalRedeemed")
    (balance,) = call("token", "balanceOf", engine.actions.address(NAME))
    (paused,) = call(NAME, "paused")
    final.update({
        "cash.enrolled": int(count), "cash.active": statuses["Active"], "cash.suspended": statuses["Suspended"],
        "cash.removed": statuses["Removed"], "cash.rounds": approved, "cash.payments": s.payments,
        "cash.paid": units(paid), "cash.funded": units(int(funded)), "cash.swept": units(int(swept)),
        "cash.redeemed": units(int(redeemed)), "cash.balance": units(int(balance)),
        "cash.recovered_wallets": s.recoveries, "cash.paused": bool(paused),
    })
    if engine.scenario.programme.voucher_mode:
        merchant_balances = sum(int(call(NAME, "merchantInfo", m.address)[1]) for m in s.merchants)
        invariants.append(check(
            "cash: money conserved (voucher mode)",
            balance == funded - redeemed - swept and paid - redeemed == entitlements + merchant_balances,
            f"balance {units(int(balance))} = funded {units(int(funded))} - redeemed {units(int(redeemed))} - "
            f"swept {units(int(swept))}; paid - redeemed = unspent entitlements {units(entitlements)} + "
            f"unredeemed merchant balances {units(merchant_balances)}"))
    else:
        invariants.append(check(
            "cash: money conserved", balance == funded - paid - swept,
            f"balance {units(int(balance))} = funded {units(int(funded))} - paid {units(paid)} - "
            f"swept {units(int(swept))}"))
    invariants.append(check("cash: every payment exactly once (chain totals = payments counted one by one)",
                            not exact, "; ".join(exact) or f"{s.payments} payments over {approved} rounds"))
    mine_status = {st: sum(1 for v in s.status.values() if v == st) for st in ("Active", "Suspended", "Removed")}
    invariants.append(check("cash: beneficiary statuses on chain match the scenario's actions",
                            all(statuses[st] == n for st, n in mine_status.items()),
                            ", ".join(f"{st} {statuses[st]}" for st in mine_status)))


def served(engine: Engine) -> tuple[str, int] | None:
    """The cost is per beneficiary whenever the scenario has beneficiaries."""
    return ("beneficiary", engine.actors.beneficiaries) if engine.actors.beneficiaries else None
