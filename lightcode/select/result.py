"""What selection returns: one candidate per op, plus frozen solve statistics."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True)
class Constraints:
    """Bounds a mapping must satisfy (SI units; None = unbounded).

    `memory` maps a device name to the bytes of weights it can hold (all its units together):
    the weights of the static matmuls and embeddings mapped there must fit.
    """

    max_latency: float | None = None  # s
    max_energy: float | None = None  # J
    max_power: float | None = None  # W, average over the makespan
    memory: Mapping[str, float] = field(default_factory=dict)  # device -> bytes

    @property
    def coupled(self) -> bool:
        """Whether any bound ties the segments of the graph together."""
        return (
            self.max_latency is not None
            or self.max_energy is not None
            or self.max_power is not None
            or bool(self.memory)
        )

    def describe(self) -> list[str]:
        from lightcode.report.format import si

        out = []
        if self.max_latency is not None:
            out.append(f"latency <= {si(self.max_latency, 's')}")
        if self.max_energy is not None:
            out.append(f"energy <= {si(self.max_energy, 'J')}")
        if self.max_power is not None:
            out.append(f"average power <= {si(self.max_power, 'W')}")
        for device, cap in self.memory.items():
            out.append(f"weights on {device} <= {si(cap, 'B')}")
        return out


@dataclass(frozen=True)
class SolveStats:
    strategy: str  # "milp", or a baseline's name
    objective: str  # "latency" | "energy" | "edp"
    status: str  # "optimal", "time_limit", "heuristic"
    objective_value: float  # s, J, or J*s for edp
    gap: float | None  # proven relative gap (0 when optimal; None for heuristics)
    build_time: float  # s
    solve_time: float  # s
    variables: int = 0
    constraints: int = 0
    solver: str | None = None
    method: str = ""  # "decomposed", "flat", or how a baseline built its mapping
    subproblems: int = 0  # MILPs solved (decomposed: one per distinct segment and boundary)


@dataclass(frozen=True)
class Selection:
    """The chosen candidate (index into `StackedGraph.candidates`) of every op."""

    choice: np.ndarray  # (n_ops,) int
    latency: float  # the planner's makespan estimate, s
    energy: float  # the planner's energy estimate, J
    stats: SolveStats
