"""Parameter sweeps: compile and simulate a model over a grid of prompt lengths, objectives and
spec overrides, collect one tidy row per point, write CSV, draw the usual plots.

    rows = run_sweep("hw/lightcode_paper.lhw", "gpt2", seq_lens=parse_grid("0:1024:128"),
                     objectives=["latency", "energy"], overrides={"wavelengths": ["5", "20"]})
    write_csv(rows, "out/sweep.csv"); plot_sweep(rows, "out/")

The model is traced once per prompt length and reused across objectives and override sets; the
spec is loaded once per override set. Prompt lengths below 1 are clamped to 1 (a prefill needs
a token), and duplicates after clamping are dropped.
"""

from __future__ import annotations

import csv
import itertools
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from lightcode.errors import UsageError

MOVEMENT_COMPONENTS = ("hops", "weights", "sram", "hbm")  # energy parts that move data


def parse_grid(text: str, *, integer: bool = True) -> list:
    """`START:STOP:STEP` (STOP included when the steps land on it) or `A,B,C`."""
    text = text.strip()
    cast = int if integer else str
    try:
        if ":" in text:
            parts = [float(p) for p in text.split(":")]
            if len(parts) != 3 or parts[2] <= 0:
                raise ValueError
            start, stop, step = parts
            count = int(np.floor((stop - start) / step + 1e-9)) + 1
            values = [start + i * step for i in range(max(count, 0))]
            return [round(v) if integer else _num(v) for v in values]
        return [cast(v.strip()) for v in text.split(",") if v.strip()]
    except ValueError:
        raise UsageError(
            f"bad grid {text!r}", hint="write START:STOP:STEP (e.g. 0:4096:128) or A,B,C"
        ) from None


def _num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() else repr(v)


def clamp_seq_lens(values: Iterable[int]) -> list[int]:
    """Prompt lengths < 1 become 1; order kept, duplicates dropped."""
    out: list[int] = []
    for v in values:
        v = max(int(v), 1)
        if v not in out:
            out.append(v)
    return out


def run_sweep(
    spec: str | Path,
    model: str,
    seq_lens: Sequence[int],
    objectives: Sequence[str] = ("latency", "energy"),
    overrides: Mapping[str, Sequence[str]] | None = None,
    force: Mapping[str, str] | None = None,
    *,
    batch: int = 1,
    progress: bool = True,
    time_limit: float | None = None,
) -> list[dict]:
    """One row per (seq_len, override set, objective), in that nesting order."""
    from tqdm import tqdm

    from lightcode.api import compile_and_simulate
    from lightcode.frontend import trace
    from lightcode.spec import load_spec

    seq_lens = clamp_seq_lens(seq_lens)
    overrides = {k: list(v) for k, v in (overrides or {}).items()}
    keys = list(overrides)
    combos = [dict(zip(keys, vals, strict=True)) for vals in itertools.product(*overrides.values())]
    specs = [load_spec(spec, combo) for combo in combos]
    force_text = ",".join(f"{k}={v}" for k, v in (force or {}).items())
    rows: list[dict] = []
    total = len(seq_lens) * len(specs) * len(objectives)
    with tqdm(total=total, file=sys.stderr, disable=not progress, desc=model, unit="pt") as bar:
        for seq_len in seq_lens:
            graph = trace(model, seq_len, batch)
            for combo, loaded in zip(combos, specs, strict=True):
                for objective in objectives:
                    t0 = time.perf_counter()
                    result = compile_and_simulate(
                        loaded, graph, objective=objective, force=force, time_limit=time_limit
                    )
                    row = {"model": model, "seq_len": seq_len, **combo, "force": force_text}
                    row["objective"] = objective
                    row.update(_measure(result))
                    row["wall_s"] = time.perf_counter() - t0
                    rows.append(row)
                    bar.update()
    return rows


