"""What a simulation returns: timings, energy breakdown, utilization."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


def link_name(link: tuple[str, str] | None) -> str:
    """Name of a link in reports ("gpu->ptu"); "local" for transfers that use no link."""
    return "local" if link is None else f"{link[0]}->{link[1]}"


@dataclass(frozen=True)
class SimResult:
    """Outcome of `simulate(program)`. Per-task and per-transfer tuples are indexed by id.

    `energy` is JSON-friendly: {"compute": {device: {component: J}}, "transfer": {link: J},
    "static": {resource: J}}. `utilization` is busy unit-seconds / (count x makespan) per
    resource; `link_utilization` is busy time / makespan per modelled link. `events` counts
    the SimPy events processed.
    """

    makespan: float
    task_ready: tuple[float, ...]  # when every input had arrived
    task_start: tuple[float, ...]
    task_end: tuple[float, ...]
    task_units: tuple[tuple[int, ...], ...]
    transfer_start: tuple[float, ...]
    transfer_end: tuple[float, ...]
    energy: dict[str, dict[str, Any]]
    total_energy: float
    utilization: dict[str, float]
    link_utilization: dict[str, float]
    events: int

    @property
    def dynamic_energy(self) -> float:
        """Energy of tasks and transfers (J), i.e. total minus static."""
        return self.total_energy - sum(self.energy["static"].values())
