"""The exact optimizer: decomposition when it is exact and fast, the flat MILP otherwise.

* No bounds: segments are solved apart and combined by DP (`decompose.py`) — exact.
* Bounds on latency, energy, power or memory couple the segments. The unbounded optimum is
  computed first by decomposition; if it already satisfies every bound it is optimal for the
  bounded problem too (it is optimal over a superset). Otherwise the flat MILP solves the
  bounded problem. Both paths are exact; only the time differs.
* EDP (E·T) is not linear: the supported points of the latency–energy front are enumerated
  exactly by weighted sums (Aneja–Nair dichotomic search) and the best E·T among them is
  returned. That is exact over the supported points of the front; an unsupported point (in a
  non-convex dent of the front) can have a lower E·T and is not searched.
"""

from __future__ import annotations

import time
from collections.abc import Mapping

import numpy as np

from lightcode.errors import InfeasibleError, LightCodeError
from lightcode.select.estimate import estimate
from lightcode.select.milp import (
    OBJECTIVES,
    Solved,
    check_solver,
    objective_weights,
    references,
    resident_weights,
    solve_flat,
)
from lightcode.select.result import Constraints, Selection, SolveStats
from lightcode.stacked.graph import StackedGraph

METHODS = ("auto", "decomposed", "flat")


def solve_milp(
    stacked: StackedGraph,
    objective: str = "latency",
    constraints: Constraints | None = None,
    solver: str = "HIGHS",
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-6,
    method: str = "auto",
) -> Selection:
    """The mapping that minimizes `objective` under `constraints`, with a proven gap.

    `method`: "auto" (decompose when exact, see the module doc), "decomposed" (fails on bounds
    the unbounded optimum breaks) or "flat" (one MILP over the whole graph).
    """
    if objective not in OBJECTIVES:
        raise LightCodeError(f"unknown objective '{objective}'", hint=f"one of {OBJECTIVES}")
    if method not in METHODS:
        raise LightCodeError(f"unknown method '{method}'", hint=f"one of {METHODS}")
    solver = check_solver(solver)
    constraints = constraints or Constraints()
    t0 = time.perf_counter()
    if objective == "edp":
        points, count = supported_front(
            stacked, constraints, solver, time_limit, mip_rel_gap, method
        )
        best = min(points, key=lambda s: s[1] * s[2])
        solved, how = best[0], f"{best[3]}, best E*T of {len(points)} supported points"
    else:
        weights = objective_weights(stacked, objective)
        solved, how, count = solve_weighted(
            stacked, weights, constraints, solver, time_limit, mip_rel_gap, method
        )
    wall = time.perf_counter() - t0
    latency, energy = estimate(stacked, solved.choice)
    value = {"latency": latency, "energy": energy, "edp": latency * energy}[objective]
    stats = SolveStats(
        strategy="milp",
        objective=objective,
        status=solved.status,
        objective_value=value,
        gap=solved.gap,
        build_time=solved.build_time,
        solve_time=wall - solved.build_time,
        variables=solved.variables,
        constraints=solved.constraints,
        solver=solver,
        method=how,
        subproblems=count,
    )
    return Selection(choice=solved.choice, latency=latency, energy=energy, stats=stats)


def solve_weighted(
    stacked: StackedGraph,
    weights: tuple[float, float],
    constraints: Constraints,
    solver: str = "HIGHS",
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-6,
    method: str = "auto",
) -> tuple[Solved, str, int]:
    """Minimize w_T T + w_E E under `constraints`: (solve, method used, MILPs solved)."""
    from lightcode.select.decompose import solve_decomposed

    if method != "flat":
        solved, count = solve_decomposed(stacked, weights, solver, time_limit, mip_rel_gap)
        if solved.choice is None:
            raise InfeasibleError("no mapping exists: some transfer has no link between devices")
        if not constraints.coupled:
            return solved, "decomposed", count
        if not violations(stacked, solved.choice, constraints):
            return solved, "decomposed (bounds slack)", count
        if method == "decomposed":
            raise LightCodeError("bounds couple the segments: use method 'flat' or 'auto'")
    else:
        count = 0
    solved = solve_flat(stacked, weights, constraints, solver, time_limit, mip_rel_gap)
    if solved.choice is None:
        raise InfeasibleError(explain_infeasible(stacked, constraints, solver))
    # Segment makespans are bounded from below only, so an average-power bound can be met on
    # paper by stretching a schedule with idle time; the mapping itself is judged without it.
    broken = violations(stacked, solved.choice, constraints)
    if broken:
        raise InfeasibleError(
            f"no mapping was found that meets {' and '.join(constraints.describe())}: the best "
            f"one, run without idle time, has {', '.join(broken)}",
            hint="average-power bounds are relaxed in the MILP (it may stretch a schedule); "
            "loosen the bound or bound energy or latency instead",
        )
    return solved, "flat", count + 1


