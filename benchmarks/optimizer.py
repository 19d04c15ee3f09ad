"""The optimizer on hw/h100_2ptu.lhw: solve time, optimum and every baseline's objective.

    python benchmarks/optimizer.py [SPEC]

Targets (issue): llama-2-70b@4096 solved to optimality in under 30 s end to end (parse, trace,
build, solve) on a 2-core machine; llama-2-7b graph -> mapping + schedule (solve, lower,
simulate) under 1 s.

Memory bounds are off here (as `lightcode run --no-memory`): they couple the layers and send
Llama-2-70B, whose 137.5 GB of weights overflow the H100 and the photonic units' stacks in
most mappings, to the flat MILP (minutes; `--time-limit` returns the best mapping with its gap).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

from lightcode.errors import LightCodeError
from lightcode.frontend import trace
from lightcode.report.format import si
from lightcode.select import lower
from lightcode.select.strategies import strategies
from lightcode.simulate import simulate
from lightcode.spec import load_spec
from lightcode.stacked import build_stacked_graph

CASES = [("gpt2", 1024), ("llama-2-7b", 4096), ("llama-2-70b", 4096)]
UNIT = {"latency": "s", "energy": "J", "edp": "J*s"}


def _formatter(unit: str):
    return (lambda v: f"{v:.4g} J*s") if unit == "J*s" else (lambda v: si(v, unit))


def main() -> None:
    spec_path = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "hw/h100_2ptu.lhw"
    )
    for model, seq_len in CASES:
        t0 = time.perf_counter()
        spec = load_spec(spec_path)
        graph = trace(model, seq_len)
        stacked = build_stacked_graph(spec, graph)
        front = time.perf_counter() - t0
        table = strategies(stacked)
        for objective in ("latency", "energy", "edp"):
            t1 = time.perf_counter()
            sel = table["milp"](stacked, objective)
            t_solve = time.perf_counter() - t1
            simulate(lower(stacked, sel.choice))
            t_sched = time.perf_counter() - t1
            best = sel.stats.objective_value
            unit = UNIT[objective]
            fmt = _formatter(unit)
            print(
                f"{model}@{seq_len} {objective:<7} {sel.stats.status} {fmt(best)}  "
                f"solve {t_solve:.2f} s (+lower+simulate {t_sched:.2f} s), end to end "
                f"{front + t_solve:.2f} s; {sel.stats.subproblems} MILPs, {sel.stats.method}"
            )
            for name, fn in table.items():
                if name == "milp":
                    continue
                try:
                    v = fn(stacked, objective).stats.objective_value
                    print(f"    {name:<9} {fmt(v):>14}  ({v / best:.3f}x optimum)")
                except LightCodeError as err:
                    print(f"    {name:<9} skipped: {err}")


if __name__ == "__main__":
    main()
