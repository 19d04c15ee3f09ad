"""The public pipeline: spec → op graph → Stacked Graph → selection → simulation.

Each stage is a function from typed data to typed data; `compile_and_simulate` chains them and
times each one. The CLI only wraps this module.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from lightcode.errors import UsageError
from lightcode.frontend import trace
from lightcode.frontend.graph import OpGraph
from lightcode.select import Constraints, Selection, lower
from lightcode.select.strategies import memory_constraints, run_strategy
from lightcode.simulate import SimResult, simulate
from lightcode.simulate.program import Program
from lightcode.spec import Spec, load_spec
from lightcode.stacked import StackedGraph, build_stacked_graph


@dataclass(frozen=True)
class Result:
    """Everything one compile-and-simulate produced, stage by stage."""

    spec: Spec
    graph: OpGraph
    stacked: StackedGraph
    selection: Selection
    program: Program
    sim: SimResult
    timings: dict[str, float]  # wall seconds per stage
    objective: str


def compile_and_simulate(
    spec: Spec | str | Path,
    model: str | OpGraph,
    *,
    seq_len: int | None = None,
    batch: int = 1,
    objective: str = "latency",
    overrides: Mapping[str, str] | None = None,
    force: Mapping[str, str] | None = None,
    constraints: Constraints | None = None,
    solver: str = "HIGHS",
    time_limit: float | None = None,
    strategy: str = "milp",
    fit_memory: bool = True,
) -> Result:
    """Map `model` onto the machine of `spec` for `objective`, then simulate the mapping.

    `strategy` names an entry of `lightcode.select.strategies` (the exact "milp" or a
    baseline); `fit_memory` bounds the weights on each device by its spec `memory`.
    """
    timings: dict[str, float] = {}

    def timed(stage: str, fn, *args, **kwargs):
        t0 = time.perf_counter()
        out = fn(*args, **kwargs)
        timings[stage] = time.perf_counter() - t0
        return out

    if not isinstance(spec, Spec):
        spec = timed("parse", load_spec, spec, overrides)
    elif overrides:
        raise UsageError("overrides apply while a spec loads: pass its path, or load_spec(path, …)")
    if isinstance(model, str):
        model = timed("trace", trace, model, seq_len, batch)
    stacked = timed("build", build_stacked_graph, spec, model, force)
    if fit_memory:
        constraints = memory_constraints(spec, constraints)
    options = {"solver": solver, "time_limit": time_limit} if strategy == "milp" else {}
    selection = timed("select", run_strategy, strategy, stacked, objective, constraints, **options)
    program = lower(stacked, selection.choice)
    sim = timed("simulate", simulate, program)
    return Result(spec, model, stacked, selection, program, sim, timings, objective)
