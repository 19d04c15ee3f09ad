"""Chrome / Perfetto trace-event JSON of a simulated program.

One process per resource (one thread per unit) and one per modelled link (a single thread).
A task on several units appears once on each of their lanes. Open in ui.perfetto.dev or
chrome://tracing.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lightcode.report.format import slot_name
from lightcode.simulate.program import Program
from lightcode.simulate.result import SimResult, link_name

_US = 1e6  # trace timestamps are in microseconds


def chrome_trace(program: Program, result: SimResult) -> dict[str, Any]:
    """The trace as a JSON-ready dict: {"traceEvents": [...], "displayTimeUnit": "ns"}."""
    events: list[dict[str, Any]] = []
    pids: dict[str, int] = {}
    for pid, (name, res) in enumerate(program.resources.items(), start=1):
        pids[name] = pid
        events.append(_meta("process_name", pid, 0, f"{name} ({res.count} units)"))
        events.append(_meta("process_sort_index", pid, 0, pid, key="sort_index"))
        events.extend(
            _meta("thread_name", pid, slot, slot_name(name, *divmod(slot, res.lanes), res.lanes))
            for slot in range(res.count * res.lanes)
        )
    for offset, link in enumerate(program.links, start=len(pids) + 1):
        pids[link_name(link)] = offset
        events.append(_meta("process_name", offset, 0, f"link {link_name(link)}"))
        events.append(_meta("process_sort_index", offset, 0, offset, key="sort_index"))
        events.append(_meta("thread_name", offset, 0, link_name(link)))

    for task in program.tasks:
        start, end = result.task_start[task.id], result.task_end[task.id]
        args = {
            "op": task.kind,
            "device": task.device,
            "variant": task.variant,
            "units": list(result.task_units[task.id]),
            "latency_s": task.latency,
            "energy_J": dict(task.energy),
        }
        for unit in result.task_units[task.id]:
            events.append(
                _complete(task.name, task.kind, pids[task.device], unit, start, end, args)
            )

    modelled = set(program.links)
    for j, tr in enumerate(program.transfers):
        if tr.link not in modelled:
            continue
        args = {
            "src": program.tasks[tr.src].name,
            "dst": program.tasks[tr.dst].name,
            "latency_s": tr.latency,
            "energy_J": tr.energy,
        }
        if tr.nbytes is not None:
            args["bytes"] = tr.nbytes
        name = f"{program.tasks[tr.src].name} -> {program.tasks[tr.dst].name}"
        pid = pids[link_name(tr.link)]
        start = result.transfer_start[j]  # the lane shows the time the link is held
        events.append(_complete(name, "transfer", pid, 0, start, start + tr.occupancy, args))
    return {"traceEvents": events, "displayTimeUnit": "ns"}


def write_chrome_trace(program: Program, result: SimResult, path: str | Path) -> Path:
    """Write the trace of `result` to `path` and return the path."""
    path = Path(path)
    path.write_text(json.dumps(chrome_trace(program, result)))
    return path


def _meta(name: str, pid: int, tid: int, value: Any, key: str = "name") -> dict[str, Any]:
    return {"ph": "M", "name": name, "pid": pid, "tid": tid, "args": {key: value}}


def _complete(
    name: str, cat: str, pid: int, tid: int, start: float, end: float, args: dict[str, Any]
) -> dict[str, Any]:
    ts = start * _US
    return {
        "ph": "X",
        "name": name,
        "cat": cat,
        "pid": pid,
        "tid": tid,
        "ts": ts,
        "dur": max(end * _US - ts, 0.0),
        "args": args,
    }
