"""Wall time and peak Python memory of each stage of `lightcode run`.

    python benchmarks/compile_time.py [SPEC]

Each stage runs twice: once timed, once under tracemalloc (which slows it) for its peak memory.
Aim (issue 2): the whole run of llama-2-7b@4096 under 10 s on a 2-core machine.
"""

from __future__ import annotations

import sys
import time
import tracemalloc
from pathlib import Path

t_import = time.perf_counter()
from lightcode.frontend import trace  # noqa: E402  (import time is part of the figure)
from lightcode.select import lower, solve_milp  # noqa: E402
from lightcode.simulate import simulate  # noqa: E402
from lightcode.spec import load_spec  # noqa: E402
from lightcode.stacked import build_stacked_graph  # noqa: E402

IMPORT_S = time.perf_counter() - t_import
CASES = [("gpt2", 1024), ("llama-2-7b", 4096)]


def measure(fn, *args):
    t0 = time.perf_counter()
    out = fn(*args)
    wall = time.perf_counter() - t0
    tracemalloc.start()
    fn(*args)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return out, wall, peak


def main() -> None:
    spec_path = (
        Path(sys.argv[1]) if len(sys.argv) > 1 else Path(__file__).parents[1] / "hw/h100_ptu.lhw"
    )
    print(f"spec {spec_path.name}; imports {IMPORT_S:.2f} s")
    print(
        f"{'case':<18} {'objective':<9} "
        + " ".join(f"{s:>17}" for s in ("parse", "trace", "build", "solve", "simulate"))
        + f" {'total':>8}"
    )
    for model, seq_len in CASES:
        for objective in ("latency", "energy"):
            spec, t_parse, m_parse = measure(load_spec, spec_path)
            graph, t_trace, m_trace = measure(trace, model, seq_len)
            stacked, t_build, m_build = measure(build_stacked_graph, spec, graph)
            sel, t_solve, m_solve = measure(solve_milp, stacked, objective)
            program = lower(stacked, sel.choice)
            _, t_sim, m_sim = measure(simulate, program)
            cells = [
                (t_parse, m_parse),
                (t_trace, m_trace),
                (t_build, m_build),
                (t_solve, m_solve),
                (t_sim, m_sim),
            ]
            total = sum(t for t, _ in cells)
            print(
                f"{model + '@' + str(seq_len):<18} {objective:<9} "
                + " ".join(f"{t:7.3f} s {m / 2**20:5.1f} MiB" for t, m in cells)
                + f" {total:6.2f} s"
            )


if __name__ == "__main__":
    main()
