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
