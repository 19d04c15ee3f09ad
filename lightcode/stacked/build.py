"""Build the Stacked Graph: price every op with every realization rule that applies to it."""

from __future__ import annotations

from collections.abc import Mapping
from fnmatch import fnmatchcase
from typing import TYPE_CHECKING

import numpy as np

from lightcode.errors import LightCodeError, SpecError, UsageError
from lightcode.frontend.graph import OpGraph
from lightcode.stacked.graph import Candidate, StackedGraph

if TYPE_CHECKING:
    from lightcode.spec import Spec


def build_stacked_graph(
    spec: Spec, graph: OpGraph, force: Mapping[str, str] | None = None
) -> StackedGraph:
    """One stack per op (one candidate per matching rule), and edge costs per device pair.

    `force` pins ops to a device: keys are op kinds or glob patterns over op names, values a
    device name or `device:variant`.
    """
    devices = tuple(spec.devices)
    per_op: list[list[Candidate]] = [[] for _ in graph.ops]
    kinds = np.array([op.kind for op in graph.ops])
    for r, rule in enumerate(spec.rules):
        idx = np.flatnonzero(np.isin(kinds, rule.ops))
        if idx.size == 0:
            continue
        cost = rule.evaluate(graph.attrs(idx))
        _check_costs(rule, graph, idx, cost.applies, cost.latency, "latency")
        for name, values in cost.energy.items():
            _check_costs(rule, graph, idx, cost.applies, values, f"energy.{name}")
        _check_occupancy(spec, rule, graph, idx, cost)
        for j in np.flatnonzero(cost.applies):
            _check_overlap(spec, rule, per_op[idx[j]], graph.ops[idx[j]].name)
            per_op[idx[j]].append(
                Candidate(
                    op=int(idx[j]),
                    device=rule.device,
                    variant=rule.variant,
                    rule=r,
                    latency=float(cost.latency[j]),
                    energy={k: float(v[j]) for k, v in cost.energy.items()},
                    units=int(cost.units[j]),
                    lanes=int(cost.lanes[j]),
                    setup=float(cost.setup[j]),
                )
            )
    if force:
        per_op = _apply_force(graph, per_op, force, devices)
    for i, stack in enumerate(per_op):
        if not stack:
            op = graph.ops[i]
            raise LightCodeError(
                f"no realization rule covers op '{op.name}' (kind {op.kind})",
                hint=f"add `realize {op.kind} on <device> {{ latency = ...  energy = ... }}`",
            )
    cands = tuple(c for stack in per_op for c in stack)
    ptr = np.concatenate([[0], np.cumsum([len(s) for s in per_op])]).astype(int)
    dev_index = {d: k for k, d in enumerate(devices)}
    edge_latency, edge_energy, edge_busy = _edge_costs(spec, graph, devices)
    dev = [spec.devices[c.device] for c in cands]
    return StackedGraph(
        graph=graph,
        devices=devices,
        candidates=cands,
        ptr=ptr,
        latency=np.array(
            [c.latency - (c.setup if d.prefetch else 0.0) for c, d in zip(cands, dev, strict=True)]
        ),
        energy=np.array([sum(c.energy.values()) for c in cands]),
        device=np.array([dev_index[c.device] for c in cands], dtype=int),
        units=np.array(
            [c.lanes / d.lanes if c.lanes else c.units for c, d in zip(cands, dev, strict=True)]
        ),
        edge_latency=edge_latency,
        edge_energy=edge_energy,
        edge_busy=edge_busy,
        edge_group=_edge_groups(graph),
        link_shared=np.array(
            [
                [spec.links[p, q].shared if (p, q) in spec.links else False for q in devices]
                for p in devices
            ]
        ),
        counts=np.array([spec.devices[d].count for d in devices], dtype=int),
        static_power=np.array([spec.devices[d].static_power for d in devices], dtype=float),
        lanes=np.array([spec.devices[d].lanes for d in devices], dtype=int),
        prefetch=np.array([spec.devices[d].prefetch for d in devices], dtype=bool),
    )


def _check_overlap(spec: Spec, rule, stack: list[Candidate], op_name: str) -> None:
    """Rules split by `when` conditions must not both apply to one op."""
    for other in stack:
        if other.device == rule.device and other.variant == rule.variant:
            raise SpecError(
                f"op '{op_name}' matches two rules for {rule.device}: this one and the one at "
                f"{spec.rules[other.rule].loc}",
                loc=rule.loc,
                hint='make their `when` conditions disjoint, or give one a variant: as "..."',
            )


