"""Discrete-event simulation on hand-built programs whose schedules are known by hand."""

from __future__ import annotations

import json
import random
from itertools import pairwise

import numpy as np
import pytest

from lightcode.simulate import Program, Resource, Task, Transfer, simulate, timeline


def task(i: int, latency: float, device: str = "gpu", units: int = 1, **energy: float) -> Task:
    return Task(i, f"t{i}", "matmul", device, None, latency, energy, units)


def program(tasks, transfers=(), links=(), **resources: tuple[int, float]) -> Program:
    res = {name: Resource(name, count, power) for name, (count, power) in resources.items()}
    return Program(tuple(tasks), tuple(transfers), res, tuple(links))


def fan_out(k: int, latency: float = 1.0, **resources) -> Program:
    """A zero-latency source on "gpu" feeding k independent tasks."""
    tasks = [task(0, 0.0)] + [task(i, latency) for i in range(1, k + 1)]
    return program(tasks, [Transfer(0, i, 0.0, 0.0) for i in range(1, k + 1)], **resources)


def test_chain_makespan_is_sum_and_energy_adds_static():
    p = program(
        [
            task(0, 1e-3, compute=2.0),
            task(1, 2e-3, compute=3.0, dac=0.5),
            task(2, 3e-3, compute=1.0),
        ],
        [Transfer(0, 1, 0.0, 0.0), Transfer(1, 2, 0.0, 0.0)],
        gpu=(2, 10.0),
    )
    r = simulate(p)
    assert r.makespan == pytest.approx(6e-3)
    assert r.task_start == pytest.approx((0.0, 1e-3, 3e-3))
    assert r.energy["compute"] == {"gpu": {"compute": pytest.approx(6.0), "dac": 0.5}}
    assert r.energy["static"]["gpu"] == pytest.approx(10.0 * 2 * 6e-3)
    assert r.total_energy == pytest.approx(6.5 + 0.12)
    assert r.dynamic_energy == pytest.approx(6.5)
    assert r.utilization["gpu"] == pytest.approx(0.5)
    assert all(units == (0,) for units in r.task_units)


@pytest.mark.parametrize(("count", "makespan", "util"), [(1, 5.0, 1.0), (2, 3.0, 5.0 / 6.0)])
def test_independent_tasks_serialize_on_one_unit_and_overlap_on_two(count, makespan, util):
    p = program(
        [task(0, 0.0), task(1, 2.0), task(2, 3.0)],
        [Transfer(0, 1, 0.0, 0.0), Transfer(0, 2, 0.0, 0.0)],
        gpu=(count, 0.0),
    )
    r = simulate(p)
    assert r.makespan == pytest.approx(makespan)
    assert r.utilization["gpu"] == pytest.approx(util)
    if count == 1:  # ties broken by task id
        assert r.task_start[1:] == (0.0, 2.0)
    else:
        assert r.task_units[1:] == ((0,), (1,))


def test_w_tasks_on_w_units_run_together_and_one_more_needs_a_second_round():
    w = 4
    r = simulate(fan_out(w, gpu=(w, 0.0)))
    assert r.makespan == pytest.approx(1.0)
    assert sorted(r.task_units[1:]) == [(u,) for u in range(w)]
    r = simulate(fan_out(w + 1, gpu=(w, 0.0)))
    assert r.makespan == pytest.approx(2.0)
    assert r.task_start[-1] == pytest.approx(1.0)  # the highest id waits
    assert r.task_units[-1] == (0,)  # and gets the lowest free unit


def test_wide_task_waits_for_narrow_one_to_finish():
    p = program(
        [task(0, 0.0), task(1, 2.0), task(2, 1.0, units=2)],
        [Transfer(0, 1, 0.0, 0.0), Transfer(0, 2, 0.0, 0.0)],
        gpu=(2, 0.0),
    )
    r = simulate(p)
    assert r.task_start[2] == pytest.approx(2.0)
    assert r.task_units[2] == (0, 1)
    assert r.makespan == pytest.approx(3.0)
    assert r.utilization["gpu"] == pytest.approx((2.0 + 2.0) / (2 * 3.0))