def supported_front(
    stacked: StackedGraph,
    constraints: Constraints,
    solver: str = "HIGHS",
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-6,
    method: str = "auto",
    max_solves: int = 40,
) -> tuple[list[tuple[Solved, float, float, str]], int]:
    """Every supported (extreme) point of the latency–energy front, by dichotomic search:
    between two points, minimize the weighted sum whose level lines are parallel to the chord;
    a point strictly below the chord is new. Returns (solve, T, E, method) sorted by T."""
    count = 0

    def point(weights):
        nonlocal count
        solved, how, n = solve_weighted(
            stacked, weights, constraints, solver, time_limit, mip_rel_gap, method
        )
        count += n
        return (solved, *estimate(stacked, solved.choice), how)

    fast = point(objective_weights(stacked, "latency"))
    frugal = point(objective_weights(stacked, "energy"))
    points = [fast, frugal]
    t_ref, e_ref = references(stacked)
    todo = [(fast, frugal)]
    solves = 2
    while todo and solves < max_solves:
        a, b = todo.pop()
        d_e, d_t = a[2] - b[2], b[1] - a[1]
        if d_e <= 1e-9 * e_ref or d_t <= 1e-9 * t_ref:
            continue
        c = point((d_e, d_t))
        solves += 1
        if d_e * c[1] + d_t * c[2] < (d_e * a[1] + d_t * a[2]) * (1 - 1e-7):
            points.append(c)
            todo += [(a, c), (c, b)]
    points.sort(key=lambda s: (s[1], s[2]))
    return points, count


def violations(
    stacked: StackedGraph, choice: np.ndarray, c: Constraints, cost: tuple | None = None
) -> list[str]:
    """The bounds `choice` breaks, as 'what: value > bound' lines (1e-9 relative slack)."""
    from lightcode.report.format import si

    latency, energy = cost if cost is not None else estimate(stacked, choice)
    out = []
    tol = 1 + 1e-9
    if c.max_latency is not None and latency > c.max_latency * tol:
        out.append(f"latency {si(latency, 's')} > {si(c.max_latency, 's')}")
    if c.max_energy is not None and energy > c.max_energy * tol:
        out.append(f"energy {si(energy, 'J')} > {si(c.max_energy, 'J')}")
    if c.max_power is not None and energy > c.max_power * latency * tol:
        out.append(f"average power {si(energy / latency, 'W')} > {si(c.max_power, 'W')}")
    for device, used in weights_by_device(stacked, choice, c.memory).items():
        if used > c.memory[device] * tol:
            out.append(f"weights on {device} {si(used, 'B')} > {si(c.memory[device], 'B')}")
    return out


def weights_by_device(
    stacked: StackedGraph, choice: np.ndarray, devices: Mapping[str, float] | None = None
) -> dict[str, float]:
    """Bytes of weights resident on each device (or each of `devices`) under `choice`."""
    held = resident_weights(stacked)[choice]
    names = list(devices) if devices is not None else list(stacked.devices)
    dev = stacked.device[choice]
    return {d: float(held[dev == stacked.devices.index(d)].sum()) for d in names}


def explain_infeasible(stacked: StackedGraph, c: Constraints, solver: str = "HIGHS") -> str:
    """Name the violated bound and by how much the best mapping misses it."""
    from lightcode.report.format import si

    misses = []
    if c.max_latency is not None:
        best = solve_milp(stacked, "latency", Constraints(memory=c.memory), solver).latency
        if best > c.max_latency:
            misses.append(
                f"latency <= {si(c.max_latency, 's')} is infeasible: the fastest mapping takes "
                f"{si(best, 's')}"
            )
    if c.max_energy is not None:
        best = solve_milp(stacked, "energy", Constraints(memory=c.memory), solver).energy
        if best > c.max_energy:
            misses.append(
                f"energy <= {si(c.max_energy, 'J')} is infeasible: the most frugal mapping uses "
                f"{si(best, 'J')}"
            )
    if c.max_power is not None:
        p_static = stacked.total_static_power
        if p_static > c.max_power or (p_static == c.max_power and stacked.energy.min() > 0):
            misses.append(
                f"average power <= {si(c.max_power, 'W')} is infeasible: static power alone is "
                f"{si(p_static, 'W')}"
            )
    held = resident_weights(stacked)
    for device, cap in c.memory.items():
        d = stacked.devices.index(device)
        # the weights that cannot leave the device: ops with every candidate on it
        pinned = sum(
            held[stacked.ptr[i]]
            for i in range(len(stacked.graph.ops))
            if (stacked.device[stacked.stack(i)] == d).all()
        )
        if pinned > cap:
            misses.append(
                f"weights on {device} <= {si(cap, 'B')} is infeasible: the weights only {device} "
                f"can run need {si(pinned, 'B')}"
            )
    if not misses:
        given = [d for d in c.describe() if not d.startswith("weights on")]
        memory = " with the weights fitting each device's memory" if c.memory else ""
        return f"the bounds {' and '.join(given) or 'on memory'} cannot hold together{memory}"
    return "; ".join(misses)
