"""Exact selection by segments: one small MILP per distinct segment and boundary, then a DP.

Segments (`segments.py`) run one after another and the only edges entering segment k leave the
cut op that closes segment k-1. Given the device p of that cut op, segment k's makespan L[k],
its ops' energy and the energy of the transfers into it depend on segment k's own choices only,
and so does its contribution w_T L[k] + w_E (E_k + P_static L[k]) to any linear objective. So

    f_k(p, q) = min over segment k's mappings whose cut op runs on q of that contribution

is solved as an independent MILP — the flat model (`milp._Model`) of a graph holding a
zero-cost stand-in for the previous cut op pinned to p, then segment k's ops with its cut op
restricted to q — and the optimum of the whole graph is a min-plus product over the chain:

    V_0(q) = f_0(·, q),   V_k(q) = min_p V_{k-1}(p) + f_k(p, q),   optimum = min_q V_last(q).

This is the flat MILP's optimum exactly (same constraints, same objective, summed), not a
heuristic. Segments with identical costs and structure (transformer layers) share one
fingerprint and are solved once per boundary pair.
"""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass, fields, replace

import numpy as np

from lightcode.frontend.graph import Edge, OpGraph
from lightcode.select.estimate import segment_cost
from lightcode.select.milp import Solved, solve_flat
from lightcode.select.segments import segment_spans
from lightcode.stacked.graph import StackedGraph


@dataclass(frozen=True)
class _Segment:
    start: int  # first op
    end: int  # last op (the cut)
    edges: np.ndarray  # indices of the edges into this segment's ops
    key: str  # fingerprint of costs and structure


def solve_decomposed(
    stacked: StackedGraph,
    weights: tuple[float, float],
    solver: str = "HIGHS",
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-6,
) -> tuple[Solved, int]:
    """Minimize w_T T + w_E E over the whole graph; returns the solve and the MILPs it took."""
    t0 = time.perf_counter()
    segments = split(stacked)
    w_t, w_e = weights
    p_static = stacked.total_static_power
    cache: dict[tuple[str, int, int], tuple[float, np.ndarray | None, str, float | None]] = {}
    deadline = t0 + time_limit if time_limit else None
    value = {-1: 0.0}  # V over the devices of the previous cut (-1: no previous segment)
    back: list[dict[int, tuple[int, np.ndarray]]] = []
    status, gap = "optimal", 0.0
    build = solve = 0.0
    for seg in segments:
        outs = _devices(stacked, seg.end)
        new_value: dict[int, float] = {}
        arg: dict[int, tuple[int, np.ndarray]] = {}
        for p, v_p in value.items():
            for q in outs:
                key = (seg.key, p, q)
                if key not in cache:
                    left = None if deadline is None else max(deadline - time.perf_counter(), 1.0)
                    sub, glob = _subgraph(stacked, seg, p, q)
                    res = solve_flat(sub, weights, None, solver, left, mip_rel_gap)
                    build += res.build_time
                    solve += res.solve_time
                    if res.choice is None:
                        cache[key] = (np.inf, None, res.status, None)
                    else:
                        local = glob[res.choice[1:] if p >= 0 else res.choice]
                        t_k, e_k = segment_cost(stacked, seg.start, seg.end, seg.edges, local, p)
                        cost = w_t * t_k + w_e * (e_k + p_static * t_k)
                        cache[key] = (cost, local, res.status, res.gap)
                cost, local, st, g = cache[key]
                if local is None:
                    continue
                if st != "optimal":
                    status = st
                gap = max(gap, g) if g is not None and gap is not None else None
                if v_p + cost < new_value.get(q, np.inf):
                    new_value[q] = v_p + cost
                    arg[q] = (p, local)
        if not new_value:
            return Solved(None, "infeasible", None, build, solve), len(cache)
        value = new_value
        back.append(arg)
    choice = np.empty(len(stacked.graph.ops), dtype=int)
    q = min(value, key=value.get)
    for seg, arg in zip(reversed(segments), reversed(back), strict=True):
        p, local = arg[q]
        choice[seg.start : seg.end + 1] = local
        q = p
    return Solved(choice, status, gap, build, solve), len(cache)


