"""Simulation speed: simulated ops per second, and how it grows with prompt length and model.

    python benchmarks/simulate.py

Aim (issue 6): the whole simulation of llama-2-7b@4096 under 2 s on a 2-core machine.
"""

from __future__ import annotations

import time
from pathlib import Path

from lightcode.frontend import trace
from lightcode.select import lower, solve_milp
from lightcode.simulate import simulate
from lightcode.spec import load_spec
from lightcode.stacked import build_stacked_graph

SPEC = Path(__file__).parents[1] / "hw" / "h100_ptu.lhw"
CASES = [
    ("llama-2-7b", 4096),
    ("llama-2-7b", 512),
    ("llama-2-7b", 1024),
    ("llama-2-7b", 2048),
    ("gpt2", 1024),
    ("llama-2-13b", 4096),
    ("llama-2-70b", 4096),
]


def main() -> None:
    spec = load_spec(SPEC)
    print(f"spec {SPEC.name}, energy-optimal mappings (the busiest for the links)")
    print(
        f"{'case':<20} {'tasks':>6} {'transfers':>9} {'events':>8} {'sim s':>7} "
        f"{'ops/s':>9} {'events/s':>9}"
    )
    for model, seq_len in CASES:
        stacked = build_stacked_graph(spec, trace(model, seq_len))
        program = lower(stacked, solve_milp(stacked, "energy").choice)
        runs = []
        for _ in range(3):
            t0 = time.perf_counter()
            result = simulate(program)
            runs.append(time.perf_counter() - t0)
        wall = min(runs)
        print(
            f"{model + '@' + str(seq_len):<20} {len(program.tasks):>6} "
            f"{len(program.transfers):>9} {result.events:>8} {wall:>7.3f} "
            f"{len(program.tasks) / wall:>9.0f} {result.events / wall:>9.0f}"
        )


if __name__ == "__main__":
    main()
