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
from bisect import insort
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
    """`count` identical units of `lanes` lanes; serves waiters by (ready time, key), first fit.

    A request takes either `n` whole units (all their lanes) or `k` lanes of one unit, always
    the lowest free ids. Granted slots are numbered `unit * lanes + lane`. Waiters are kept in
    one heap per request shape, so a dispatch never rescans waiters that cannot fit.
    """

    def __init__(self, env: simpy.Environment, count: int, lanes: int = 1) -> None:
        self.env = env
        self.lanes = lanes
        self.free_lanes = [list(range(lanes)) for _ in range(count)]  # per unit, sorted
        self.waiting: dict[tuple[int, int], list[tuple[float, int, simpy.Event]]] = {}
        self.n_waiting = 0
        self.dispatch_pending = False

    def acquire(self, key: int, units: int = 1, lanes: int = 0) -> simpy.Event:
        """Event that succeeds with the granted slot ids."""
        event = simpy.Event(self.env)
        shape = (0, lanes) if 0 < lanes < self.lanes else (units, 0)
        heappush(self.waiting.setdefault(shape, []), (self.env.now, key, event))
        self.n_waiting += 1
        self._schedule_dispatch()
        return event

    def release(self, slots: tuple[int, ...]) -> None:
        for slot in slots:
            unit, lane = divmod(slot, self.lanes)
            insort(self.free_lanes[unit], lane)
        if self.n_waiting:
            self._schedule_dispatch()

    def _schedule_dispatch(self) -> None:
        if not self.dispatch_pending:
            self.dispatch_pending = True
            _Dispatch(self.env, self._dispatch)

    def _grant(self, shape: tuple[int, int]) -> tuple[int, ...] | None:
        units, lanes = shape
        if lanes:
            for unit, free in enumerate(self.free_lanes):
                if len(free) >= lanes:
                    taken, self.free_lanes[unit] = free[:lanes], free[lanes:]
                    return tuple(unit * self.lanes + lane for lane in taken)
            return None
        idle = [u for u, free in enumerate(self.free_lanes) if len(free) == self.lanes][:units]
        if len(idle) < units:
            return None
        for u in idle:
            self.free_lanes[u] = []
        return tuple(u * self.lanes + lane for u in idle for lane in range(self.lanes))

    def _dispatch(self, _event: simpy.Event) -> None:
        self.dispatch_pending = False
        while self.n_waiting:
            for _, shape in sorted((q[0][:2], shape) for shape, q in self.waiting.items() if q):
                slots = self._grant(shape)
                if slots is not None:
                    break
            else:
                return
            event = heappop(self.waiting[shape])[2]
            self.n_waiting -= 1
            event.succeed(slots)


class _Simulation:
    """One run: SimPy processes for tasks and transfers, plus the recorded timings."""

    def __init__(self, program: Program) -> None:
        _validate(program)
        self.program = program
        self.env = _Env()
        self.pools = {
            name: _Pool(self.env, res.count, res.lanes) for name, res in program.resources.items()
        }
        self.loaders = {name: _Pool(self.env, res.count) for name, res in program.resources.items()}
        self.links = {link: _Pool(self.env, 1) for link in program.links}
        n, m = len(program.tasks), len(program.transfers)
        self.outgoing: list[list[int]] = [[] for _ in range(n)]
        self.indegree = [0] * n
        for j, tr in enumerate(program.transfers):
            self.outgoing[tr.src].append(j)
            self.indegree[tr.dst] += 1
        # Prefetched setups start once every producer of the task has started.
        self.unstarted_inputs = list(self.indegree)
        self.setup_done: dict[int, simpy.Event] = {
            i: simpy.Event(self.env)
            for i, t in enumerate(program.tasks)
            if t.setup > 0 and program.resources[t.device].prefetch
        }
        self.task_ready = [float("nan")] * n
        self.arrived = {
            tr.shares: simpy.Event(self.env) for tr in program.transfers if tr.shares is not None
        }
        self.task_start = [float("nan")] * n
        self.task_end = [float("nan")] * n
        self.task_units: list[tuple[int, ...]] = [()] * n
        self.transfer_start = [float("nan")] * m
        self.transfer_end = [float("nan")] * m

    def run(self) -> None:
        for i, degree in enumerate(self.indegree):
            if degree == 0:
                self.env.process(self._task(i))
                if i in self.setup_done:
                    self.env.process(self._setup(i))
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
        self.task_ready[i] = self.env.now
        hidden = self.setup_done.get(i)
        if hidden is not None:
            yield hidden
        units = yield pool.acquire(i, task.units, task.lanes)
        self.task_start[i] = self.env.now
        self.task_units[i] = units
        for j in self.outgoing[i]:
            dst = self.program.transfers[j].dst
            self.unstarted_inputs[dst] -= 1
            if self.unstarted_inputs[dst] == 0 and dst in self.setup_done:
                self.env.process(self._setup(dst))
        yield self.env.timeout(task.latency - (task.setup if hidden is not None else 0.0))
        self.task_end[i] = self.env.now
        pool.release(units)
        for j in self.outgoing[i]:
            self.env.process(self._transfer(j))

    def _setup(self, i: int) -> Generator[simpy.Event, Any, None]:
        """Load task i's weights on one of its device's loaders (double buffering)."""
        task = self.program.tasks[i]
        loader = self.loaders[task.device]
        slots = yield loader.acquire(i, 1)
        yield self.env.timeout(task.setup)
        loader.release(slots)
        self.setup_done[i].succeed()

    def _transfer(self, j: int) -> Generator[simpy.Event, Any, None]:
        tr = self.program.transfers[j]
        if tr.shares is not None:  # the same tensor to the same device: arrive with it
            yield self.arrived[tr.shares]
            self.transfer_start[j] = self.transfer_start[tr.shares]
        else:
            link = self.links.get(tr.link) if tr.link is not None else None
            units = () if link is None else (yield link.acquire(j, 1))
            self.transfer_start[j] = self.env.now
            if link is not None:
                yield self.env.timeout(tr.occupancy)
                link.release(units)
                yield self.env.timeout(tr.latency - tr.occupancy)
            else:
                yield self.env.timeout(tr.latency)
            if j in self.arrived:
                self.arrived[j].succeed()
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
            hidden = task.setup if task.id in self.setup_done else 0.0
            busy[task.device] += (task.latency - hidden) * task.share(
                program.resources[task.device]
            )
        link_busy = dict.fromkeys(program.links, 0.0)
        for tr in program.transfers:
            if tr.link in link_busy:
                link_busy[tr.link] += tr.occupancy
        return SimResult(
            makespan=makespan,
            task_ready=tuple(self.task_ready),
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
        if not 0 <= task.lanes <= res.lanes:
            raise ValueError(
                f"task {task.name!r} needs {task.lanes} lanes of {task.device!r}, "
                f"whose units have {res.lanes}"
            )
        if not 0 <= task.setup <= task.latency:
            raise ValueError(f"task {task.name!r}: setup must lie within its latency")
    n = len(program.tasks)
    for tr in program.transfers:
        if not (0 <= tr.src < n and 0 <= tr.dst < n):
            raise ValueError(f"transfer {tr.src}->{tr.dst} names a task that does not exist")
        if tr.shares is not None:
            carrier = program.transfers[tr.shares]
            if carrier.src != tr.src or carrier.shares is not None:
                raise ValueError(f"transfer {tr.src}->{tr.dst} shares a transfer of another tensor")


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
