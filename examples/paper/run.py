"""Regenerate the LightCode paper's figure set, and the same study on hw/h100_ptu.lhw.

    python examples/paper/run.py [--out docs/figures/paper] [--quick]

(a) latency and energy vs prompt length, latency- vs energy-optimal: GPT-2 to 1,024 and
    Llama-2-7B to 4,096 (32 lengths); (b) multiplexing: every matmul forced onto the PTU,
    wavelengths 1, 5, 10, 15, 20; (c) energy breakdown vs prompt length. Prints the wall time
    of the full Llama-2-7B sweep (32 lengths x 2 objectives).
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from lightcode.report import plots
from lightcode.sweep import parse_grid, plot_sweep, run_sweep, write_csv

ROOT = Path(__file__).resolve().parents[2]
SYSTEMS = {
    "paper": (ROOT / "hw" / "lightcode_paper.lhw", "wavelengths"),
    "honest": (ROOT / "hw" / "h100_ptu.lhw", "ptu.wavelengths"),
}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "figures" / "paper")
    ap.add_argument("--quick", action="store_true", help="Fewer prompt lengths.")
    args = ap.parse_args()
    step = 4 if args.quick else 1
    grids = {
        "gpt2": parse_grid("32:1024:32")[::step],
        "llama-2-7b": parse_grid("128:4096:128")[::step],
    }
    for system, (spec, wl_param) in SYSTEMS.items():
        out = args.out / system
        for model, lens in grids.items():
            t0 = time.perf_counter()
            rows = run_sweep(spec, model, lens, ["latency", "energy"])
            wall = time.perf_counter() - t0
            print(f"{system} {model}: {len(rows)} points in {wall:.1f} s")
            write_csv(rows, out / f"{model}.csv")
            plot_sweep(rows, out, prefix=f"{model}_")
        # (b) multiplexing: every matmul on the PTU, wavelengths swept
        rows = run_sweep(
            spec,
            "gpt2",
            grids["gpt2"][3::4],
            ["latency"],
            {wl_param: ["1", "5", "10", "15", "20"]},
            {"matmul": "ptu"},
        )
        write_csv(rows, out / "gpt2_multiplexing.csv")
        plots.line_plot(
            rows,
            "latency_s",
            [wl_param],
            out / "gpt2_multiplexing.png",
            ylabel="latency (s), all matmuls on the PTU",
            title=f"gpt2 ({system})",
            logy=True,
        )


if __name__ == "__main__":
    main()
