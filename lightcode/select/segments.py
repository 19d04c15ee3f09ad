"""Cut the op graph where it narrows to one op, so the makespan is a sum over segments.

An op is a *cut* when no edge jumps over it (ops are in topological order). Segment k holds the
ops after cut k-1 up to and including cut k; the only edges entering it leave cut k-1. Segments
run one after another: a segment starts when the previous one ends, so the planner's makespan
is the sum of segment makespans — the structure that lets selection decompose exactly.
"""

from __future__ import annotations

import numpy as np

from lightcode.frontend.graph import OpGraph


def segment_of(graph: OpGraph) -> np.ndarray:
    """The segment index of every op."""
    n = len(graph.ops)
    cover = np.zeros(n + 1, dtype=int)
    for e in graph.edges:
        if e.dst > e.src + 1:
            cover[e.src + 1] += 1
            cover[e.dst] -= 1
    is_cut = np.cumsum(cover[:n]) == 0
    # op i belongs to the segment closed by the first cut at or after i
    return np.concatenate([[0], np.cumsum(is_cut)[:-1]]).astype(int)


def segment_spans(graph: OpGraph) -> list[tuple[int, int, np.ndarray]]:
    """(first op, last op, indices of the edges ending in it) of every segment, in order."""
    seg = segment_of(graph)
    n_seg = int(seg.max(initial=-1)) + 1
    bounds = np.searchsorted(seg, np.arange(n_seg + 1))
    dst = np.fromiter((e.dst for e in graph.edges), dtype=int, count=len(graph.edges))
    order = np.argsort(seg[dst], kind="stable")
    e_bounds = np.searchsorted(seg[dst][order], np.arange(n_seg + 1))
    return [
        (int(bounds[k]), int(bounds[k + 1]) - 1, order[e_bounds[k] : e_bounds[k + 1]])
        for k in range(n_seg)
    ]
