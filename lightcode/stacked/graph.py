"""The Stacked Graph: every op with a stack of candidate realizations, every edge with the cost
of moving its tensor between each pair of devices.

Arrays rather than objects: selection and scheduling read them as vectors and sparse matrices.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lightcode.frontend.graph import OpGraph


@dataclass(frozen=True)
class Candidate:
    """One realization of one op: a device, a variant, and its priced costs."""

    op: int
    device: str
    variant: str | None
    rule: int  # index of the realization rule in `Spec.rules`
    latency: float  # s
    energy: dict[str, float]  # J by component
    units: int  # whole device units occupied
    lanes: int = 0  # lanes of one unit occupied instead (0: whole units)
    setup: float = 0.0  # s of `latency` spent reprogramming weights

    @property
    def label(self) -> str:
        return self.device + (f":{self.variant}" if self.variant else "")


@dataclass(frozen=True)
class StackedGraph:
    """Candidates grouped by op: those of op `i` are `candidates[ptr[i]:ptr[i + 1]]`.

    `edge_latency[e, p, q]` / `edge_energy[e, p, q]` price edge `e` of the op graph when its
    producer runs on `devices[p]` and its consumer on `devices[q]`; `inf` where no link joins them.
    `edge_busy[e, p, q]` is the part of the latency that occupies the link (bytes / bandwidth);
    the rest is a pure delay that concurrent transfers overlap. Edges with the same
    `edge_group` (>= 0: their producer) carry the same whole tensor: over a `link_shared` link
    one transfer serves all of them that land on one device, charged once.
    """

    graph: OpGraph
    devices: tuple[str, ...]
    candidates: tuple[Candidate, ...]
    ptr: np.ndarray  # (n_ops + 1,) int
    latency: np.ndarray  # (n_cand,) s the planner charges: setup excluded where prefetch hides it
    energy: np.ndarray  # (n_cand,) J, all components
    device: np.ndarray  # (n_cand,) index into `devices`
    units: np.ndarray  # (n_cand,) share of one unit's capacity held (lanes / unit lanes, or units)
    edge_latency: np.ndarray  # (n_edges, n_dev, n_dev) s
    edge_energy: np.ndarray  # (n_edges, n_dev, n_dev) J
    edge_busy: np.ndarray  # (n_edges, n_dev, n_dev) s
    edge_group: np.ndarray  # (n_edges,) producer whose whole output the edge carries, else -1
    link_shared: np.ndarray  # (n_dev, n_dev) bool: one transfer serves all consumers there
    counts: np.ndarray  # (n_dev,) units of each device
    static_power: np.ndarray  # (n_dev,) W per unit
    lanes: np.ndarray  # (n_dev,) lanes per unit
    prefetch: np.ndarray  # (n_dev,) bool: weight loads overlap compute

    @property
    def total_static_power(self) -> float:
        return float(self.static_power @ self.counts)

    @property
    def op_of(self) -> np.ndarray:
        """The op index of every candidate."""
        return np.repeat(np.arange(len(self.graph.ops)), np.diff(self.ptr))

    def stack(self, op: int) -> range:
        return range(int(self.ptr[op]), int(self.ptr[op + 1]))

    def to_dict(self) -> dict[str, object]:
        """A JSON-friendly dump (for `lightcode graph --json`)."""
        ops = []
        for i, op in enumerate(self.graph.ops):
            ops.append(
                {
                    "id": i,
                    "name": op.name,
                    "kind": op.kind,
                    "shape": list(op.shape),
                    "flops": op.flops,
                    "stack": [
                        {
                            "device": c.device,
                            "variant": c.variant,
                            "latency_s": c.latency,
                            "energy_J": c.energy,
                            "units": c.units,
                            "lanes": c.lanes,
                            "setup_s": c.setup,
                        }
                        for c in self.candidates[self.ptr[i] : self.ptr[i + 1]]
                    ],
                }
            )
        edges = []
        for e, edge in enumerate(self.graph.edges):
            costs = {
                f"{p}->{q}": {
                    "latency_s": float(self.edge_latency[e, a, b]),
                    "energy_J": float(self.edge_energy[e, a, b]),
                }
                for a, p in enumerate(self.devices)
                for b, q in enumerate(self.devices)
                if np.isfinite(self.edge_latency[e, a, b])
            }
            edges.append({"src": edge.src, "dst": edge.dst, "bytes": edge.bytes, "cost": costs})
        return {"devices": list(self.devices), "ops": ops, "edges": edges}
