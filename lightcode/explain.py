"""Why an op costs what it costs: every candidate realization of an op, term by term.

`explain(spec, graph, op=... | kind=...)` returns plain data: for each selected op (or group of
identical ops), its attributes and, for every rule that could realize it, each binding as written
in the spec with its evaluated value and unit. `render(...)` turns that into text; the CLI only
prints it.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fnmatch import fnmatchcase

import numpy as np

from lightcode.errors import UsageError
from lightcode.frontend.graph import OP_ATTRIBUTES, OpGraph
from lightcode.spec import Spec
from lightcode.units import DIMENSIONLESS, Dims, display_unit, format_value, parse_unit

SHOWN_ATTRIBUTES = ("M", "N", "K", "batch", "flops", "bytes", "bytes_weight", "static")


@dataclass(frozen=True)
class Term:
    """One binding of a rule: `name = expr`, evaluated to `value` (base units) with `dims`."""

    name: str
    expr: str
    value: float
    dims: Dims

    @property
    def text(self) -> str:
        """The value with a unit that suits it, e.g. '9.8 µs' or '1.2e+06'."""
        return show(self.value, self.dims)


@dataclass(frozen=True)
class Candidate:
    """One rule applied to one op."""

    device: str
    variant: str | None
    rule: str  # where the rule is written
    when: str | None
    applies: bool  # the `when` condition holds
    latency: float  # s
    energy: dict[str, float]  # J by component
    terms: tuple[Term, ...]

    @property
    def label(self) -> str:
        return self.device + (f":{self.variant}" if self.variant else "")

    @property
    def total_energy(self) -> float:
        return float(sum(self.energy.values()))


@dataclass(frozen=True)
class OpExplanation:
    """One op, or several identical ones (same kind and attributes), and its candidates."""

    ops: tuple[str, ...]
    kind: str
    attributes: dict[str, float]
    candidates: tuple[Candidate, ...]
    fastest: str | None = None  # label of the applicable candidate with the least latency
    frugal: str | None = None  # label of the applicable candidate with the least energy
    groups_left: int = field(default=0)


def show(value: float, dims: Dims) -> str:
    """A value in base units, written with a unit suited to its size."""
    if dims == DIMENSIONLESS:
        return f"{value:.6g}"
    unit = display_unit(value, dims)
    try:
        return format_value(value, unit)
    except ValueError:  # a compound unit the vocabulary cannot parse back
        return f"{value:.6g} {unit}"


def select_ops(graph: OpGraph, op: str | None, kind: str | None) -> list[int]:
    """Positions of the ops named by an exact name or glob (`op`) or by `kind`."""
    if (op is None) == (kind is None):
        raise UsageError("explain needs exactly one of --op NAME and --kind KIND")
    if op is not None:
        exact = [i for i, o in enumerate(graph.ops) if o.name == op]
        found = exact or [i for i, o in enumerate(graph.ops) if fnmatchcase(o.name, op)]
        if not found:
            raise UsageError(f"--op {op}: no op of {graph.model} has that name or matches it")
        return found
    found = [i for i, o in enumerate(graph.ops) if o.kind == kind]
    if not found:
        kinds = ", ".join(sorted(graph.kind_counts()))
        raise UsageError(f"--kind {kind}: {graph.model} has no op of that kind ({kinds})")
    return found


def explain(
    spec: Spec,
    graph: OpGraph,
    *,
    op: str | None = None,
    kind: str | None = None,
    limit: int = 3,
) -> list[OpExplanation]:
    """Explain the ops selected by `op` (name or glob) or `kind`: identical ops are grouped, and
    the first `limit` groups are returned (the last one records how many groups were left)."""
    index = select_ops(graph, op, kind)
    attrs = graph.attrs(index)
    groups: dict[tuple, list[int]] = {}
    for j, i in enumerate(index):
        key = (graph.ops[i].kind, *(float(attrs[a][j]) for a in OP_ATTRIBUTES))
        groups.setdefault(key, []).append(j)
    shown = list(groups.values())[: max(limit, 1)]
    out = []
    for members in shown:
        first = members[0]
        one = {k: v[first : first + 1] for k, v in attrs.items()}
        o = graph.ops[index[first]]
        candidates = tuple(_candidate(rule, one) for rule in spec.rules if o.kind in rule.ops)
        usable = [c for c in candidates if c.applies]
        fastest = min(usable, key=lambda c: c.latency).label if usable else None
        frugal = min(usable, key=lambda c: c.total_energy).label if usable else None
        out.append(
            OpExplanation(
                ops=tuple(graph.ops[index[j]].name for j in members),
                kind=o.kind,
                attributes={a: float(one[a][0]) for a in OP_ATTRIBUTES},
                candidates=candidates,
                fastest=fastest,
                frugal=frugal,
            )
        )
    if out and len(groups) > len(shown):
        last = out[-1]
        out[-1] = OpExplanation(
            last.ops,
            last.kind,
            last.attributes,
            last.candidates,
            last.fastest,
            last.frugal,
            groups_left=len(groups) - len(shown),
        )
    return out


def _candidate(rule, attrs: dict[str, np.ndarray]) -> Candidate:
    cost = rule.evaluate(attrs)
    terms = tuple(
        Term(name, expr, float(cost.terms[name][0]), rule.term_dims.get(name, DIMENSIONLESS))
        for name, expr in rule.terms.items()
    )
    return Candidate(
        device=rule.device,
        variant=rule.variant,
        rule=str(rule.loc),
        when=rule.when,
        applies=bool(cost.applies[0]),
        latency=float(cost.latency[0]),
        energy={k: float(v[0]) for k, v in cost.energy.items()},
        terms=terms,
    )


def render(explanations: list[OpExplanation]) -> str:
    """The text `lightcode explain` prints."""
    lines: list[str] = []
    for ex in explanations:
        names = ex.ops[0] if len(ex.ops) == 1 else f"{ex.ops[0]} and {len(ex.ops) - 1} identical"
        lines.append(f"op {names} ({ex.kind})")
        lines.append(
            "  "
            + "  ".join(_attribute(k, v) for k, v in ex.attributes.items() if k in SHOWN_ATTRIBUTES)
        )
        for c in ex.candidates:
            marks = [
                m
                for m, lab in (("fastest", ex.fastest), ("least energy", ex.frugal))
                if lab == c.label and c.applies
            ]
            when = f" when {c.when}" if c.when else ""
            head = f"  on {c.label}{when}  [{c.rule}]"
            if not c.applies:
                lines.append(head + "  -- condition false, not a candidate")
                continue
            total = show(c.total_energy, parse_unit("J").dims)
            tag = f"  <- {', '.join(marks)}" if marks else ""
            lines.append(
                f"{head}: latency {show(c.latency, parse_unit('s').dims)}, energy {total}{tag}"
            )
            width = max(len(t.name) for t in c.terms)
            expr_width = min(max(len(t.expr) for t in c.terms), 60)
            for t in c.terms:
                lines.append(f"      {t.name:<{width}} = {t.expr:<{expr_width}} = {t.text}")
        if ex.groups_left:
            lines.append(f"... and {ex.groups_left} more group(s) of distinct ops")
        lines.append("")
    return "\n".join(lines).rstrip()


def _attribute(name: str, value: float) -> str:
    unit = OP_ATTRIBUTES[name]
    if unit == "bool":
        return f"{name}={'yes' if value else 'no'}"
    if not unit:
        return f"{name}={value:.6g}"
    return f"{name}={show(value * parse_unit(unit).factor, parse_unit(unit).dims)}"
