"""The mapped program: what the simulator executes.

Selection turns a Stacked Graph plus a choice of one candidate per op into a `Program`: every
task already priced on its device, every transfer already priced on its link. The simulator
needs nothing else, so it can be tested on hand-built programs.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Resource:
    """A device kind with `count` identical units, each drawing `static_power` watts.

    Each unit has `lanes` parallel channels (e.g. groups of WDM wavelengths) that concurrent
    tasks may share. With `prefetch`, a task's `setup` (weight reprogramming) runs on a loader
    while earlier tasks still compute (double-buffered weights).
    """

    name: str
    count: int
    static_power: float = 0.0  # W per unit, drawn for the whole makespan
    lanes: int = 1
    prefetch: bool = False


@dataclass(frozen=True)
class Task:
    """One op, realized on one device."""

    id: int  # index in Program.tasks; also the op's index in the op graph
    name: str
    kind: str
    device: str
    variant: str | None
    latency: float  # s
    energy: dict[str, float] = field(default_factory=dict)  # J by component (e.g. compute, dac)
    units: int = 1  # whole device units occupied while running
    lanes: int = 0  # if > 0: lanes of ONE unit occupied instead of whole units
    setup: float = 0.0  # s of `latency` spent reprogramming weights before computing

    def share(self, resource: Resource) -> float:
        """The fraction of one unit this task occupies (units for whole-unit tasks)."""
        return self.lanes / resource.lanes if self.lanes else float(self.units)


@dataclass(frozen=True)
class Transfer:
    """A tensor sent from task `src` to task `dst`.

    A transfer that `shares` another (the same tensor to the same device) costs nothing and
    arrives when that one does. `link` names the (src_device, dst_device) link it occupies, or
    None when it needs no shared resource (e.g. it stays on one device and costs nothing, or
    the spec declares no bandwidth).
    The link is held for `busy` seconds (serialization, bytes / bandwidth; default: the whole
    latency); the rest of the latency is a pure delay that other transfers may overlap.
    """

    src: int
    dst: int
    latency: float  # s
    energy: float  # J
    link: tuple[str, str] | None = None
    nbytes: int | None = None  # tensor size, when known (shown in traces)
    busy: float | None = None  # s the link is held; None = the whole latency
    shares: int | None = None  # index of the transfer whose data this one receives too

    @property
    def occupancy(self) -> float:
        return self.latency if self.busy is None else self.busy


@dataclass(frozen=True)
class Program:
    tasks: tuple[Task, ...]
    transfers: tuple[Transfer, ...]
    resources: dict[str, Resource]
    links: tuple[tuple[str, str], ...] = ()  # links modelled as shared resources (capacity 1)
