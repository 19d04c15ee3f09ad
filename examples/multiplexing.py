"""What multiplexing buys: Llama-2-7B prefill latency vs WDM wavelengths and vs photonic units.

    python examples/multiplexing.py [--seq-len 4096] [--out docs/figures]

Every matmul is pinned to the photonic unit (`force={"matmul": "ptu"}`), so the curves show the
photonic side alone; everything else stays on the GPU. Each sweep runs with the shipped optical
I/O link (2 Tbit/s per direction) and with an 8x faster co-packaged one (16 Tbit/s), because the
link decides where the curves flatten. Prints one table per sweep and writes `multiplexing.png`.
See docs/simulation.md for why the curves bend where they do.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from lightcode.api import compile_and_simulate
from lightcode.frontend import trace
from lightcode.spec import load_spec

SPEC = Path(__file__).parents[1] / "hw" / "h100_ptu.lhw"
WAVELENGTHS = [1, 2, 4, 8, 12, 16, 24, 32, 48, 64]
UNITS = [1, 2, 3, 4, 5, 6, 7, 8]
LINKS = ["2 Tbit/s", "16 Tbit/s"]


def sweep(graph, name: str, values: list[int], link: str) -> list[tuple[int, float, float]]:
    """(value, simulated s, planned s) for each value of `ptu.<name>`, with link bandwidth."""
    rows = []
    for v in values:
        spec = load_spec(SPEC, {f"ptu.{name}": str(v), "link_bw": link})
        r = compile_and_simulate(spec, graph, objective="latency", force={"matmul": "ptu"})
        rows.append((v, r.sim.makespan, r.selection.latency))
        print(
            f"  {name}={v:<3} simulated {r.sim.makespan * 1e3:8.2f} ms   planned "
            f"{r.selection.latency * 1e3:8.2f} ms   ptu busy "
            f"{100 * r.sim.utilization['ptu']:5.1f}%   link gpu->ptu busy "
            f"{100 * r.sim.link_utilization.get('gpu->ptu', 0.0):5.1f}%"
        )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seq-len", type=int, default=4096)
    parser.add_argument("--out", type=Path, default=Path("docs/figures"))
    args = parser.parse_args()
    t0 = time.perf_counter()
    graph = trace("llama-2-7b", args.seq_len)
    print(f"llama-2-7b prefill, {args.seq_len} tokens, all matmuls on the PTU ({SPEC.name})")
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.8))
    panels = (
        (axes[0], "wavelengths", WAVELENGTHS, "WDM wavelengths per unit (one unit)"),
        (axes[1], "count", UNITS, "photonic units (16 wavelengths each)"),
    )
    for ax, name, values, label in panels:
        for link, style in zip(LINKS, ("o-", "s-"), strict=True):
            print(f"{label}, link {link}:")
            rows = sweep(graph, name, values, link)
            xs = [r[0] for r in rows]
            ax.plot(xs, [r[1] * 1e3 for r in rows], style, label=f"link {link}")
            ax.plot(xs, [r[2] * 1e3 for r in rows], "k:", lw=0.8)
        ax.set_xlabel(label)
        ax.set_ylabel("prefill latency (ms)")
        ax.set_yscale("log")
        ax.grid(alpha=0.3)
        ax.legend(title="simulated (dotted: planned)", fontsize=8)
    axes[0].set_xscale("log", base=2)
    fig.suptitle(f"Llama-2-7B prefill ({args.seq_len} tokens), matmuls on the photonic unit")
    fig.tight_layout()
    args.out.mkdir(parents=True, exist_ok=True)
    fig.savefig(args.out / "multiplexing.png", dpi=100)
    print(f"wrote {args.out / 'multiplexing.png'} in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
