"""Exact selection by mixed-integer linear programming (cvxpy; HiGHS by default).

Variables: x[c] ∈ {0,1} picks candidate c (one per op); z[k] ≥ 0 linearizes the transfer cost
of edge e when its producer runs on device p and its consumer on device q
(z ≥ y[u,p] + y[v,q] − 1, where y[i,d] = Σ x over op i's candidates on d). The graph is cut
into segments that run one after another (`segments.py`); s[i] ≥ 0 is op i's start relative to
its segment's start and L[k] segment k's makespan:
  s[v] ≥ s[u] + dur[u] + Σ_pq t[e,p,q] z[e,p,q]      for every edge u → v inside a segment
  s[v] ≥ Σ_pq t[e,p,q] z[e,p,q]                      for every edge entering a segment
  L[k] ≥ s[i] + dur[i]                               for every op of segment k
  L[k] ≥ Σ_{c on d in k} dur[c] units[c] x[c] / count[d]   (device load bound)
  L[k] ≥ Σ_{transfers into k on link pq} busy z      (link load bound)
  T = Σ L[k];  E = Σ energy[c] x[c] + Σ e[e,p,q] z[e,p,q] + P_static T
Every matrix is built sparse: canonicalization stays linear in the graph size.
"""

from __future__ import annotations

import os
import sys
import time
from contextlib import contextmanager

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from lightcode.errors import InfeasibleError, LightCodeError
from lightcode.select.estimate import estimate
from lightcode.select.result import Constraints, Selection, SolveStats
from lightcode.select.segments import segment_of
from lightcode.stacked.graph import StackedGraph

OBJECTIVES = ("latency", "energy")
TIE_BREAK = 1e-4  # weight of the other objective, so ties resolve to a Pareto-optimal mapping


def solve_milp(
    stacked: StackedGraph,
    objective: str = "latency",
    constraints: Constraints | None = None,
    solver: str = "HIGHS",
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-6,
) -> Selection:
    """The mapping that minimizes `objective` under `constraints`, with a proven gap."""
    if objective not in OBJECTIVES:
        raise LightCodeError(f"unknown objective '{objective}'", hint=f"one of {OBJECTIVES}")
    constraints = constraints or Constraints()
    t0 = time.perf_counter()
    model = _Model(stacked)
    problem = model.problem(objective, constraints)
    build_time = time.perf_counter() - t0
    opts: dict[str, object] = {}
    if solver.upper() == "HIGHS":
        opts = {"mip_rel_gap": mip_rel_gap}
        if time_limit:
            opts["time_limit"] = float(time_limit)
    elif time_limit:
        opts["time_limit"] = float(time_limit)
    t1 = time.perf_counter()
    try:
        with _native_stdout_silenced():
            problem.solve(solver=solver.upper(), **opts)
    except cp.error.SolverError as err:
        raise LightCodeError(f"solver {solver} failed: {err}") from None
    solve_time = time.perf_counter() - t1
    if problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        raise InfeasibleError(_explain_infeasible(stacked, constraints, solver))
    if model.x.value is None:
        raise LightCodeError(f"solver {solver} returned no mapping (status {problem.status})")
    choice = model.choice()
    latency, energy = estimate(stacked, choice)
    info = problem.solver_stats.extra_stats
    gap = float(getattr(info, "mip_gap", 0.0)) if info is not None else None
    status = "optimal" if problem.status == cp.OPTIMAL else "time_limit"
    stats = SolveStats(
        strategy="milp",
        objective=objective,
        status=status,
        objective_value=latency if objective == "latency" else energy,
        gap=max(gap, 0.0) if gap is not None and np.isfinite(gap) else None,
        build_time=build_time,
        solve_time=solve_time,
        variables=sum(v.size for v in problem.variables()),
        constraints=sum(c.size for c in problem.constraints),
        solver=solver.upper(),
    )
    return Selection(choice=choice, latency=latency, energy=energy, stats=stats)


