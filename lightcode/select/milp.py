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
  Σ_{c on d} weight_bytes[c] x[c] ≤ memory[d]          (when memory bounds are given)
The objective is w_T T + w_E E (`objective_weights`); bounds on T, E and E/T are optional.
Every matrix is built sparse: canonicalization stays linear in the graph size.
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from contextlib import contextmanager
from dataclasses import dataclass

import cvxpy as cp
import numpy as np
import scipy.sparse as sp

from lightcode.errors import LightCodeError
from lightcode.select.result import Constraints
from lightcode.select.segments import segment_of
from lightcode.stacked.graph import StackedGraph

OBJECTIVES = ("latency", "energy", "edp")
TIE_BREAK = 1e-4  # weight of the other objective, so ties resolve to a Pareto-optimal mapping
# cvxpy backends that accept boolean variables (those installed are usable with --solver)
MILP_SOLVERS = (
    "HIGHS",
    "SCIPY",
    "GLPK_MI",
    "CBC",
    "SCIP",
    "GUROBI",
    "CPLEX",
    "MOSEK",
    "XPRESS",
    "COPT",
)


def references(stacked: StackedGraph) -> tuple[float, float]:
    """Scales (s, J): a serial run of each op's fastest (cheapest) candidate."""
    t_ref = _positive(np.minimum.reduceat(stacked.latency, stacked.ptr[:-1]).sum())
    e_ref = _positive(np.minimum.reduceat(stacked.energy, stacked.ptr[:-1]).sum())
    return t_ref, e_ref


def objective_weights(stacked: StackedGraph, objective: str) -> tuple[float, float]:
    """(w_T per s, w_E per J) of the linear objective w_T T + w_E E for `objective`.

    Latency is T/t_ref + 1e-4 E/e_ref, energy E/e_ref + 1e-4 T/t_ref, with the references of
    the whole graph: the tie-break picks a Pareto-optimal mapping among equally fast (frugal)
    ones. Fixed in SI units here so every segment of a decomposition sees the same weights.
    """
    t_ref, e_ref = references(stacked)
    if objective == "latency":
        return 1.0 / t_ref, TIE_BREAK / e_ref
    if objective == "energy":
        return TIE_BREAK / t_ref, 1.0 / e_ref
    raise LightCodeError(f"objective '{objective}' is not linear", hint=f"one of {OBJECTIVES}")


def check_solver(solver: str) -> str:
    """The canonical name of an installed cvxpy MILP backend, or a one-line error."""
    name = solver.upper()
    usable = [s for s in dict.fromkeys(MILP_SOLVERS) if s in cp.installed_solvers()]
    if name not in usable:
        raise LightCodeError(
            f"unknown solver '{solver}': installed MILP solvers are {', '.join(usable)}"
        )
    return name


def resident_weights(stacked: StackedGraph) -> np.ndarray:
    """Bytes of weights each candidate keeps on its device (static matmuls and embeddings)."""
    g = stacked.graph
    holds = np.array([op.static or op.kind == "embedding" for op in g.ops], dtype=bool)
    per_op = np.where(holds, g.attrs()["bytes_weight"], 0.0)
    return per_op[stacked.op_of]


@dataclass(frozen=True)
class Solved:
    """A raw solve: the mapping (None when infeasible), status and proven gap."""

    choice: np.ndarray | None
    status: str  # "optimal" | "time_limit" | "infeasible"
    gap: float | None
    build_time: float
    solve_time: float
    variables: int = 0
    constraints: int = 0


def solve_flat(
    stacked: StackedGraph,
    weights: tuple[float, float],
    constraints: Constraints | None = None,
    solver: str = "HIGHS",
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-6,
) -> Solved:
    """One MILP over the whole graph: minimize w_T T + w_E E under `constraints`."""
    constraints = constraints or Constraints()
    t0 = time.perf_counter()
    model = _Model(stacked)
    problem = model.problem(weights, constraints)
    build_time = time.perf_counter() - t0
    opts: dict[str, object] = {}
    if solver.upper() == "HIGHS":
        opts = {"mip_rel_gap": mip_rel_gap}
    if time_limit:
        opts["time_limit"] = float(time_limit)
    t1 = time.perf_counter()
    try:
        with _native_stdout_silenced(), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # "may be inaccurate": the status says so already
            problem.solve(solver=solver.upper(), **opts)
    except cp.error.SolverError as err:
        raise LightCodeError(f"solver {solver} failed: {err}") from None
    solve_time = time.perf_counter() - t1
    size = {
        "variables": sum(v.size for v in problem.variables()),
        "constraints": sum(c.size for c in problem.constraints),
    }
    if problem.status in (cp.INFEASIBLE, cp.INFEASIBLE_INACCURATE):
        return Solved(None, "infeasible", None, build_time, solve_time, **size)
    if model.x.value is None:
        raise LightCodeError(f"solver {solver} returned no mapping (status {problem.status})")
    info = problem.solver_stats.extra_stats
    gap = getattr(info, "mip_gap", None) if info is not None else None
    gap = max(float(gap), 0.0) if gap is not None and np.isfinite(gap) else None
    status = "optimal" if problem.status == cp.OPTIMAL else "time_limit"
    if status == "optimal" and gap is None:
        gap = 0.0
    return Solved(model.choice(), status, gap, build_time, solve_time, **size)