def test_narrow_tasks_backfill_beside_a_wide_task_that_does_not_fit():
    # t1 holds one of 2 units; t2 (2 units) cannot start, t3 (1 unit, later id) can.
    p = program(
        [task(0, 0.0), task(1, 2.0), task(2, 1.0, units=2), task(3, 1.0)],
        [Transfer(0, i, 0.0, 0.0) for i in (1, 2, 3)],
        gpu=(2, 0.0),
    )
    r = simulate(p)
    assert r.task_start[3] == 0.0
    assert r.task_start[2] == pytest.approx(2.0)


def test_transfers_queue_on_a_shared_link_and_overlap_on_different_links():
    link = ("gpu", "ptu")
    tasks = [task(0, 1.0), task(1, 0.5, "ptu"), task(2, 0.5, "ptu")]
    shared = program(
        tasks,
        [Transfer(0, 1, 2.0, 0.1, link), Transfer(0, 2, 2.0, 0.2, link)],
        [link],
        gpu=(1, 0.0),
        ptu=(2, 0.0),
    )
    r = simulate(shared)
    assert r.transfer_start == pytest.approx((1.0, 3.0))
    assert r.transfer_end == pytest.approx((3.0, 5.0))  # 2x latency after the producer ends
    assert r.task_start[1:] == pytest.approx((3.0, 5.0))
    assert r.link_utilization == {"gpu->ptu": pytest.approx(4.0 / 5.5)}
    assert r.energy["transfer"] == {"gpu->ptu": pytest.approx(0.3)}

    other = ("gpu", "ptu2")
    split = program(
        [*tasks[:2], task(2, 0.5, "ptu2")],
        [Transfer(0, 1, 2.0, 0.1, link), Transfer(0, 2, 2.0, 0.2, other)],
        [link, other],
        gpu=(1, 0.0),
        ptu=(1, 0.0),
        ptu2=(1, 0.0),
    )
    r = simulate(split)
    assert r.transfer_end == pytest.approx((3.0, 3.0))
    assert r.makespan == pytest.approx(3.5)
    assert r.energy["transfer"] == {"gpu->ptu": pytest.approx(0.1), "gpu->ptu2": 0.2}


def test_transfer_latency_delays_consumer_exactly():
    p = program(
        [task(0, 1.5e-6), task(1, 1e-6, "ptu")],
        [Transfer(0, 1, 0.7e-6, 1e-9)],
        gpu=(1, 0.0),
        ptu=(1, 0.0),
    )
    r = simulate(p)
    assert r.task_start[1] == r.task_end[0] + 0.7e-6
    assert r.energy["transfer"] == {"local": 1e-9}
    assert r.link_utilization == {}


def test_consumer_waits_for_its_last_input():
    p = program(
        [task(0, 1.0), task(1, 4.0), task(2, 1.0)],
        [Transfer(0, 2, 0.5, 0.0), Transfer(1, 2, 0.25, 0.0)],
        gpu=(2, 0.0),
    )
    assert simulate(p).task_start[2] == pytest.approx(4.25)


def random_program(n: int, m: int, seed: int) -> Program:
    rnd = random.Random(seed)
    devices = {"gpu": (3, 20.0), "ptu": (4, 5.0)}
    tasks = [
        Task(
            i,
            f"op{i}",
            rnd.choice(["matmul", "softmax", "norm"]),
            device := rnd.choice(list(devices)),
            None,
            rnd.uniform(0.0, 1e-5),
            {"compute": rnd.uniform(0.0, 1e-3)},
            rnd.randint(1, devices[device][0]),
        )
        for i in range(n)
    ]
    transfers = []
    for _ in range(m):
        a = rnd.randrange(n - 1)
        b = rnd.randrange(a + 1, min(n, a + 20))
        pair = (tasks[a].device, tasks[b].device)
        transfers.append(
            Transfer(a, b, rnd.uniform(0.0, 2e-6), 1e-7, None if rnd.random() < 0.3 else pair)
        )
    links = sorted({tr.link for tr in transfers if tr.link})
    return program(tasks, transfers, links, **devices)


