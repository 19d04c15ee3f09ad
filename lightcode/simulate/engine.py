"""Discrete-event simulation of a `Program` with SimPy.

Model:
- Each resource is a pool of `count` identical units; a task holds `task.units` of them for its
  latency and gets the lowest free unit ids.
- A task's process starts only once all its incoming transfers have arrived (in-degree
  counting). Waiting requests are served in (ready time, id) order, first fit: a wide request
  that does not fit yet lets later narrow ones start (work-conserving list scheduling).
- Each link in `program.links` has capacity 1: transfers on it queue FIFO (ties by transfer id)
  rather than share bandwidth. A transfer holds its link for `occupancy` (bytes / bandwidth),
  then travels for the rest of its latency while the link serves the next one. Transfers with
  `link=None`, or on a link not listed in `program.links`, take their latency without
  contention.
- Pools dispatch after every other event at the same instant, so the order of simultaneous
  arrivals never depends on SimPy's internal event order.
"""

from __future__ import annotations

import math
from collections.abc import Generator
from heapq import heappop, heappush
from typing import Any

import simpy
from simpy.events import NORMAL

from lightcode.simulate.program import Program
from lightcode.simulate.result import SimResult, link_name

_DISPATCH = NORMAL + 1  # SimPy priority: runs after all NORMAL events at the same time


class _Env(simpy.Environment):
    """A SimPy environment that counts the events it processes."""

    def __init__(self) -> None:
        super().__init__()
        self.processed = 0

    def step(self) -> None:
        super().step()
        self.processed += 1


class _Dispatch(simpy.Event):
    """An already-triggered event scheduled at low priority that calls `callback`."""

    def __init__(self, env: simpy.Environment, callback: Any) -> None:
        super().__init__(env)
        self._ok = True  # set directly, as simpy.Timeout does
        self._value = None
        self.callbacks.append(callback)
        env.schedule(self, _DISPATCH)


class _Pool:
    """`count` identical units; grants the lowest free ids, serving waiters by (ready time, key).

    Waiters are kept in one heap per request size, so a dispatch picks the best waiter that
    fits in O(number of sizes) without scanning waiters that cannot fit.
    """

    def __init__(self, env: simpy.Environment, count: int) -> None:
        self.env = env
        self.free = list(range(count))  # heap of free unit ids
        self.waiting: dict[int, list[tuple[float, int, simpy.Event]]] = {}
        self.n_waiting = 0
        self.dispatch_pending = False

    def acquire(self, key: int, n: int) -> simpy.Event:
        """Event that succeeds with a tuple of `n` unit ids."""
        event = simpy.Event(self.env)
        heappush(self.waiting.setdefault(n, []), (self.env.now, key, event))
        self.n_waiting += 1
        self._schedule_dispatch()
        return event

    def release(self, units: tuple[int, ...]) -> None:
        for unit in units:
            heappush(self.free, unit)
        if self.n_waiting:
            self._schedule_dispatch()

    def _schedule_dispatch(self) -> None:
        if not self.dispatch_pending:
            self.dispatch_pending = True
            _Dispatch(self.env, self._dispatch)

    def _dispatch(self, _event: simpy.Event) -> None:
        self.dispatch_pending = False
        while self.free and self.n_waiting:
            fits = [(q[0][:2], n) for n, q in self.waiting.items() if q and n <= len(self.free)]
            if not fits:
                return
            n = min(fits)[1]
            event = heappop(self.waiting[n])[2]
            self.n_waiting -= 1
            event.succeed(tuple(heappop(self.free) for _ in range(n)))


