"""Command-line interface: a thin wrapper over `lightcode.api`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from lightcode.errors import LightCodeError, SpecError


def _fail(err: LightCodeError) -> None:
    click.echo(str(err), err=True)
    if isinstance(err, SpecError) and err.context:
        click.echo(err.context, err=True)
    sys.exit(2)


class _Group(click.Group):
    """Turns every LightCodeError into a one-line message and exit code 2."""

    def invoke(self, ctx: click.Context):  # type: ignore[override]
        try:
            return super().invoke(ctx)
        except LightCodeError as err:
            _fail(err)
        except OSError as err:  # e.g. an output path in a folder that does not exist
            _fail(LightCodeError(f"cannot write {err.filename}: {err.strerror}"))


@click.group(cls=_Group)
@click.version_option(package_name="lightcode")
def main() -> None:
    """LightCode: compile LLM inference onto photonic-electronic hardware and simulate it."""


@main.command()
@click.argument("spec", type=click.Path(path_type=Path))
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a param.")
def check(spec: Path, overrides: tuple[str, ...]) -> None:
    """Parse and validate SPEC, then print what it declares."""
    from lightcode.spec import load_spec, parse_overrides

    loaded = load_spec(spec, parse_overrides(overrides))
    click.echo(loaded.describe())
    for warning in loaded.warnings:
        click.echo(f"warning: {warning}", err=True)


_SPEC = click.argument("spec", type=click.Path(path_type=Path))
_MEMORY = click.option(
    "--memory/--no-memory",
    "fit_memory",
    default=True,
    show_default=True,
    help="Weights must fit the memory each device declares.",
)
_TIME_LIMIT = click.option(
    "--time-limit",
    type=click.FloatRange(min=0),
    default=120.0,
    show_default=True,
    help="Seconds for the solver (one deadline shared by a decomposed solve's parts); when hit, "
    "the best mapping found is returned with its proven gap (0: no limit).",
)
_SOLVER = click.option(
    "--solver", default="HIGHS", show_default=True, help="Any installed cvxpy MILP solver."
)
_MODEL = click.argument("model")


def _common(fn):
    """Options shared by the commands that compile a model onto a spec."""
    options = [
        click.option(
            "--seq-len",
            type=int,
            help="Prompt length (tokens).  [default: 1024, or the model's context if shorter]",
        ),
        click.option("--batch", default=1, show_default=True, help="Prompts per batch."),
        click.option(
            "--set",
            "overrides",
            multiple=True,
            metavar="NAME=VALUE",
            help="Override a param, e.g. --set ptu.wavelengths=32.",
        ),
        click.option(
            "--force",
            "force",
            multiple=True,
            metavar="OPS=DEVICE",
            help="Pin ops (a kind or a name glob) to a device, e.g. --force matmul=ptu.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def _pairs(items: tuple[str, ...], flag: str) -> dict[str, str]:
    from lightcode.errors import UsageError

    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key.strip() or not value.strip():
            raise UsageError(f"{flag} {item!r}: expected KEY=VALUE")
        out[key.strip()] = value.strip()
    return out


def _check_outputs(*paths: Path | None) -> None:
    """Fail before the work, not after it, when an output cannot be written."""
    from lightcode.errors import UsageError

    for path in paths:
        if path is not None and not path.parent.is_dir():
            raise UsageError(f"cannot write {path}: folder {path.parent} does not exist")


def _bound(text: str | None, dims, flag: str, example: str) -> float | None:
    """A command-line bound such as '20ms' or '2 J', in SI units."""
    import re

    from lightcode.errors import UsageError
    from lightcode.units import UnknownUnitError, parse_unit

    if text is None:
        return None
    match = re.fullmatch(r"\s*([0-9.]+(?:[eE][-+]?[0-9]+)?)\s*(\S+)\s*", text)
    try:
        unit = parse_unit(match.group(2)) if match else None
    except UnknownUnitError:
        unit = None
    if unit is None or unit.dims != dims or float(match.group(1)) <= 0:
        raise UsageError(f"{flag} {text!r}: expected a positive quantity like {example}")
    return float(match.group(1)) * unit.factor


@main.command()
@_SPEC
@_MODEL
@_common
@click.option(
    "--objective",
    type=click.Choice(["latency", "energy", "edp"]),
    default="latency",
    show_default=True,
)
@click.option(
    "--strategy",
    default="milp",
    show_default=True,
    help="milp (exact), greedy, paper, or all-<device>.",
)
@_MEMORY
@click.option("--max-latency", metavar="TIME", help="Constraint, e.g. 20ms.")
@click.option("--max-energy", metavar="ENERGY", help="Constraint, e.g. 2J.")
@click.option("--max-power", metavar="POWER", help="Constraint on average power, e.g. 800W.")
@_SOLVER
@_TIME_LIMIT
@click.option("--json", "json_path", type=click.Path(path_type=Path), help="Write the report.")
@click.option(
    "--trace", "trace_path", type=click.Path(path_type=Path), help="Write a Chrome/Perfetto trace."
)
@click.option("--gantt", "gantt_path", type=click.Path(path_type=Path), help="Write a Gantt PNG.")
@click.option(
    "--timeline",
    "timeline_path",
    type=click.Path(path_type=Path),
    help="Write utilization and power over time as a PNG.",
)
def run(
    spec,
    model,
    seq_len,
    batch,
    overrides,
    force,
    objective,
    strategy,
    fit_memory,
    max_latency,
    max_energy,
    max_power,
    solver,
    time_limit,
    json_path,
    trace_path,
    gantt_path,
    timeline_path,
) -> None:
    """Compile MODEL onto the machine of SPEC, simulate it and report."""
    import json

    from lightcode.api import compile_and_simulate
    from lightcode.report.summary import render_text, summarize
    from lightcode.select import Constraints
    from lightcode.spec import parse_overrides
    from lightcode.units import ENERGY, POWER, TIME

    _check_outputs(json_path, trace_path, gantt_path, timeline_path)
    constraints = Constraints(
        max_latency=_bound(max_latency, TIME, "--max-latency", "20ms"),
        max_energy=_bound(max_energy, ENERGY, "--max-energy", "2J"),
        max_power=_bound(max_power, POWER, "--max-power", "800W"),
    )
    result = compile_and_simulate(
        spec,
        model,
        seq_len=seq_len,
        batch=batch,
        objective=objective,
        overrides=parse_overrides(overrides),
        force=_pairs(force, "--force"),
        constraints=constraints,
        solver=solver,
        time_limit=time_limit or None,
        strategy=strategy,
        fit_memory=fit_memory,
    )
    report = summarize(result)
    click.echo(render_text(report))
    if json_path:
        json_path.write_text(json.dumps(report, indent=1))
        click.echo(f"wrote {json_path}")
    if trace_path:
        from lightcode.report.trace import write_chrome_trace

        write_chrome_trace(result.program, result.sim, trace_path)
        click.echo(f"wrote {trace_path}")
    if gantt_path:
        from lightcode.report.gantt import write_gantt

        write_gantt(result.program, result.sim, gantt_path)
        click.echo(f"wrote {gantt_path}")
    if timeline_path:
        from lightcode.report.plots import timeline_plot

        timeline_plot(result.program, result.sim, timeline_path)
        click.echo(f"wrote {timeline_path}")


@main.command()
@_SPEC
@_MODEL
@_common
@click.option("--json", "as_json", is_flag=True, help="Dump the whole Stacked Graph as JSON.")
def graph(spec, model, seq_len, batch, overrides, force, as_json) -> None:
    """Build the Stacked Graph of MODEL on SPEC and print it (or dump it with --json)."""
    import json

    from lightcode.frontend import trace
    from lightcode.spec import load_spec, parse_overrides
    from lightcode.stacked import build_stacked_graph

    loaded = load_spec(spec, parse_overrides(overrides))
    stacked = build_stacked_graph(loaded, trace(model, seq_len, batch), _pairs(force, "--force"))
    if as_json:
        click.echo(json.dumps(stacked.to_dict(), indent=1))
        return
    g = stacked.graph
    click.echo(
        f"{g.model} seq_len={g.seq_len}: {len(g.ops)} stacks, "
        f"{len(stacked.candidates)} candidates, {len(g.edges)} edges"
    )
    for i, op in enumerate(g.ops):
        stack = ", ".join(c.label for c in stacked.candidates[stacked.ptr[i] : stacked.ptr[i + 1]])
        click.echo(f"  {op.name:<40} {op.kind:<10} [{stack}]")


@main.command()
@_SPEC
@_MODEL
@click.option(
    "--seq-len",
    "seq_len",
    default="0:1024:128",
    show_default=True,
    help="Prompt lengths: START:STOP:STEP (STOP included) or A,B,C; values < 1 become 1.",
)
@click.option(
    "--objective",
    "objectives",
    default="latency,energy",
    show_default=True,
    help="Comma-separated objectives.",
)
@click.option(
    "--set",
    "overrides",
    multiple=True,
    metavar="NAME=V1,V2",
    help="Sweep a param over values (repeat for a grid), e.g. --set wavelengths=1,5,20.",
)
@click.option("--force", "force", multiple=True, metavar="OPS=DEVICE", help="Pin ops to a device.")
@click.option("--batch", default=1, show_default=True, help="Prompts per batch.")
@click.option(
    "--out", "out_dir", type=click.Path(path_type=Path), required=True, help="Output folder."
)
@click.option("--no-plots", is_flag=True, help="Write the CSV only.")
def sweep(spec, model, seq_len, objectives, overrides, force, batch, out_dir, no_plots) -> None:
    """Run MODEL on SPEC over a grid; write OUT/sweep.csv and plots (progress on stderr)."""
    from lightcode.errors import UsageError
    from lightcode.frontend import get_config
    from lightcode.sweep import parse_grid, plot_sweep, run_sweep, write_csv

    grid = {}
    for key, values in _pairs(overrides, "--set").items():
        grid[key] = parse_grid(values, integer=False)
    objs = [o.strip() for o in objectives.split(",") if o.strip()]
    for o in objs:
        if o not in ("latency", "energy"):
            raise UsageError(f"--objective {o!r}: expected latency or energy")
    lengths = parse_grid(seq_len)
    if not objs or not lengths or not all(grid.values()):
        raise UsageError("the sweep is empty: give at least one prompt length, objective and value")
    context = get_config(model).max_context
    if max(lengths) > context:
        raise UsageError(f"--seq-len {max(lengths)} exceeds the context of {model} ({context})")
    if out_dir.exists() and not out_dir.is_dir():
        raise UsageError(f"--out {out_dir}: not a folder")
    rows = run_sweep(spec, model, lengths, objs, grid, _pairs(force, "--force"), batch=batch)
    path = write_csv(rows, out_dir / "sweep.csv")
    click.echo(f"wrote {path} ({len(rows)} rows)")
    if not no_plots:
        for png in plot_sweep(rows, out_dir):
            click.echo(f"wrote {png}")


@main.command()
@_SPEC
@_MODEL
@_common
@click.option("--points", default=10, show_default=True, help="Latency bounds swept.")
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="Write the front as CSV.")
@click.option("--plot", "plot_path", type=click.Path(path_type=Path), help="Write a PNG plot.")
@_MEMORY
@_SOLVER
@_TIME_LIMIT
def pareto(
    spec,
    model,
    seq_len,
    batch,
    overrides,
    force,
    points,
    out_path,
    plot_path,
    fit_memory,
    solver,
    time_limit,
) -> None:
    """Sweep the latency bound between the latency- and energy-optimal mappings (ε-constraint)."""
    from lightcode.frontend import trace
    from lightcode.report.format import si
    from lightcode.select import pareto as front_lib
    from lightcode.select.strategies import memory_constraints
    from lightcode.spec import load_spec, parse_overrides
    from lightcode.stacked import build_stacked_graph

    _check_outputs(out_path, plot_path)
    loaded = load_spec(spec, parse_overrides(overrides))
    graph_ = trace(model, seq_len, batch)
    stacked = build_stacked_graph(loaded, graph_, _pairs(force, "--force"))
    constraints = memory_constraints(loaded) if fit_memory else None
    front = front_lib.pareto_front(
        stacked, points, constraints, solver=solver, time_limit=time_limit or None
    )
    click.echo(f"{'latency':>12} {'energy':>12}  end   (planned: the optimizer's cost model)")
    for p in front:
        click.echo(f"{si(p.latency, 's'):>12} {si(p.energy, 'J'):>12}  {p.end}")
    if out_path:
        click.echo(f"wrote {front_lib.write_csv(front, out_path)}")
    if plot_path:
        title = f"{graph_.model}@{graph_.seq_len} on {Path(spec).name}"
        click.echo(f"wrote {front_lib.plot(front, plot_path, title)}")


@main.command()
@_SPEC
@_MODEL
@click.option(
    "--seq-len",
    type=int,
    help="Prompt length (tokens).  [default: 1024, or the model's context if shorter]",
)
@click.option("--batch", default=1, show_default=True, help="Prompts per batch.")
@click.option("--op", "op_name", metavar="NAME", help="An op name, or a glob over op names.")
@click.option("--kind", metavar="KIND", help="Every op of this kind (e.g. matmul).")
@click.option("--limit", default=3, show_default=True, help="Groups of identical ops to show.")
@click.option("--set", "overrides", multiple=True, metavar="NAME=VALUE", help="Override a param.")
def explain(spec, model, seq_len, batch, op_name, kind, limit, overrides) -> None:
    """Show every candidate's latency and energy for an op, term by term."""
    from lightcode.explain import explain as explain_ops
    from lightcode.explain import render
    from lightcode.frontend import trace
    from lightcode.spec import load_spec, parse_overrides

    loaded = load_spec(spec, parse_overrides(overrides))
    graph_ = trace(model, seq_len, batch)
    click.echo(render(explain_ops(loaded, graph_, op=op_name, kind=kind, limit=limit)))


if __name__ == "__main__":
    main()
