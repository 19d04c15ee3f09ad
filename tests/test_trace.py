"""Chrome trace JSON and Gantt PNG of simulated programs."""

from __future__ import annotations

import json
from collections import defaultdict
from itertools import pairwise

import pytest

from lightcode.report.gantt import write_gantt
from lightcode.report.trace import write_chrome_trace
from lightcode.simulate import Program, Resource, Task, Transfer, simulate

KINDS = ("matmul", "softmax", "norm", "add")


def pipeline(n: int) -> Program:
    """n tasks alternating gpu/ptu, each feeding the next two, over both links."""
    resources = {"gpu": Resource("gpu", 2, 30.0), "ptu": Resource("ptu", 3, 5.0)}
    tasks = tuple(
        Task(
            i,
            f"op{i}",
            KINDS[i % 4],
            "gpu" if i % 3 else "ptu",
            "fp16" if i % 3 else "wdm4",
            1e-6 * (1 + i % 5),
            {"compute": 1e-6, "dac": 2e-7} if i % 3 == 0 else {"compute": 3e-6},
            2 if i % 7 == 0 else 1,
        )
        for i in range(n)
    )
    transfers = []
    for a in range(n):
        for b in (a + 1, a + 2):
            if b < n:
                da, db = tasks[a].device, tasks[b].device
                link = None if da == db else (da, db)
                transfers.append(Transfer(a, b, 2e-7, 1e-8, link, nbytes=4096))
    return Program(tasks, tuple(transfers), resources, (("gpu", "ptu"), ("ptu", "gpu")))


@pytest.fixture(scope="module")
def trace(tmp_path_factory):
    program = pipeline(60)
    result = simulate(program)
    path = write_chrome_trace(program, result, tmp_path_factory.mktemp("t") / "trace.json")
    return program, result, json.loads(path.read_text())


def test_trace_is_valid_trace_event_json(trace):
    _, _, data = trace
    assert data["displayTimeUnit"] == "ns"
    required = {
        "X": {"name", "cat", "ph", "ts", "dur", "pid", "tid", "args"},
        "M": {"name", "ph", "pid", "tid", "args"},
    }
    for event in data["traceEvents"]:
        assert required[event["ph"]] <= event.keys()
        if event["ph"] == "X":
            assert event["ts"] >= 0 and event["dur"] >= 0
            assert isinstance(event["ts"], float)


def test_trace_has_one_process_per_resource_and_link_and_one_thread_per_unit(trace):
    _, _, data = trace
    meta = [e for e in data["traceEvents"] if e["ph"] == "M"]
    processes = [e["args"]["name"] for e in meta if e["name"] == "process_name"]
    assert processes == ["gpu (2 units)", "ptu (3 units)", "link gpu->ptu", "link ptu->gpu"]
    threads = [e["args"]["name"] for e in meta if e["name"] == "thread_name"]
    assert threads == ["gpu[0]", "gpu[1]", "ptu[0]", "ptu[1]", "ptu[2]", "gpu->ptu", "ptu->gpu"]


def test_trace_events_match_the_simulation(trace):
    program, result, data = trace
    complete = [e for e in data["traceEvents"] if e["ph"] == "X"]
    tasks = [e for e in complete if e["cat"] != "transfer"]
    assert len(tasks) == sum(t.units for t in program.tasks)
    op0 = next(e for e in tasks if e["name"] == "op0")
    assert op0["ts"] == pytest.approx(result.task_start[0] * 1e6)
    assert op0["dur"] == pytest.approx(1.0)  # 1 µs
    assert op0["args"]["energy_J"] == {"compute": 1e-6, "dac": 2e-7}
    assert op0["args"]["variant"] == "wdm4" and op0["args"]["op"] == "matmul"
    transfers = [e for e in complete if e["cat"] == "transfer"]
    assert len(transfers) == sum(tr.link is not None for tr in program.transfers)
    assert all(e["args"]["bytes"] == 4096 for e in transfers)


def test_events_on_one_lane_never_overlap(trace):
    _, _, data = trace
    lanes = defaultdict(list)
    for e in data["traceEvents"]:
        if e["ph"] == "X":
            lanes[e["pid"], e["tid"]].append((e["ts"], e["ts"] + e["dur"]))
    assert sum(len(spans) > 1 for spans in lanes.values()) >= 4
    for spans in lanes.values():
        spans.sort()
        assert all(b[0] >= a[1] - 1e-6 for a, b in pairwise(spans))


@pytest.mark.parametrize("max_tasks", [None, 20])
def test_gantt_writes_a_png(tmp_path, max_tasks):
    program = pipeline(200)
    path = write_gantt(program, simulate(program), tmp_path / "gantt.png", max_tasks=max_tasks)
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    assert len(data) > 10_000
