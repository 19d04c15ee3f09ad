"""Plot helpers for sweeps (matplotlib, Agg backend): small PNGs for docs."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from lightcode.report.format import time_unit


def _plt():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _label(row, keys) -> str:
    return ", ".join(f"{row.get(k)}" if k == "objective" else f"{k}={row.get(k)}" for k in keys)


def line_plot(
    rows: Sequence[dict],
    y: str,
    series: Sequence[str],
    path: Path,
    *,
    x: str = "seq_len",
    ylabel: str = "",
    xlabel: str = "prompt length (tokens)",
    title: str = "",
    dpi: int = 100,
    logy: bool = False,
) -> Path:
    """`y` against `x`, one line per distinct value of the `series` columns."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    groups: dict[str, list[dict]] = {}
    for row in rows:
        groups.setdefault(_label(row, series), []).append(row)
    for label, grp in groups.items():
        grp = sorted(grp, key=lambda r: r[x])
        ax.plot([r[x] for r in grp], [r[y] for r in grp], marker=".", label=label)
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel or y)
    if logy:
        ax.set_yscale("log")
    return _save(fig, ax, path, title, dpi)


def breakdown_plot(rows: Sequence[dict], path: Path, *, title: str = "", dpi: int = 100) -> Path:
    """Stacked energy (compute per device, data movement, static) vs prompt length, a panel per
    objective (first value of any other swept column)."""
    from lightcode.sweep import energy_categories

    plt = _plt()
    objectives = list(dict.fromkeys(r["objective"] for r in rows))
    fig, axes = plt.subplots(1, len(objectives), figsize=(4.2 * len(objectives), 3.4), sharey=True)
    axes = [axes] if len(objectives) == 1 else list(axes)
    # one category order and colour for every panel, so the shared legend is right everywhere
    names = list(dict.fromkeys(k for r in rows for k in energy_categories(r)))
    colors = dict(zip(names, plt.rcParams["axes.prop_cycle"].by_key()["color"], strict=False))
    for ax, obj in zip(axes, objectives, strict=True):
        grp = [r for r in rows if r["objective"] == obj]
        seen, picked = set(), []
        for r in sorted(grp, key=lambda r: r["seq_len"]):
            if r["seq_len"] not in seen:
                seen.add(r["seq_len"])
                picked.append(r)
        cats = [energy_categories(r) for r in picked]
        xs = [r["seq_len"] for r in picked]
        ax.stackplot(
            xs,
            *[[c.get(n, 0.0) for c in cats] for n in names],
            labels=names,
            colors=[colors.get(n) for n in names],
        )
        ax.set_title(f"{title} — {obj}-optimal", fontsize=10)
        ax.set_xlabel("prompt length (tokens)")
        ax.grid(alpha=0.3)
    axes[0].set_ylabel("energy (J)")
    axes[-1].legend(fontsize=7, loc="upper left")
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    _plt().close(fig)
    return path


def share_plot(rows: Sequence[dict], path: Path, *, title: str = "", dpi: int = 100) -> Path:
    """Share of matmuls on each non-GPU device vs prompt length, a line per objective."""
    plt = _plt()
    fig, ax = plt.subplots(figsize=(5.2, 3.4))
    devices = [k[len("matmuls_") :] for k in rows[0] if k.startswith("matmuls_")] if rows else []
    for obj in dict.fromkeys(r["objective"] for r in rows):
        grp = sorted((r for r in rows if r["objective"] == obj), key=lambda r: r["seq_len"])
        for d in devices:
            if d == "gpu":
                continue
            share = [
                r[f"matmuls_{d}"] / max(sum(r[f"matmuls_{e}"] for e in devices), 1) for r in grp
            ]
            ax.plot([r["seq_len"] for r in grp], share, marker=".", label=f"{obj}: matmuls on {d}")
    ax.set_ylim(-0.05, 1.05)
    ax.set_xlabel("prompt length (tokens)")
    ax.set_ylabel("share of matmuls")
    return _save(fig, ax, path, title, dpi)


def timeline_plot(program, result, path: Path, *, bins: int = 200, dpi: int = 100) -> Path:
    """Utilization of every device and link over time, and power over time (static vs
    dynamic), from one simulation."""
    from lightcode.simulate import timeline

    tl = timeline(program, result, bins)
    plt = _plt()
    fig, (ax_u, ax_p) = plt.subplots(2, 1, figsize=(9, 5), sharex=True)
    per, unit = time_unit(result.makespan)
    mid = (tl.edges[:-1] + tl.edges[1:]) / 2 / per
    for name, util in tl.utilization.items():
        ax_u.plot(mid, 100 * util, label=name, lw=1)
    ax_u.set_ylabel("utilization (%)")
    ax_u.set_ylim(-2, 102)
    ax_u.grid(alpha=0.3)
    ax_u.legend(fontsize=7, ncol=4)
    width = tl.edges[1] - tl.edges[0] if len(tl.edges) > 1 else 1.0
    ax_p.stackplot(
        mid,
        tl.static_energy / width,
        tl.dynamic_energy / width,
        labels=["static", "dynamic"],
        alpha=0.8,
    )
    ax_p.set_ylabel("power (W)")
    ax_p.set_xlabel(f"time ({unit})")
    title = f"{result.total_energy:.4g} J over {result.makespan / per:.4g} {unit}"
    return _save(fig, ax_p, path, title, dpi)


def _save(fig, ax, path: Path, title: str, dpi: int) -> Path:
    """Title, grid and legend on `ax`; write `fig` to `path` and close it."""
    ax.set_title(title, fontsize=10)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=dpi)
    _plt().close(fig)
    return path