class _Simulation:
    """One run: SimPy processes for tasks and transfers, plus the recorded timings."""

    def __init__(self, program: Program) -> None:
        _validate(program)
        self.program = program
        self.env = _Env()
        self.pools = {name: _Pool(self.env, res.count) for name, res in program.resources.items()}
        self.links = {link: _Pool(self.env, 1) for link in program.links}
        n, m = len(program.tasks), len(program.transfers)
        self.outgoing: list[list[int]] = [[] for _ in range(n)]
        self.indegree = [0] * n
        for j, tr in enumerate(program.transfers):
            self.outgoing[tr.src].append(j)
            self.indegree[tr.dst] += 1
        self.task_start = [float("nan")] * n
        self.task_end = [float("nan")] * n
        self.task_units: list[tuple[int, ...]] = [()] * n
        self.transfer_start = [float("nan")] * m
        self.transfer_end = [float("nan")] * m

    def run(self) -> None:
        for i, degree in enumerate(self.indegree):
            if degree == 0:
                self.env.process(self._task(i))
        self.env.run()
        stuck = [
            t.name
            for t, end in zip(self.program.tasks, self.task_end, strict=True)
            if math.isnan(end)
        ]
        if stuck:
            raise ValueError(f"dependency cycle: {len(stuck)} tasks never ran, e.g. {stuck[:5]}")

    def _task(self, i: int) -> Generator[simpy.Event, Any, None]:
        task = self.program.tasks[i]
        pool = self.pools[task.device]
        units = yield pool.acquire(i, task.units)
        self.task_start[i] = self.env.now
        self.task_units[i] = units
        yield self.env.timeout(task.latency)
        self.task_end[i] = self.env.now
        pool.release(units)
        for j in self.outgoing[i]:
            self.env.process(self._transfer(j))

    def _transfer(self, j: int) -> Generator[simpy.Event, Any, None]:
        tr = self.program.transfers[j]
        link = self.links.get(tr.link) if tr.link is not None else None
        units = () if link is None else (yield link.acquire(j, 1))
        self.transfer_start[j] = self.env.now
        if link is not None:
            yield self.env.timeout(tr.occupancy)
            link.release(units)
            yield self.env.timeout(tr.latency - tr.occupancy)
        else:
            yield self.env.timeout(tr.latency)
        self.transfer_end[j] = self.env.now
        self.indegree[tr.dst] -= 1
        if self.indegree[tr.dst] == 0:
            self.env.process(self._task(tr.dst))

    def result(self) -> SimResult:
        program = self.program
        makespan = max(self.task_end, default=0.0)
        energy = _energy(program, makespan)
        total = sum(sum(d.values()) for d in energy["compute"].values())
        total += sum(energy["transfer"].values()) + sum(energy["static"].values())
        busy = dict.fromkeys(program.resources, 0.0)
        for task in program.tasks:
            busy[task.device] += task.latency * task.units
        link_busy = dict.fromkeys(program.links, 0.0)
        for tr in program.transfers:
            if tr.link in link_busy:
                link_busy[tr.link] += tr.occupancy
        return SimResult(
            makespan=makespan,
            task_start=tuple(self.task_start),
            task_end=tuple(self.task_end),
            task_units=tuple(self.task_units),
            transfer_start=tuple(self.transfer_start),
            transfer_end=tuple(self.transfer_end),
            energy=energy,
            total_energy=total,
            utilization={
                name: _ratio(busy[name], res.count * makespan)
                for name, res in program.resources.items()
            },
            link_utilization={
                link_name(link): _ratio(t, makespan) for link, t in link_busy.items()
            },
            events=self.env.processed,
        )


def simulate(program: Program) -> SimResult:
    """Run `program` to completion and return its timings, energy and utilization."""
    sim = _Simulation(program)
    sim.run()
    return sim.result()


def _validate(program: Program) -> None:
    for i, task in enumerate(program.tasks):
        if task.id != i:
            raise ValueError(f"task {task.name!r} has id {task.id}, expected its index {i}")
        res = program.resources.get(task.device)
        if res is None:
            raise ValueError(f"task {task.name!r} runs on unknown resource {task.device!r}")
        if not 1 <= task.units <= res.count:
            raise ValueError(
                f"task {task.name!r} needs {task.units} units of {task.device!r}, "
                f"which has {res.count}"
            )
    n = len(program.tasks)
    for tr in program.transfers:
        if not (0 <= tr.src < n and 0 <= tr.dst < n):
            raise ValueError(f"transfer {tr.src}->{tr.dst} names a task that does not exist")


def _energy(program: Program, makespan: float) -> dict[str, dict[str, Any]]:
    compute: dict[str, dict[str, float]] = {}
    for task in program.tasks:
        by_component = compute.setdefault(task.device, {})
        for component, joules in task.energy.items():
            by_component[component] = by_component.get(component, 0.0) + joules
    transfer: dict[str, float] = {}
    for tr in program.transfers:
        name = link_name(tr.link)
        transfer[name] = transfer.get(name, 0.0) + tr.energy
    static = {
        name: res.static_power * res.count * makespan for name, res in program.resources.items()
    }
    return {"compute": compute, "transfer": transfer, "static": static}


def _ratio(busy: float, capacity: float) -> float:
    return busy / capacity if capacity > 0 else 0.0