def _check_occupancy(spec: Spec, rule, graph: OpGraph, idx: np.ndarray, cost) -> None:
    """`units`, `lanes` and `setup` must describe something the device can hold."""
    device = spec.devices[rule.device]
    checks = [
        ("units", cost.units, (cost.units < 1) | (cost.units > device.count), device.count),
        ("lanes", cost.lanes, (cost.lanes < 0) | (cost.lanes > device.lanes), device.lanes),
    ]
    for name, values, bad, limit in checks:
        bad = cost.applies & (bad | (values != np.round(values)))
        if bad.any():
            j = np.flatnonzero(bad)[0]
            raise SpecError(
                f"rule for {', '.join(rule.ops)} on {rule.device} asks for {name} = "
                f"{values[j]:g} for op '{graph.ops[idx[j]].name}': {rule.device} has {limit}",
                loc=rule.loc,
            )
    both = cost.applies & (cost.lanes > 0) & (cost.units > 1)
    late = cost.applies & ((cost.setup < 0) | (cost.setup > cost.latency))
    for bad, message in (
        (both, "takes lanes of one unit and several units at once"),
        (late, "has a setup outside its latency"),
    ):
        if bad.any():
            j = np.flatnonzero(bad)[0]
            raise SpecError(f"op '{graph.ops[idx[j]].name}' {message}", loc=rule.loc)


def _check_costs(
    rule, graph: OpGraph, idx: np.ndarray, applies: np.ndarray, values: np.ndarray, what: str
) -> None:
    """Costs of the ops a rule applies to must be finite and not negative."""
    bad = np.flatnonzero(applies & (~np.isfinite(values) | (values < 0)))
    if bad.size:
        j = bad[0]
        raise SpecError(
            f"rule for {', '.join(rule.ops)} on {rule.device} gives {what} = {values[j]:g} "
            f"{'s' if what == 'latency' else 'J'} "
            f"for op '{graph.ops[idx[j]].name}' (costs must be finite and not negative)",
            loc=rule.loc,
        )


def _apply_force(
    graph: OpGraph,
    per_op: list[list[Candidate]],
    force: Mapping[str, str],
    devices: tuple[str, ...],
) -> list[list[Candidate]]:
    out = [list(stack) for stack in per_op]
    for pattern, target in force.items():
        device, _, variant = target.partition(":")
        if device not in devices:
            raise UsageError(f"--force {pattern}={target}: unknown device '{device}'")
        matched = [
            i
            for i, op in enumerate(graph.ops)
            if op.kind == pattern or fnmatchcase(op.name, pattern)
        ]
        if not matched:
            raise UsageError(f"--force {pattern}={target}: no op kind or op name matches")
        for i in matched:
            keep = [
                c for c in out[i] if c.device == device and (not variant or c.variant == variant)
            ]
            if not keep:
                raise UsageError(
                    f"--force {pattern}={target}: no rule on {target} realizes "
                    f"'{graph.ops[i].name}' (kind {graph.ops[i].kind})"
                )
            out[i] = keep
    return out


def _edge_costs(
    spec: Spec, graph: OpGraph, devices: tuple[str, ...]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    n, d = len(graph.edges), len(devices)
    latency = np.full((n, d, d), np.inf)
    energy = np.full((n, d, d), np.inf)
    busy = np.zeros((n, d, d))
    attrs = {
        "bytes": np.array([e.bytes for e in graph.edges], dtype=float),
        "elements": np.array([e.elements for e in graph.edges], dtype=float),
    }
    for a, p in enumerate(devices):
        for b, q in enumerate(devices):
            link = spec.links.get((p, q))
            if link is not None:
                t, e = link.cost(attrs)
                latency[:, a, b] = t
                energy[:, a, b] = e
                if link.bandwidth and p != q:
                    busy[:, a, b] = attrs["bytes"] / link.bandwidth
            elif p == q:
                latency[:, a, b] = 0.0
                energy[:, a, b] = 0.0
    return latency, energy, busy


def _edge_groups(graph: OpGraph) -> np.ndarray:
    """For each edge, its producer when every edge out of that producer carries the producer's
    whole output (one tensor, several readers), else -1 (each edge its own slice)."""
    out_bytes = np.array([op.elements * op.dtype_bytes for op in graph.ops], dtype=float)
    src = np.array([e.src for e in graph.edges], dtype=int)
    whole = np.array([e.bytes for e in graph.edges], dtype=float) == out_bytes[src]
    partial = np.zeros(len(graph.ops), dtype=bool)
    partial[src[~whole]] = True
    return np.where(partial[src], -1, src)