def split(stacked: StackedGraph) -> list[_Segment]:
    """The segments of the graph with the fingerprint of each."""
    g = stacked.graph
    dst = np.fromiter((e.dst for e in g.edges), dtype=int, count=len(g.edges))
    src = np.fromiter((e.src for e in g.edges), dtype=int, count=len(g.edges))
    return [
        _Segment(a, b, edges, _fingerprint(stacked, a, b, edges, src, dst))
        for a, b, edges in segment_spans(g)
    ]


def _fingerprint(
    stacked: StackedGraph, a: int, b: int, edges: np.ndarray, src: np.ndarray, dst: np.ndarray
) -> str:
    """A hash of everything the segment's MILP reads (costs, structure), never names."""
    lo, hi = int(stacked.ptr[a]), int(stacked.ptr[b + 1])
    h = hashlib.blake2b(digest_size=16)
    for arr in (
        np.diff(stacked.ptr[a : b + 2]),
        stacked.latency[lo:hi],
        stacked.energy[lo:hi],
        stacked.device[lo:hi],
        stacked.units[lo:hi],
        src[edges] - a,
        dst[edges] - a,
        stacked.edge_latency[edges],
        stacked.edge_energy[edges],
        stacked.edge_busy[edges],
        np.where(stacked.edge_group[edges] >= 0, stacked.edge_group[edges] - a + 1, -1),
    ):
        h.update(np.ascontiguousarray(arr).tobytes())
        h.update(b"|")
    # devices the previous cut may use, so the pinned stand-in is the same op in both
    if a > 0:
        h.update(np.ascontiguousarray(_devices(stacked, a - 1)).tobytes())
    return h.hexdigest()


def _devices(stacked: StackedGraph, op: int) -> np.ndarray:
    return np.unique(stacked.device[stacked.stack(op)])


def _subgraph(
    stacked: StackedGraph, seg: _Segment, p: int, q: int
) -> tuple[StackedGraph, np.ndarray]:
    """Segment `seg` as a graph of its own: [stand-in for the previous cut on p,] its ops, with
    its cut op restricted to device q. Returns it and its candidates' global indices."""
    g = stacked.graph
    lead = 1 if p >= 0 else 0
    first = seg.start - lead
    glob_parts, ptr = [], [0]
    for i in range(seg.start, seg.end + 1):
        idx = np.arange(stacked.ptr[i], stacked.ptr[i + 1])
        if i == seg.end:
            idx = idx[stacked.device[idx] == q]
        glob_parts.append(idx)
        ptr.append(ptr[-1] + idx.size)
    glob = np.concatenate(glob_parts)
    ops = tuple(replace(g.ops[i], id=i - first) for i in range(first, seg.end + 1))
    edges = tuple(
        Edge(g.edges[e].src - first, g.edges[e].dst - first, g.edges[e].elements, g.edges[e].bytes)
        for e in seg.edges
    )
    sub_graph = OpGraph(g.model, g.seq_len, g.batch, g.dtype_bytes, 0, ops, edges)
    cands = tuple(stacked.candidates[c] for c in glob)
    n_cand = len(stacked.candidates)
    # every per-candidate array, whatever fields the Stacked Graph has grown
    per_cand = {
        f.name: getattr(stacked, f.name)[glob]
        for f in fields(stacked)
        if isinstance(getattr(stacked, f.name), np.ndarray)
        and getattr(stacked, f.name).shape[:1] == (n_cand,)
        and f.name != "ptr"
        and not f.name.startswith("edge_")
    }
    ptr_arr = np.asarray(ptr, dtype=int)
    if lead:
        stand_in = replace(stacked.candidates[stacked.ptr[seg.start - 1]], latency=0.0, energy={})
        cands = (stand_in, *cands)
        ptr_arr = np.r_[0, ptr_arr + 1]
        for name, arr in per_cand.items():
            per_cand[name] = np.r_[np.zeros(1, dtype=arr.dtype), arr]
        per_cand["device"][0] = p
    sub = replace(
        stacked,
        graph=sub_graph,
        candidates=cands,
        ptr=ptr_arr,
        edge_latency=stacked.edge_latency[seg.edges],
        edge_energy=stacked.edge_energy[seg.edges],
        edge_busy=stacked.edge_busy[seg.edges],
        edge_group=stacked.edge_group[seg.edges],
        **per_cand,
    )
    return sub, np.r_[-1, glob] if lead else glob
