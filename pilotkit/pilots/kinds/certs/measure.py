"""After a replay: every certificate verified once more, and the certs kind's final state."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pilotkit.pilots.kinds.certs.state import state
from pilotkit.pilots.kinds.certs.steps import verify
from pilotkit.pilots.kit import check

if TYPE_CHECKING:
    from pilotkit.pilots.kit import Engine


def measure(engine: Engine, final: dict[str, Any], invariants: list[dict[str, Any]]) -> None:
    counts = {"Valid": 0, "Revoked": 0, "Suspended": 0, "Superseded": 0}
    wrong: list[str] = []
    everything = state(engine).everything
    for cert in everything:
        status = verify(engine, cert)
        counts[status] = counts.get(status, 0) + 1
        if status != cert.status and len(wrong) < 5:
            wrong.append(f"0x{cert.doc.hex()[:12]}… reads {status}, expected {cert.status}")
    final.update({"certs.issued": len(everything), "certs.valid": counts["Valid"],
                  "certs.revoked": counts["Revoked"], "certs.suspended": counts["Suspended"],
                  "certs.superseded": counts["Superseded"]})
    invariants.append(check("certs: every certificate verifies with the status its history gives it", not wrong,
                            "; ".join(wrong) or f"{len(everything)} verified: " +
                            ", ".join(f"{k} {v}" for k, v in counts.items() if v)))


def served(engine: Engine) -> tuple[str, int] | None:
    """The cost is per certificate when the replay issued any."""
    certificates = len(state(engine).everything)
    return ("certificate", certificates) if certificates else None
