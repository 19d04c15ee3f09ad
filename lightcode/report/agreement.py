"""How far the simulation strays from the planner's makespan, and which resource made it."""

from __future__ import annotations

from typing import Any

from lightcode.simulate import SimResult
from lightcode.simulate.program import Program
from lightcode.simulate.result import link_name

THRESHOLD = 0.05  # relative difference above which the report names a cause


def agreement(program: Program, sim: SimResult, planned: float) -> dict[str, Any]:
    """Simulated vs planned makespan, with the time ops and transfers spent queueing.

    Queueing is what the planner's aggregate load bounds cannot see: an op ready but waiting
    for a unit, a transfer waiting for its link.
    """
    waits: dict[str, float] = {}
    for t in program.tasks:
        waits[t.device] = waits.get(t.device, 0.0) + sim.task_start[t.id] - sim.task_ready[t.id]
    for j, tr in enumerate(program.transfers):
        if tr.link in program.links:
            name = link_name(tr.link)
            waits[name] = waits.get(name, 0.0) + sim.transfer_start[j] - sim.task_end[tr.src]
    ratio = sim.makespan / planned if planned > 0 else 1.0
    out: dict[str, Any] = {"ratio": ratio, "queueing_s": waits, "cause": None}
    if abs(ratio - 1.0) > THRESHOLD:
        busiest = max(waits, key=waits.get, default=None)
        if busiest is not None and waits[busiest] > 0:
            out["cause"] = busiest
    return out


def describe(a: dict[str, Any]) -> str | None:
    """One line for the text report when the two disagree by more than the threshold."""
    if a["cause"] is None:
        return None
    queue = a["queueing_s"][a["cause"]]
    return (
        f"simulation differs from the plan by {100 * (a['ratio'] - 1):+.1f}%: contention on "
        f"{a['cause']} (ready work waited {queue * 1e3:.3g} ms in total for it)"
    )