def test_random_program_respects_dependencies_units_and_links():
    p = random_program(300, 500, seed=1)
    r = simulate(p)
    eps = 1e-15
    for j, tr in enumerate(p.transfers):
        assert r.transfer_start[j] >= r.task_end[tr.src] - eps
        assert r.transfer_end[j] == pytest.approx(r.transfer_start[j] + tr.latency)
        assert r.task_start[tr.dst] >= r.transfer_end[j] - eps
    lanes: dict[tuple, list[tuple[float, float]]] = {}
    for t in p.tasks:
        assert len(r.task_units[t.id]) == t.units
        for u in r.task_units[t.id]:
            lanes.setdefault((t.device, u), []).append((r.task_start[t.id], r.task_end[t.id]))
    for j, tr in enumerate(p.transfers):
        if tr.link:
            lanes.setdefault(tr.link, []).append((r.transfer_start[j], r.transfer_end[j]))
    for spans in lanes.values():
        spans.sort()
        assert all(b[0] >= a[1] - eps for a, b in pairwise(spans))
    assert r.makespan == max(r.task_end)
    assert r.events > len(p.tasks) + len(p.transfers)
    json.dumps({"energy": r.energy, "utilization": r.utilization})  # JSON-friendly


def test_same_program_twice_gives_identical_results():
    p = random_program(200, 300, seed=7)
    assert simulate(p) == simulate(p)


def test_timeline_bins_sum_to_totals():
    p = random_program(200, 300, seed=3)
    r = simulate(p)
    tl = timeline(p, r, bins=37)
    assert len(tl.edges) == 38 and tl.edges[-1] == r.makespan
    assert tl.static_energy.sum() == pytest.approx(sum(r.energy["static"].values()))
    assert tl.dynamic_energy.sum() == pytest.approx(r.dynamic_energy)
    for name, util in tl.utilization.items():
        expected = r.utilization.get(name, r.link_utilization.get(name))
        assert util.mean() == pytest.approx(expected)
        assert np.all(util <= 1 + 1e-9) and np.all(util >= -1e-9)


def test_timeline_of_a_known_schedule():
    # Unit 0 busy [0, 2), unit 1 busy [0, 1): utilization 1.0 then 0.5 over two bins.
    p = program(
        [task(0, 0.0), task(1, 2.0, compute=4.0), task(2, 1.0, compute=1.0)],
        [Transfer(0, 1, 0.0, 0.0), Transfer(0, 2, 0.0, 0.0)],
        gpu=(2, 1.0),
    )
    tl = timeline(p, simulate(p), bins=2)
    assert tl.utilization["gpu"] == pytest.approx([1.0, 0.5])
    assert tl.dynamic_energy == pytest.approx([3.0, 2.0])
    assert tl.static_energy == pytest.approx([2.0, 2.0])


def test_invalid_programs_are_rejected():
    with pytest.raises(ValueError, match="needs 3 units"):
        simulate(program([task(0, 1.0, units=3)], gpu=(2, 0.0)))
    with pytest.raises(ValueError, match="unknown resource"):
        simulate(program([task(0, 1.0, "npu")], gpu=(2, 0.0)))
    cycle = [Transfer(0, 1, 0.0, 0.0), Transfer(1, 0, 0.0, 0.0)]
    with pytest.raises(ValueError, match="cycle"):
        simulate(program([task(0, 1.0), task(1, 1.0)], cycle, gpu=(1, 0.0)))


def test_empty_program():
    r = simulate(program([], gpu=(1, 5.0)))
    assert r.makespan == 0.0 and r.total_energy == 0.0 and r.utilization == {"gpu": 0.0}


def test_simultaneous_arrivals_are_served_by_task_id_not_event_order():
    # Task 3's input is processed first (its producer has the lower id), yet task 2 wins the unit.
    p = program(
        [task(0, 1.0, "cpu"), task(1, 1.0, "cpu"), task(2, 1.0), task(3, 1.0)],
        [Transfer(0, 3, 0.0, 0.0), Transfer(1, 2, 0.0, 0.0)],
        cpu=(2, 0.0),
        gpu=(1, 0.0),
    )
    r = simulate(p)
    assert r.task_start[2:] == (1.0, 2.0)
