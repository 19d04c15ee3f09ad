"""Shared resources with answers known by hand: WDM lanes, link serialization, prefetch."""

from __future__ import annotations

import pytest

from lightcode.errors import SpecError
from lightcode.simulate import simulate
from lightcode.simulate.program import Program, Resource, Task, Transfer
from lightcode.spec import load_spec
from lightcode.stacked import build_stacked_graph
from tests.test_pipeline import _graph, _op


def _task(i: int, latency: float, device: str = "ptu", **kw) -> Task:
    return Task(i, f"t{i}", "matmul", device, None, latency, **kw)


def _fan_out(n: int, lanes: int, per_task: int) -> Program:
    """A source on the GPU feeding n independent matmuls on one PTU unit of `lanes` lanes."""
    tasks = [_task(0, 0.0, "gpu")]
    tasks += [_task(i, 1.0, lanes=per_task) for i in range(1, n + 1)]
    transfers = [Transfer(0, i, 0.0, 0.0) for i in range(1, n + 1)]
    resources = {"gpu": Resource("gpu", 1), "ptu": Resource("ptu", 1, lanes=lanes)}
    return Program(tuple(tasks), tuple(transfers), resources)


@pytest.mark.parametrize(("n", "makespan"), [(16, 1.0), (17, 2.0), (32, 2.0)])
def test_ops_share_the_wavelength_lanes_of_one_unit(n, makespan):
    result = simulate(_fan_out(n, lanes=16, per_task=1))
    assert result.makespan == makespan
    assert result.utilization["ptu"] == pytest.approx(n / 16 / makespan)


def test_ops_on_quarter_lanes_run_four_at_a_time():
    result = simulate(_fan_out(8, lanes=16, per_task=4))
    assert result.makespan == 2.0
    slots = sorted(result.task_units[1:5])
    assert slots == [(0, 1, 2, 3), (4, 5, 6, 7), (8, 9, 10, 11), (12, 13, 14, 15)]


def test_a_whole_unit_op_waits_for_every_lane():
    tasks = (_task(0, 0.0, "gpu"), _task(1, 1.0, lanes=1), _task(2, 1.0))
    transfers = (Transfer(0, 1, 0.0, 0.0), Transfer(0, 2, 0.0, 0.0))
    resources = {"gpu": Resource("gpu", 1), "ptu": Resource("ptu", 1, lanes=4)}
    result = simulate(Program(tasks, transfers, resources))
    assert result.task_start[2] == 1.0 and result.makespan == 2.0


def test_a_link_is_held_for_serialization_only():
    # two 1 MB transfers on a 1 GB/s link with 5 ms of flight: the second waits 1 ms, not 6
    tasks = (_task(0, 0.0, "gpu"), _task(1, 0.0), _task(2, 0.0))
    hop = dict(latency=6e-3, energy=0.0, link=("gpu", "ptu"), busy=1e-3)
    transfers = (Transfer(0, 1, **hop), Transfer(0, 2, **hop))
    resources = {"gpu": Resource("gpu", 1), "ptu": Resource("ptu", 2)}
    result = simulate(Program(tasks, transfers, resources, links=(("gpu", "ptu"),)))
    assert result.transfer_end == pytest.approx((6e-3, 7e-3))
    assert result.link_utilization["gpu->ptu"] == pytest.approx(2e-3 / 7e-3)


@pytest.mark.parametrize(
    ("prefetch", "setup", "end"),
    [
        (False, 4.0, 10 + 4 + 5),  # reprogramming after A, on the unit
        (True, 4.0, 10 + 5),  # loaded while A computes: hidden
        (True, 12.0, 12 + 5),  # longer than A: only 10 of 12 hidden
    ],
)
def test_weight_reprogramming_hidden_by_prefetch_or_not(prefetch, setup, end):
    tasks = (_task(0, 10.0), _task(1, setup + 5.0, setup=setup))
    resources = {"ptu": Resource("ptu", 1, prefetch=prefetch)}
    result = simulate(Program(tasks, (Transfer(0, 1, 0.0, 0.0),), resources))
    assert result.makespan == end


WDM = """lightcode 1
device gpu : electronic { count = 1 }
device ptu : photonic {
  count = 1
  lanes = 16
  prefetch = 1
}
link gpu <-> ptu { latency = 1 ns }
realize add on gpu { latency = 1 ns ; energy = 1 pJ }
realize matmul on ptu as "w16" { latency = 16 ns ; energy = 1 pJ ; lanes = 16 }
realize matmul on ptu as "w4" { latency = 64 ns ; energy = 1 pJ ; lanes = LANES ; setup = 2 ns }
"""


def test_lane_variants_reach_the_stacked_graph(tmp_path):
    path = tmp_path / "wdm.lhw"
    path.write_text(WDM.replace("LANES", "4"))
    graph = _graph([_op(0, "add", 8, 8), _op(1, "matmul", 8, 8, 8)], [(0, 1)])
    stacked = build_stacked_graph(load_spec(path), graph)
    assert [c.label for c in stacked.candidates[1:]] == ["ptu:w16", "ptu:w4"]
    assert list(stacked.units[1:]) == [1.0, 0.25]  # share of the unit's capacity
    assert list(stacked.latency[1:]) == pytest.approx([16e-9, 62e-9])  # prefetch hides setup


def test_more_lanes_than_the_unit_has_is_an_error_at_the_rule(tmp_path):
    path = tmp_path / "wdm.lhw"
    path.write_text(WDM.replace("LANES", "32"))
    graph = _graph([_op(0, "add", 8, 8), _op(1, "matmul", 8, 8, 8)], [(0, 1)])
    with pytest.raises(SpecError, match=r"asks for lanes = 32 .* ptu has 16") as err:
        build_stacked_graph(load_spec(path), graph)
    assert err.value.loc.line == 11


def test_agreement_names_the_contended_resource():
    from lightcode.report.agreement import agreement, describe

    program = _fan_out(17, lanes=16, per_task=1)
    result = simulate(program)
    report = agreement(program, result, planned=17 / 16)  # the load bound: 17 lane-seconds
    assert report["ratio"] == pytest.approx(2 / (17 / 16))
    assert report["cause"] == "ptu" and report["queueing_s"]["ptu"] == 1.0
    assert "contention on ptu" in describe(report)
    assert agreement(program, result, planned=2.0)["cause"] is None
