"""Gantt chart (PNG) of a simulated program: one row per unit and per modelled link."""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.patches import Patch

from lightcode.report.format import slot_name, time_unit
from lightcode.simulate.program import Program
from lightcode.simulate.result import SimResult, link_name

_TRANSFER_COLOR = "0.55"


def write_gantt(
    program: Program, result: SimResult, path: str | Path, max_tasks: int | None = None
) -> Path:
    """Draw the schedule to `path` (PNG) and return the path.

    With `max_tasks`, only the first `max_tasks` tasks to start (and the transfers starting
    before the last of them ends) are drawn, so that the start of a large program stays
    readable. Bars are batched per lane and op kind (one `broken_barh` each), so large programs
    draw quickly. Uses the Agg canvas directly: no pyplot, no global backend change.
    """
    path = Path(path)
    order = sorted(range(len(program.tasks)), key=lambda i: (result.task_start[i], i))
    shown = order if max_tasks is None else order[:max_tasks]
    horizon = max((result.task_end[i] for i in shown), default=0.0)
    scale, unit = time_unit(horizon)

    lanes: list[str] = []
    row: dict[tuple[str, int], int] = {}
    # a device's lanes get rows of their own only when some task holds part of a unit
    split = {t.device for t in program.tasks if 0 < t.lanes < program.resources[t.device].lanes}
    for name, res in program.resources.items():
        shown_lanes = res.lanes if name in split else 1
        for u in range(res.count):
            for lane in range(shown_lanes):
                slots = (
                    [u * res.lanes + lane]
                    if name in split
                    else range(u * res.lanes, (u + 1) * res.lanes)
                )
                for slot in slots:
                    row[name, slot] = len(lanes)
                many = res.count * shown_lanes > 1
                lanes.append(slot_name(name, u, lane, shown_lanes) if many else name)
    for link in program.links:
        row[link_name(link), 0] = len(lanes)
        lanes.append(link_name(link))

    bars: dict[tuple[int, str], list[tuple[float, float]]] = defaultdict(list)
    for i in shown:
        task, start, end = program.tasks[i], result.task_start[i], result.task_end[i]
        for r in sorted({row[task.device, u] for u in result.task_units[i]}):
            bars[r, task.kind].append((start / scale, (end - start) / scale))
    modelled = set(program.links)
    for j, tr in enumerate(program.transfers):
        start = result.transfer_start[j]
        end = start + tr.occupancy  # the time the link is held
        if tr.link in modelled and (start < horizon or len(shown) == len(order)):
            bars[row[link_name(tr.link), 0], "transfer"].append(
                (start / scale, (end - start) / scale)
            )

    kinds = sorted({kind for _, kind in bars} - {"transfer"})
    # distinct hues first (tab10 without its grey, kept for transfers), then tab20's light tints
    tab10, tab20 = matplotlib.colormaps["tab10"], matplotlib.colormaps["tab20"]
    palette = [tab10(k) for k in range(10) if k != 7] + [tab20(k) for k in range(1, 20, 2)]
    colors = {kind: palette[k % len(palette)] for k, kind in enumerate(kinds)}
    if any(kind == "transfer" for _, kind in bars):
        colors["transfer"] = _TRANSFER_COLOR

    fig = Figure(figsize=(12, min(2.0 + 0.35 * len(lanes), 40.0)))
    FigureCanvasAgg(fig)
    ax = fig.add_subplot()
    for (r, kind), spans in bars.items():
        ax.broken_barh(spans, (r - 0.4, 0.8), facecolors=colors[kind], linewidth=0)
    ax.set_yticks(range(len(lanes)), lanes)
    ax.set_ylim(len(lanes) - 0.5, -0.5)
    ax.set_xlim(0, horizon / scale if horizon > 0 else 1)
    ax.set_xlabel(f"time ({unit})")
    ax.grid(axis="x", alpha=0.3)
    partial = "" if len(shown) == len(order) else f" (first {len(shown)} shown)"
    m_scale, m_unit = time_unit(result.makespan)
    ax.set_title(
        f"{len(program.tasks)} tasks{partial}, makespan {result.makespan / m_scale:.4g} {m_unit}, "
        f"energy {result.total_energy:.4g} J"
    )
    handles = [Patch(color=color, label=kind) for kind, color in colors.items()]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize="small")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    return path