class _Model:
    """The sparse MILP of one Stacked Graph, in scaled units (T_ref seconds, E_ref joules)."""

    def __init__(self, stacked: StackedGraph) -> None:
        g = stacked.graph
        n, c_count, n_dev = len(g.ops), len(stacked.candidates), len(stacked.devices)
        op_of = stacked.op_of
        cand = np.arange(c_count)
        self.stacked = stacked
        # Reference scales: a serial run of each op's fastest (cheapest) candidate.
        self.t_ref = _positive(np.minimum.reduceat(stacked.latency, stacked.ptr[:-1]).sum())
        self.e_ref = _positive(np.minimum.reduceat(stacked.energy, stacked.ptr[:-1]).sum())
        dur = stacked.latency / self.t_ref
        self.x = cp.Variable(c_count, boolean=True)
        self.s = cp.Variable(n, nonneg=True)
        one_hot = sp.csr_matrix((np.ones(c_count), (op_of, cand)), shape=(n, c_count))
        self.dur_op = sp.csr_matrix((dur, (op_of, cand)), shape=(n, c_count))
        # y[i*n_dev + d] = Σ x over op i's candidates on device d
        y_of = sp.csr_matrix(
            (np.ones(c_count), (op_of * n_dev + stacked.device, cand)), shape=(n * n_dev, c_count)
        )
        self.cons: list[cp.Constraint] = [one_hot @ self.x == 1]

        devs_of = [set(stacked.device[stacked.stack(i)].tolist()) for i in range(n)]
        z_rows: list[tuple[int, int, int, int, int]] = []  # (edge, u, p, v, q)
        forbid: list[tuple[int, int]] = []  # (y index, y index) pairs that cannot both hold
        for e, edge in enumerate(g.edges):
            u, v = edge.src, edge.dst
            for p in devs_of[u]:
                for q in devs_of[v]:
                    t = stacked.edge_latency[e, p, q]
                    if not np.isfinite(t):
                        forbid.append((u * n_dev + p, v * n_dev + q))
                    elif t > 0 or stacked.edge_energy[e, p, q] > 0:
                        z_rows.append((e, u, p, v, q))
        m = len(z_rows)
        zr = np.array(z_rows, dtype=int).reshape(m, 5)
        self.z = cp.Variable(m, nonneg=True)
        self.z_rows = zr
        if m:
            rows = np.arange(m)
            ya = sp.csr_matrix((np.ones(m), (rows, zr[:, 1] * n_dev + zr[:, 2])), (m, n * n_dev))
            yb = sp.csr_matrix((np.ones(m), (rows, zr[:, 3] * n_dev + zr[:, 4])), (m, n * n_dev))
            self.cons.append(self.z >= (ya + yb) @ y_of @ self.x - 1)
        if forbid:
            fa, fb = np.array(forbid).T
            k = len(forbid)
            pick = sp.csr_matrix((np.ones(2 * k), (np.tile(np.arange(k), 2), np.r_[fa, fb])))
            pick.resize((k, n * n_dev))
            self.cons.append(pick @ y_of @ self.x <= 1)

        # Precedence with transfer times, relative to each segment's start.
        seg = segment_of(g)
        n_seg = int(seg.max(initial=-1)) + 1
        src = np.array([e.src for e in g.edges], dtype=int)
        dst = np.array([e.dst for e in g.edges], dtype=int)
        inner = seg[src] == seg[dst]
        n_e = len(src)
        t_z = stacked.edge_latency[zr[:, 0], zr[:, 2], zr[:, 4]] / self.t_ref
        self.L = cp.Variable(n_seg, nonneg=True)
        if n_e:
            er = np.arange(n_e)
            keep = np.flatnonzero(inner)
            diff = sp.csr_matrix(
                (
                    np.r_[np.ones(n_e), -np.ones(keep.size)],
                    (np.r_[er, keep], np.r_[dst, src[keep]]),
                ),
                shape=(n_e, n),
            )
            sel_src = sp.csr_matrix((np.ones(keep.size), (keep, src[keep])), shape=(n_e, n))
            delay = sp.csr_matrix((t_z, (zr[:, 0], np.arange(m))), shape=(n_e, m))
            self.cons.append(diff @ self.s >= sel_src @ self.dur_op @ self.x + delay @ self.z)
        has_inner_succ = np.zeros(n, dtype=bool)
        has_inner_succ[src[inner]] = True
        ends = np.flatnonzero(~has_inner_succ)
        seg_pick = sp.csr_matrix(
            (np.ones(ends.size), (np.arange(ends.size), seg[ends])), (ends.size, n_seg)
        )
        self.cons.append(self.s[ends] + self.dur_op[ends] @ self.x <= seg_pick @ self.L)
        # Load bounds per segment: devices, then links (a transfer belongs to its consumer).
        cseg = seg[op_of]
        load = sp.csr_matrix(
            (
                dur * stacked.units / stacked.counts[stacked.device],
                (cseg * n_dev + stacked.device, cand),
            ),
            shape=(n_seg * n_dev, c_count),
        )
        rows_used = np.unique(cseg * n_dev + stacked.device)
        by_dev = sp.csr_matrix(
            (np.ones(rows_used.size), (np.arange(rows_used.size), rows_used // n_dev)),
            (rows_used.size, n_seg),
        )
        self.cons.append(load[rows_used] @ self.x <= by_dev @ self.L)
        busy = stacked.edge_busy[zr[:, 0], zr[:, 2], zr[:, 4]] / self.t_ref
        on_link = np.flatnonzero(busy > 0)
        if on_link.size:
            zseg = seg[dst[zr[on_link, 0]]]
            key = (zseg * n_dev + zr[on_link, 2]) * n_dev + zr[on_link, 4]
            keys, row = np.unique(key, return_inverse=True)
            link_load = sp.csr_matrix((busy[on_link], (row, on_link)), shape=(keys.size, m))
            key_seg = sp.csr_matrix(
                (np.ones(keys.size), (np.arange(keys.size), keys // (n_dev * n_dev))),
                (keys.size, n_seg),
            )
            self.cons.append(link_load @ self.z <= key_seg @ self.L)
        e_z = stacked.edge_energy[zr[:, 0], zr[:, 2], zr[:, 4]] / self.e_ref
        p_static = stacked.total_static_power * self.t_ref / self.e_ref
        self.latency = cp.sum(self.L)  # in units of t_ref
        self.energy = (
            (stacked.energy / self.e_ref) @ self.x + e_z @ self.z + p_static * self.latency
        )

    def problem(self, objective: str, c: Constraints) -> cp.Problem:
        cons = list(self.cons)
        if c.max_latency is not None:
            cons.append(self.latency <= c.max_latency / self.t_ref)
        if c.max_energy is not None:
            cons.append(self.energy <= c.max_energy / self.e_ref)
        if c.max_power is not None:
            cons.append(self.energy * self.e_ref <= c.max_power * self.t_ref * self.latency)
        if objective == "latency":
            goal = self.latency + TIE_BREAK * self.energy
        else:
            goal = self.energy + TIE_BREAK * self.latency
        return cp.Problem(cp.Minimize(goal), cons)

    def choice(self) -> np.ndarray:
        """The chosen candidate of every op (the largest x in each stack)."""
        x = np.asarray(self.x.value).ravel()
        ptr = self.stacked.ptr
        return np.array(
            [ptr[i] + int(np.argmax(x[ptr[i] : ptr[i + 1]])) for i in range(len(ptr) - 1)]
        )


@contextmanager
def _native_stdout_silenced():
    """Keep solver banners (printed by native code, once per process) off stdout, which may
    carry machine-readable output."""
    sys.stdout.flush()
    saved = os.dup(1)
    try:
        with open(os.devnull, "w") as devnull:
            os.dup2(devnull.fileno(), 1)
            yield
    finally:
        os.dup2(saved, 1)
        os.close(saved)


def _positive(value: float) -> float:
    return float(value) if value > 0 else 1.0


def _explain_infeasible(stacked: StackedGraph, c: Constraints, solver: str) -> str:
    """Name the violated bound and by how much the best mapping misses it."""
    misses = []
    if c.max_latency is not None:
        best = solve_milp(stacked, "latency", solver=solver).latency
        if best > c.max_latency:
            misses.append(
                f"latency <= {_si(c.max_latency, 's')} is infeasible: the fastest mapping takes "
                f"{_si(best, 's')}"
            )
    if c.max_energy is not None:
        best = solve_milp(stacked, "energy", solver=solver).energy
        if best > c.max_energy:
            misses.append(
                f"energy <= {_si(c.max_energy, 'J')} is infeasible: the most frugal mapping uses "
                f"{_si(best, 'J')}"
            )
    if c.max_power is not None:
        p_static = stacked.total_static_power
        if p_static > c.max_power:
            misses.append(
                f"average power <= {_si(c.max_power, 'W')} is infeasible: static power alone is "
                f"{_si(p_static, 'W')}"
            )
    if not misses:
        return "the constraints " + " and ".join(c.describe()) + " cannot hold together"
    return "; ".join(misses)


def _si(value: float, unit: str) -> str:
    from lightcode.report.format import si

    return si(value, unit)