class _Model:
    """The sparse MILP of one Stacked Graph, in scaled units (T_ref seconds, E_ref joules)."""

    def __init__(self, stacked: StackedGraph) -> None:
        g = stacked.graph
        n, c_count, n_dev = len(g.ops), len(stacked.candidates), len(stacked.devices)
        op_of = stacked.op_of
        cand = np.arange(c_count)
        self.stacked = stacked
        self.t_ref, self.e_ref = references(stacked)
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
        # What transfers cost: per row of z, except that rows carrying one shared tensor over a
        # shared link to one device are charged once, on w[(producer, p, q)] >= each such z.
        busy = stacked.edge_busy[zr[:, 0], zr[:, 2], zr[:, 4]] / self.t_ref
        e_z = stacked.edge_energy[zr[:, 0], zr[:, 2], zr[:, 4]] / self.e_ref
        group = stacked.edge_group[zr[:, 0]]
        shared = (group >= 0) & (zr[:, 2] != zr[:, 4]) & stacked.link_shared[zr[:, 2], zr[:, 4]]
        rows_sh = np.flatnonzero(shared)
        key = (group[rows_sh] * n_dev + zr[rows_sh, 2]) * n_dev + zr[rows_sh, 4]
        _, first, which = np.unique(key, return_index=True, return_inverse=True)
        self.w = cp.Variable(first.size, nonneg=True)
        if rows_sh.size:
            pick_w = sp.csr_matrix(
                (np.ones(rows_sh.size), (np.arange(rows_sh.size), which)),
                (rows_sh.size, first.size),
            )
            self.cons.append(pick_w @ self.w >= self.z[rows_sh])
        carrier = rows_sh[first]
        busy_w, e_w = busy[carrier], e_z[carrier]
        busy, e_z = np.where(shared, 0.0, busy), np.where(shared, 0.0, e_z)
        # link load per segment and link: a transfer belongs to its consumer's segment
        charges = [(self.z, np.arange(m), busy), (self.w, carrier, busy_w)]
        link_terms = []
        for var, rows, load_of in charges:
            on = np.flatnonzero(load_of > 0)
            r = rows[on]
            key = (seg[dst[zr[r, 0]]] * n_dev + zr[r, 2]) * n_dev + zr[r, 4]
            link_terms.append((var, on, load_of[on], key))
        all_keys = np.unique(np.concatenate([t[3] for t in link_terms]))
        if all_keys.size:
            load = 0
            for var, on, values, key in link_terms:
                row = np.searchsorted(all_keys, key)
                load = (
                    load + sp.csr_matrix((values, (row, on)), shape=(all_keys.size, var.size)) @ var
                )
            key_seg = sp.csr_matrix(
                (np.ones(all_keys.size), (np.arange(all_keys.size), all_keys // (n_dev * n_dev))),
                (all_keys.size, n_seg),
            )
            self.cons.append(load <= key_seg @ self.L)
        p_static = stacked.total_static_power * self.t_ref / self.e_ref
        self.latency = cp.sum(self.L)  # in units of t_ref
        self.energy = (
            (stacked.energy / self.e_ref) @ self.x
            + e_z @ self.z
            + e_w @ self.w
            + p_static * self.latency
        )

    def problem(self, weights: tuple[float, float], c: Constraints) -> cp.Problem:
        cons = list(self.cons)
        if c.max_latency is not None:
            cons.append(self.latency <= c.max_latency / self.t_ref)
        if c.max_energy is not None:
            cons.append(self.energy <= c.max_energy / self.e_ref)
        if c.max_power is not None:
            cons.append(self.energy * self.e_ref <= c.max_power * self.t_ref * self.latency)
        if c.memory:
            held = resident_weights(self.stacked)
            for device, cap in c.memory.items():
                on = self.stacked.device == self.stacked.devices.index(device)
                if held[on].any():
                    cons.append((held * on / _positive(cap)) @ self.x <= 1.0)
        w_t, w_e = weights[0] * self.t_ref, weights[1] * self.e_ref
        scale = max(w_t, w_e)
        goal = (w_t / scale) * self.latency + (w_e / scale) * self.energy
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
