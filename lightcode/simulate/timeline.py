"""Utilization and energy over time, binned for plots."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from lightcode.simulate.program import Program
from lightcode.simulate.result import SimResult, link_name


@dataclass(frozen=True)
class Timeline:
    """`bins` equal buckets over [0, makespan]; `edges` has bins + 1 times (s).

    `utilization[name]` is the busy fraction of each bucket, per resource and per modelled link.
    `static_energy` and `dynamic_energy` are J per bucket; each task's or transfer's energy is
    spread uniformly over its interval (zero-length ones land in the bucket holding them).
    """

    edges: np.ndarray
    utilization: dict[str, np.ndarray]
    static_energy: np.ndarray
    dynamic_energy: np.ndarray


def timeline(program: Program, result: SimResult, bins: int = 100) -> Timeline:
    """Bin `result` of `program` into `bins` buckets."""
    if bins < 1:
        raise ValueError(f"bins must be >= 1, got {bins}")
    edges = np.linspace(0.0, result.makespan, bins + 1)
    width = result.makespan / bins
    t_start = np.asarray(result.task_start, dtype=float)
    t_end = np.asarray(result.task_end, dtype=float)
    x_start = np.asarray(result.transfer_start, dtype=float)
    x_end = np.asarray(result.transfer_end, dtype=float)

    devices = np.array([t.device for t in program.tasks], dtype=object)
    units = np.array([t.share(program.resources[t.device]) for t in program.tasks], dtype=float)
    utilization = {}
    for name, res in program.resources.items():
        on = devices == name
        busy = _spread(t_start[on], t_end[on], (t_end - t_start)[on] * units[on], edges)
        utilization[name] = _safe_div(busy, res.count * width)
    links = [tr.link for tr in program.transfers]
    held = x_start + np.array([tr.occupancy for tr in program.transfers], dtype=float)
    for link in program.links:
        on = np.array([x == link for x in links], dtype=bool)
        busy = _spread(x_start[on], held[on], (held - x_start)[on], edges)
        utilization[link_name(link)] = _safe_div(busy, width)

    task_energy = np.array([sum(t.energy.values()) for t in program.tasks], dtype=float)
    transfer_energy = np.array([tr.energy for tr in program.transfers], dtype=float)
    dynamic = _spread(t_start, t_end, task_energy, edges) + _spread(
        x_start, x_end, transfer_energy, edges
    )
    static_power = sum(res.static_power * res.count for res in program.resources.values())
    static = np.full(bins, static_power * width)
    return Timeline(edges, utilization, static, dynamic)


def _spread(start: np.ndarray, end: np.ndarray, amount: np.ndarray, edges: np.ndarray):
    """Per bucket, the part of each `amount` spread uniformly over [start, end)."""
    out = np.zeros(len(edges) - 1)
    if len(out) == 0 or len(start) == 0:
        return out
    duration = end - start
    timed = duration > 0
    if timed.any():
        rate = amount[timed] / duration[timed]
        times = np.concatenate([start[timed], end[timed]])
        steps = np.concatenate([rate, -rate])
        order = np.argsort(times, kind="stable")
        times, steps = times[order], steps[order]
        # Integral of the step-wise rate at each change point, then at the bucket edges.
        level = np.cumsum(steps)[:-1]
        integral = np.concatenate([[0.0], np.cumsum(level * np.diff(times))])
        out += np.diff(np.interp(edges, times, integral))
    if not timed.all():
        at = np.searchsorted(edges, start[~timed], side="right") - 1
        np.add.at(out, np.clip(at, 0, len(out) - 1), amount[~timed])
    return out


def _safe_div(values: np.ndarray, denominator: float) -> np.ndarray:
    return values / denominator if denominator > 0 else np.zeros_like(values)
