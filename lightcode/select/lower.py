"""Lower a selection to the program the simulator runs."""

from __future__ import annotations

import numpy as np

from lightcode.select.estimate import paying_edges
from lightcode.simulate.program import Program, Resource, Task, Transfer
from lightcode.stacked.graph import StackedGraph


def lower(stacked: StackedGraph, choice: np.ndarray) -> Program:
    """Tasks priced by their chosen candidates; transfers priced by the devices at each end.

    A transfer occupies its link (a shared resource) only when the link has a bandwidth.
    """
    g = stacked.graph
    devices = stacked.devices
    tasks = []
    for i, c in enumerate(choice):
        cand = stacked.candidates[c]
        op = g.ops[i]
        tasks.append(
            Task(
                id=i,
                name=op.name,
                kind=op.kind,
                device=cand.device,
                variant=cand.variant,
                latency=cand.latency,
                energy=dict(cand.energy),
                units=cand.units,
                lanes=cand.lanes,
                setup=cand.setup,
            )
        )
    dev = stacked.device[choice]
    edges = np.arange(len(g.edges))
    src_dev = dev[[e.src for e in g.edges]] if g.edges else np.zeros(0, dtype=int)
    dst_dev = dev[[e.dst for e in g.edges]] if g.edges else np.zeros(0, dtype=int)
    pays = paying_edges(stacked, edges, src_dev, dst_dev)
    carrier: dict[tuple[int, int], int] = {}  # (producer, device) -> the transfer that pays
    transfers = []
    used_links: set[tuple[str, str]] = set()
    for e, edge in enumerate(g.edges):
        p, q = dev[edge.src], dev[edge.dst]
        if not pays[e]:  # the same tensor already travels to q: arrive with it, for free
            shared = carrier[edge.src, q]
            transfers.append(Transfer(edge.src, edge.dst, 0.0, 0.0, shares=shared))
            continue
        if stacked.edge_group[e] >= 0:
            carrier[edge.src, q] = e
        link = (devices[p], devices[q]) if stacked.edge_busy[e, p, q] > 0 else None
        if link:
            used_links.add(link)
        transfers.append(
            Transfer(
                src=edge.src,
                dst=edge.dst,
                latency=float(stacked.edge_latency[e, p, q]),
                energy=float(stacked.edge_energy[e, p, q]),
                link=link,
                nbytes=int(edge.bytes),
                busy=float(stacked.edge_busy[e, p, q]) if link else None,
            )
        )
    resources = {
        d: Resource(
            name=d,
            count=int(stacked.counts[k]),
            static_power=float(stacked.static_power[k]),
            lanes=int(stacked.lanes[k]),
            prefetch=bool(stacked.prefetch[k]),
        )
        for k, d in enumerate(devices)
    }
    return Program(
        tasks=tuple(tasks),
        transfers=tuple(transfers),
        resources=resources,
        links=tuple(sorted(used_links)),
    )
