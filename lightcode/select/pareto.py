"""The latency–energy Pareto front by the ε-constraint method.

The two ends are the single-objective optima (latency-optimal, energy-optimal; each with the
other objective as a tie-break, so both are Pareto-optimal). Between them, the energy-optimal
mapping under `latency <= bound` is solved exactly for evenly spaced bounds; dominated or
repeated points are dropped, so the front is monotone: latency up ⇒ energy not up.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from lightcode.select.result import Constraints, Selection
from lightcode.select.solve import solve_milp
from lightcode.stacked.graph import StackedGraph


@dataclass(frozen=True)
class FrontPoint:
    latency: float  # s
    energy: float  # J
    bound: float | None  # the latency bound it was solved under (None at the ends)
    end: str  # "latency-optimal", "energy-optimal" or ""
    selection: Selection


def pareto_front(
    stacked: StackedGraph,
    points: int = 10,
    constraints: Constraints | None = None,
    **solver_options,
) -> list[FrontPoint]:
    """Up to `points` Pareto-optimal mappings, sorted by latency."""
    constraints = constraints or Constraints()
    fast = solve_milp(stacked, "latency", constraints, **solver_options)
    frugal = solve_milp(stacked, "energy", constraints, **solver_options)
    front = [FrontPoint(fast.latency, fast.energy, None, "latency-optimal", fast)]
    if frugal.latency > fast.latency * (1 + 1e-9):
        for bound in np.linspace(fast.latency, frugal.latency, max(points, 2))[1:-1]:
            sel = solve_milp(
                stacked, "energy", replace(constraints, max_latency=float(bound)), **solver_options
            )
            front.append(FrontPoint(sel.latency, sel.energy, float(bound), "", sel))
    front.append(FrontPoint(frugal.latency, frugal.energy, None, "energy-optimal", frugal))
    front = _nondominated(front)
    if len(front) == 1:  # both optima are one mapping: the front is a point, marked "both"
        front[0] = replace(front[0], end="both")
    return front


def _nondominated(front: list[FrontPoint]) -> list[FrontPoint]:
    out: list[FrontPoint] = []
    for p in sorted(front, key=lambda p: (p.latency, p.energy, p.end == "")):
        if out and p.energy >= out[-1].energy * (1 - 1e-9):
            if p.end and not out[-1].end:  # keep the marked end over an equal interior point
                out[-1] = p
            continue
        out.append(p)
    return out


def write_csv(front: list[FrontPoint], path: Path) -> Path:
    lines = ["latency_s,energy_J,latency_bound_s,end"]
    for p in front:
        bound = "" if p.bound is None else f"{p.bound:.9g}"
        lines.append(f"{p.latency:.9g},{p.energy:.9g},{bound},{p.end}")
    path.write_text("\n".join(lines) + "\n")
    return path


def plot(front: list[FrontPoint], path: Path, title: str = "") -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6, 4))
    t = [p.latency * 1e3 for p in front]
    e = [p.energy for p in front]
    ax.step(t, e, where="post", color="0.6", lw=1)
    ax.plot(t, e, "o", color="tab:blue", label="Pareto-optimal mappings")
    for p, marker, color in (
        (front[0], "s", "tab:red"),
        (front[-1], "D", "tab:green"),
    ):
        ax.plot(p.latency * 1e3, p.energy, marker, color=color, ms=9, label=p.end)
    ax.set_xlabel("planned latency (ms)")
    ax.set_ylabel("planned energy (J)")
    ax.set_title(title)
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path
