"""A run's report: one JSON-friendly dict, and its text rendering."""

from __future__ import annotations

from collections import Counter
from typing import Any

from lightcode.report.agreement import agreement
from lightcode.report.agreement import describe as describe_agreement
from lightcode.report.format import count, percent, si


def summarize(result, assignment: bool = True) -> dict[str, Any]:
    """Everything `lightcode run` reports, as plain data (`result` is an `api.Result`)."""
    g, spec, sel, sim, prog = (
        result.graph,
        result.spec,
        result.selection,
        result.sim,
        result.program,
    )
    total_flops = g.flops
    mapping: dict[str, Any] = {}
    for d in spec.devices:
        tasks = [t for t in prog.tasks if t.device == d]
        flops = sum(g.ops[t.id].flops for t in tasks)
        mapping[d] = {
            "ops": len(tasks),
            "flops": flops,
            "flops_share": flops / total_flops if total_flops else 0.0,
            "by_kind": dict(sorted(Counter(t.kind for t in tasks).items())),
            "variants": dict(sorted(Counter(t.variant or "-" for t in tasks).items())),
        }
    stats = sel.stats
    out: dict[str, Any] = {
        "spec": str(spec.path),
        "model": {
            "name": g.model,
            "seq_len": g.seq_len,
            "batch": g.batch,
            "ops": len(g.ops),
            "edges": len(g.edges),
            "flops": total_flops,
            "parameters": g.parameters,
            "op_kinds": dict(sorted(g.kind_counts().items())),
        },
        "system": {
            "devices": {
                name: {"kind": d.kind, "count": d.count, "static_power_W": d.static_power}
                for name, d in spec.devices.items()
            },
            "links": sorted(f"{a}->{b}" for a, b in spec.links),
        },
        "objective": result.objective,
        "solver": {
            "strategy": stats.strategy,
            "solver": stats.solver,
            "status": stats.status,
            "objective_value": stats.objective_value,
            "gap": stats.gap,
            "build_time_s": stats.build_time,
            "solve_time_s": stats.solve_time,
            "variables": stats.variables,
            "constraints": stats.constraints,
        },
        "mapping": mapping,
        "latency_s": {
            "simulated": sim.makespan,
            "planned": sel.latency,
            "ratio": sim.makespan / sel.latency if sel.latency else None,
            "agreement": agreement(prog, sim, sel.latency),
        },
        "energy_J": {
            "total": sim.total_energy,
            "planned": sel.energy,
            **sim.energy,
        },
        "utilization": sim.utilization,
        "link_utilization": sim.link_utilization,
        "timings_s": result.timings,
    }
    if assignment:
        out["assignment"] = [
            {
                "op": t.id,
                "name": t.name,
                "kind": t.kind,
                "device": t.device,
                "variant": t.variant,
                "start_s": sim.task_start[t.id],
                "end_s": sim.task_end[t.id],
                "energy_J": sum(t.energy.values()),
            }
            for t in prog.tasks
        ]
    return out


def render_text(s: dict[str, Any]) -> str:
    """The human-readable report printed by `lightcode run`."""
    m, solver, lat, en = s["model"], s["solver"], s["latency_s"], s["energy_J"]
    lines = [
        f"model    {m['name']}  seq_len={m['seq_len']} batch={m['batch']}  "
        f"{m['ops']} ops, {count(m['flops'])}FLOP, {count(m['parameters'])} parameters",
        "system   "
        + ", ".join(
            f"{n} ({d['kind']}, x{d['count']}, static {si(d['static_power_W'], 'W')})"
            for n, d in s["system"]["devices"].items()
        ),
        f"solver   {solver['strategy']}{'/' + solver['solver'] if solver['solver'] else ''} "
        f"{solver['status']} for "
        f"{s['objective']}: objective {_value(solver['objective_value'], s['objective'])}, "
        f"gap {_gap(solver['gap'])}, build {solver['build_time_s']:.2f} s, "
        f"solve {solver['solve_time_s']:.2f} s",
        "",
        "mapping",
    ]
    for dev, info in s["mapping"].items():
        kinds = ", ".join(f"{k} {n}" for k, n in info["by_kind"].items()) or "-"
        share = 100 * info["flops_share"]
        lines.append(f"  {dev:<10} {info['ops']:>5} ops  {share:5.1f}% of FLOPs  ({kinds})")
    lines += [
        "",
        f"latency  {si(lat['simulated'], 's')} simulated, {si(lat['planned'], 's')} planned "
        f"(ratio {'-' if lat['ratio'] is None else format(lat['ratio'], '.3f')})",
    ]
    why = describe_agreement(lat["agreement"])
    if why:
        lines.append(f"         {why}")
    lines += [
        f"energy   {si(en['total'], 'J')} total ({si(en['planned'], 'J')} planned)",
    ]
    total = en["total"]
    for dev, parts in en["compute"].items():
        dev_total = sum(parts.values())
        detail = ", ".join(f"{k} {si(v, 'J')}" for k, v in parts.items())
        joules = si(dev_total, "J")
        lines.append(f"  compute {dev:<10} {joules:>11} {percent(dev_total, total):>6}  ({detail})")
    for link, joules in en["transfer"].items():
        lines.append(f"  transfer {link:<9} {si(joules, 'J'):>11} {percent(joules, total):>6}")
    for dev, joules in en["static"].items():
        lines.append(f"  static {dev:<11} {si(joules, 'J'):>11} {percent(joules, total):>6}")
    util = ", ".join(f"{k} {100 * v:.1f}%" for k, v in s["utilization"].items())
    links = ", ".join(f"{k} {100 * v:.1f}%" for k, v in s["link_utilization"].items())
    lines.append("")
    lines.append(f"utilization  {util}" + (f"; links {links}" if links else ""))
    stages = ", ".join(f"{k} {v:.2f} s" for k, v in s["timings_s"].items())
    lines.append(f"stages       {stages}")
    return "\n".join(lines)


def _value(v: float, objective: str) -> str:
    return si(v, {"latency": "s", "energy": "J"}.get(objective, "J·s"))


def _gap(gap: float | None) -> str:
    return "-" if gap is None else f"{100 * gap:.4f}%"
