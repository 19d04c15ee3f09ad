"""Baseline strategies, priced by the same cost model as the MILP (`estimate`).

Each baseline scores a candidate by w_T latency + w_E (energy + static power × latency) — its
cost if ops ran one at a time — and an edge by w_T transfer time + w_E transfer energy, with the
weights of the objective (`milp.objective_weights`; EDP uses equal weights on the two
references). None of them sees overlap or loads; that is what the MILP adds.

* `all-<device>`: every op on one device (its best candidate there); unavailable when some op
  has no candidate on that device.
* `greedy`: every op takes its own cheapest candidate, blind to transfers.
* `paper`: best-first in the spirit of the LightCode paper: a label per candidate = its cost +
  for each input, the cheapest (label + transfer) among the producer's candidates — the cost of
  the most expensive path into it; then walk back from the last op, fixing each producer to the
  candidate its first-fixed consumer prefers; the mapping is then list-scheduled by `estimate`.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from lightcode.errors import LightCodeError
from lightcode.select.milp import objective_weights, references
from lightcode.stacked.graph import StackedGraph

Baseline = Callable[[StackedGraph, str], np.ndarray]


def weights(stacked: StackedGraph, objective: str) -> tuple[float, float]:
    if objective == "edp":
        t_ref, e_ref = references(stacked)
        return 1.0 / t_ref, 1.0 / e_ref
    return objective_weights(stacked, objective)


def greedy(stacked: StackedGraph, objective: str) -> np.ndarray:
    """Per op, the cheapest candidate in isolation."""
    cost = _node_cost(stacked, objective)
    return np.array([_argmin(cost, stacked.stack(i)) for i in range(len(stacked.graph.ops))])


def all_on(device: str) -> Baseline:
    """Every op on `device`."""

    def strategy(stacked: StackedGraph, objective: str) -> np.ndarray:
        d = stacked.devices.index(device)
        cost = np.where(stacked.device == d, _node_cost(stacked, objective), np.inf)
        choice = []
        for i, op in enumerate(stacked.graph.ops):
            c = _argmin(cost, stacked.stack(i))
            if not np.isfinite(cost[c]):
                raise LightCodeError(
                    f"all-{device}: op '{op.name}' (kind {op.kind}) has no candidate on {device}"
                )
            choice.append(c)
        return np.array(choice)

    strategy.__doc__ = f"Every op on {device}."
    return strategy


def paper(stacked: StackedGraph, objective: str) -> np.ndarray:
    """Best-first labels over paths (node + edge costs), then a walk back from the last op."""
    g = stacked.graph
    w_t, w_e = weights(stacked, objective)
    node = _node_cost(stacked, objective)
    edge = w_t * stacked.edge_latency + w_e * stacked.edge_energy  # inf where no link
    incoming: list[list[int]] = [[] for _ in g.ops]
    for e, ed in enumerate(g.edges):
        incoming[ed.dst].append(e)
    label = node.copy()
    for v in range(len(g.ops)):
        cv = np.arange(stacked.ptr[v], stacked.ptr[v + 1])
        for e in incoming[v]:
            u = g.edges[e].src
            cu = np.arange(stacked.ptr[u], stacked.ptr[u + 1])
            via = label[cu][:, None] + edge[e][stacked.device[cu]][:, stacked.device[cv]]
            label[cv] = np.maximum(label[cv], node[cv] + via.min(axis=0))
    choice = np.full(len(g.ops), -1)
    for v in reversed(range(len(g.ops))):
        if choice[v] < 0:
            choice[v] = _argmin(label, stacked.stack(v))
        dv = stacked.device[choice[v]]
        for e in incoming[v]:
            u = g.edges[e].src
            if choice[u] < 0:
                cu = np.arange(stacked.ptr[u], stacked.ptr[u + 1])
                choice[u] = cu[np.argmin(label[cu] + edge[e][stacked.device[cu], dv])]
    return choice


def _node_cost(stacked: StackedGraph, objective: str) -> np.ndarray:
    """w_T latency + w_E (energy + static power x latency), as if ops ran one at a time."""
    w_t, w_e = weights(stacked, objective)
    static = stacked.total_static_power * stacked.latency
    return w_t * stacked.latency + w_e * (stacked.energy + static)


def _argmin(cost: np.ndarray, stack: range) -> int:
    return stack.start + int(np.argmin(cost[stack.start : stack.stop]))
