"""The planner's cost of a mapping: the model the MILP optimizes, evaluated for any choice."""

from __future__ import annotations

import numpy as np

from lightcode.select.segments import segment_spans
from lightcode.stacked.graph import StackedGraph


def estimate(stacked: StackedGraph, choice: np.ndarray) -> tuple[float, float]:
    """(makespan s, energy J) of `choice` (one candidate index per op).

    Segments (see `segments.py`) run one after another, so the makespan is the sum of
    `segment_cost` over them; energy adds static power over the makespan.
    """
    dev = stacked.device[choice]
    makespan = dynamic = 0.0
    for start, end, edges in segment_spans(stacked.graph):
        previous = int(dev[start - 1]) if start > 0 else -1
        span, joules = segment_cost(stacked, start, end, edges, choice[start : end + 1], previous)
        makespan += span
        dynamic += joules
    return makespan, dynamic + stacked.total_static_power * makespan


def segment_cost(
    stacked: StackedGraph,
    start: int,
    end: int,
    edges: np.ndarray,
    local: np.ndarray,
    previous: int,
) -> tuple[float, float]:
    """(makespan s, dynamic energy J) of ops start..end run on candidates `local`.

    `edges` are those ending in the segment; an edge from before it leaves the previous cut op,
    placed on device `previous`. Times count from the segment's start: an op starts when its
    inputs have arrived; the segment lasts until its last op ends, and at least its busiest
    device's unit-time over its unit count and its busiest link's busy time.
    """
    g = stacked.graph
    n, n_dev = end - start + 1, len(stacked.devices)
    dev, dur = stacked.device[local], stacked.latency[local]
    edges = np.asarray(edges, dtype=int)
    src = np.fromiter((g.edges[e].src - start for e in edges), dtype=int, count=edges.size)
    dst = np.fromiter((g.edges[e].dst - start for e in edges), dtype=int, count=edges.size)
    p = np.where(src < 0, previous, dev[np.maximum(src, 0)]) if edges.size else src
    q = dev[dst]
    pays = paying_edges(stacked, edges, p, q)
    t_edge = stacked.edge_latency[edges, p, q]
    incoming: list[list[int]] = [[] for _ in range(n)]
    for k, v in enumerate(dst):
        incoming[v].append(k)
    finish = np.zeros(n)
    for i in range(n):  # ops are topologically ordered
        ready = max(
            (t_edge[k] + (finish[src[k]] if src[k] >= 0 else 0.0) for k in incoming[i]),
            default=0.0,
        )
        finish[i] = ready + dur[i]
    work = np.zeros(n_dev)
    np.add.at(work, dev, dur * stacked.units[local])
    link = np.zeros((n_dev, n_dev))
    np.add.at(link, (p, q), stacked.edge_busy[edges, p, q] * pays)
    span = max(finish.max(initial=0.0), (work / stacked.counts).max(), link.max())
    joules = stacked.energy[local].sum() + (stacked.edge_energy[edges, p, q] * pays).sum()
    return float(span), float(joules)


def paying_edges(
    stacked: StackedGraph, edges: np.ndarray, p: np.ndarray, q: np.ndarray
) -> np.ndarray:
    """Which `edges` (producer on device p, consumer on q) pay for a transfer: all but the
    repeats of one shared tensor sent over a shared link to one device (the first one pays)."""
    n_dev = len(stacked.devices)
    group = stacked.edge_group[edges]
    shared = (group >= 0) & (p != q) & stacked.link_shared[p, q]
    pays = ~shared
    key = (group * n_dev + p) * n_dev + q
    _, first = np.unique(key[shared], return_index=True)
    pays[np.flatnonzero(shared)[first]] = True
    return pays
