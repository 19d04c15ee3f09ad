"""The registry of selection strategies: name → function, all returning a `Selection`.

`milp` is exact (`solve.py`); the rest are baselines (`baselines.py`) priced by the same
`estimate()`. `all-<device>` exists for every device of the Stacked Graph.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from lightcode.errors import InfeasibleError, LightCodeError
from lightcode.select import baselines
from lightcode.select.estimate import estimate
from lightcode.select.result import Constraints, Selection, SolveStats
from lightcode.select.solve import solve_milp, violations
from lightcode.stacked.graph import StackedGraph

Strategy = Callable[..., Selection]

BASELINES: dict[str, baselines.Baseline] = {
    "greedy": baselines.greedy,
    "paper": baselines.paper,
}


def strategies(stacked: StackedGraph) -> dict[str, Strategy]:
    """Every strategy usable on `stacked`, by name."""
    out: dict[str, Strategy] = {"milp": solve_milp}
    named = dict(BASELINES)
    named.update({f"all-{d}": baselines.all_on(d) for d in stacked.devices})
    for name, fn in named.items():
        out[name] = _as_strategy(name, fn)
    return out


def run_strategy(
    name: str,
    stacked: StackedGraph,
    objective: str = "latency",
    constraints: Constraints | None = None,
    **solver_options,
) -> Selection:
    """Select with strategy `name` (solver options go to the MILP only)."""
    table = strategies(stacked)
    if name not in table:
        raise LightCodeError(
            f"unknown strategy '{name}'", hint=f"one of {', '.join(sorted(table))}"
        )
    if name == "milp":
        return solve_milp(stacked, objective, constraints, **solver_options)
    return table[name](stacked, objective, constraints)


def memory_constraints(spec, constraints: Constraints | None = None) -> Constraints:
    """`constraints` plus: the weights on each device with a spec `memory` fit in it
    (`memory` is per unit; a device's capacity is memory x count)."""
    caps = {d.name: d.memory * d.count for d in spec.devices.values() if d.memory is not None}
    return replace(constraints or Constraints(), memory=caps)


def _as_strategy(name: str, fn: baselines.Baseline) -> Strategy:
    def strategy(
        stacked: StackedGraph, objective: str = "latency", constraints: Constraints | None = None
    ) -> Selection:
        t0 = time.perf_counter()
        choice = fn(stacked, objective)
        latency, energy = estimate(stacked, choice)
        if not (latency < float("inf") and energy < float("inf")):
            raise LightCodeError(f"{name}: its mapping moves a tensor between unlinked devices")
        broken = violations(stacked, choice, constraints or Constraints(), (latency, energy))
        if broken:
            raise InfeasibleError(f"strategy {name} breaks the bounds: " + "; ".join(broken))
        value = {"latency": latency, "energy": energy, "edp": latency * energy}[objective]
        stats = SolveStats(
            strategy=name,
            objective=objective,
            status="heuristic",
            objective_value=value,
            gap=None,
            build_time=0.0,
            solve_time=time.perf_counter() - t0,
            method=name,
        )
        return Selection(choice=choice, latency=latency, energy=energy, stats=stats)

    strategy.__doc__ = fn.__doc__
    return strategy
