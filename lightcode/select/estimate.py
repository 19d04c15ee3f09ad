"""The planner's cost of a mapping: the model the MILP optimizes, evaluated for any choice."""

from __future__ import annotations

import numpy as np

from lightcode.select.segments import segment_of
from lightcode.stacked.graph import StackedGraph


def estimate(stacked: StackedGraph, choice: np.ndarray) -> tuple[float, float]:
    """(makespan s, energy J) of `choice` (one candidate index per op).

    Segments (see `segments.py`) run one after another. Within one, an op starts when its inputs
    have arrived (times relative to the segment's start); the segment lasts until its last op
    ends, and at least its busiest device's unit-time over its unit count and its busiest link's
    busy time. Energy adds static power over the makespan.
    """
    g = stacked.graph
    n_dev = len(stacked.devices)
    dev = stacked.device[choice]
    dur = stacked.latency[choice]
    seg = segment_of(g)
    n_seg = int(seg.max(initial=-1)) + 1
    src = np.fromiter((e.src for e in g.edges), dtype=int, count=len(g.edges))
    dst = np.fromiter((e.dst for e in g.edges), dtype=int, count=len(g.edges))
    pair = (np.arange(len(g.edges)), dev[src], dev[dst])
    t_edge = stacked.edge_latency[pair]
    incoming: list[list[int]] = [[] for _ in g.ops]
    for e in range(len(g.edges)):
        incoming[dst[e]].append(e)
    finish = np.zeros(len(g.ops))
    for i in range(len(g.ops)):  # ops are topologically ordered
        ready = max(
            (t_edge[e] + (finish[src[e]] if seg[src[e]] == seg[i] else 0.0) for e in incoming[i]),
            default=0.0,
        )
        finish[i] = ready + dur[i]
    span = np.zeros(n_seg)
    np.maximum.at(span, seg, finish)
    work = np.zeros((n_seg, n_dev))
    np.add.at(work, (seg, dev), dur * stacked.units[choice])
    span = np.maximum(span, (work / stacked.counts).max(axis=1, initial=0.0))
    pays = paying_edges(stacked, pair[0], pair[1], pair[2])
    link_busy = np.zeros((n_seg, n_dev, n_dev))
    np.add.at(link_busy, (seg[dst], dev[src], dev[dst]), stacked.edge_busy[pair] * pays)
    span = np.maximum(span, link_busy.reshape(n_seg, -1).max(axis=1, initial=0.0))
    makespan = float(span.sum())
    energy = stacked.energy[choice].sum() + (stacked.edge_energy[pair] * pays).sum()
    return makespan, float(energy + stacked.total_static_power * makespan)


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