def _measure(result) -> dict:
    stacked, sim, sel = result.stacked, result.sim, result.selection
    devices = stacked.devices
    dev = stacked.device[sel.choice]
    is_mm = np.array([op.kind == "matmul" for op in result.graph.ops])
    row: dict = {
        "latency_s": sim.makespan,
        "latency_planned_s": sel.latency,
        "energy_J": sim.total_energy,
        "energy_planned_J": sel.energy,
    }
    for d, parts in sim.energy["compute"].items():
        row[f"energy_compute_{d}_J"] = float(sum(parts.values()))
    for d, parts in sim.energy["compute"].items():
        for part, joules in parts.items():
            row[f"energy_{d}_{part}_J"] = float(joules)
    row["energy_transfer_J"] = float(sum(sim.energy["transfer"].values()))
    row["energy_static_J"] = float(sum(sim.energy["static"].values()))
    for k, d in enumerate(devices):
        row[f"ops_{d}"] = int((dev == k).sum())
    for k, d in enumerate(devices):
        row[f"matmuls_{d}"] = int(((dev == k) & is_mm).sum())
    row["solve_s"] = sel.stats.solve_time
    row["status"] = sel.stats.status
    return row


def columns(rows: Sequence[dict]) -> list[str]:
    """The union of the rows' keys, in first-seen order."""
    cols: list[str] = []
    for row in rows:
        cols += [k for k in row if k not in cols]
    return cols


def write_csv(rows: Sequence[dict], path: str | Path) -> Path:
    """A tidy CSV: one row per point; energy columns a spec lacks at a point are 0."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    cols = columns(rows)
    with path.open("w", newline="") as fh:
        writer = csv.DictWriter(fh, fieldnames=cols)
        writer.writeheader()
        for row in rows:
            writer.writerow(
                {
                    c: row.get(c, 0 if c.startswith(("energy_", "ops_", "matmuls_")) else "")
                    for c in cols
                }
            )
    return path


def plot_sweep(
    rows: Sequence[dict], out_dir: str | Path, *, prefix: str = "", dpi: int = 100
) -> list[Path]:
    """latency and energy vs prompt length (a line per objective and override set), the energy
    breakdown and the mapping share (per objective); PNGs in `out_dir`."""
    from lightcode.report import plots

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    series = _series_keys(rows)
    title = f"{rows[0]['model']}" if rows else ""
    paths = [
        plots.line_plot(
            rows,
            "latency_s",
            series,
            out / f"{prefix}latency_vs_seq.png",
            ylabel="latency (s, simulated)",
            title=title,
            dpi=dpi,
        ),
        plots.line_plot(
            rows,
            "energy_J",
            series,
            out / f"{prefix}energy_vs_seq.png",
            ylabel="energy (J)",
            title=title,
            dpi=dpi,
        ),
        plots.breakdown_plot(rows, out / f"{prefix}energy_breakdown.png", title=title, dpi=dpi),
        plots.share_plot(rows, out / f"{prefix}mapping_share.png", title=title, dpi=dpi),
    ]
    return paths


def _series_keys(rows: Sequence[dict]) -> list[str]:
    """The columns that vary across rows apart from seq_len (objective, swept params)."""
    fixed = {"model", "seq_len", "force"}
    keys = []
    for k in columns(rows):
        if k == "latency_s":  # the metrics start here
            break
        if k not in fixed and len({r.get(k) for r in rows}) > 1:
            keys.append(k)
    if "objective" not in keys and rows:
        keys.append("objective")
    return keys


def energy_categories(row: Mapping) -> dict[str, float]:
    """Energy of a row split into compute per device, data movement and static (J)."""
    out: dict[str, float] = {}
    moving = float(row.get("energy_transfer_J", 0.0))
    # device names may hold '_': match the longest known device (from the ops_<device> columns)
    devices = sorted((k[len("ops_") :] for k in row if k.startswith("ops_")), key=len, reverse=True)
    for k, v in row.items():
        if not (k.startswith("energy_") and k.endswith("_J")) or k.startswith("energy_compute_"):
            continue
        name = k[len("energy_") : -2]
        device = next((d for d in devices if name.startswith(d + "_")), None)
        if device is None:
            continue
        part = name[len(device) + 1 :]
        if part in MOVEMENT_COMPONENTS:
            moving += float(v or 0.0)
        else:
            out[device] = out.get(device, 0.0) + float(v or 0.0)
    out["data movement"] = moving
    out["static"] = float(row.get("energy_static_J", 0.0))
    return out
