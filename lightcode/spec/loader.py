"""Reading `.lhw` files into a validated `Spec`: imports, `set`s and overrides, params, devices,
links and rules, each checked for dimensions before it is compiled."""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path

from lightcode.errors import Location, SpecError
from lightcode.frontend.graph import EDGE_ATTRIBUTES, OP_ATTRIBUTES, OP_KINDS
from lightcode.spec import ast
from lightcode.spec.diagnostics import did_you_mean, error
from lightcode.spec.dimensions import check, describe, require
from lightcode.spec.evaluate import compile_expr
from lightcode.spec.scope import BOOL, Kind, Symbol
from lightcode.spec.syntax import parse_expression, parse_file
from lightcode.spec.types import Device, Link, Quantity, Rule, Spec
from lightcode.units import (
    BANDWIDTH,
    DECIBEL,
    DIMENSIONLESS,
    ENERGY,
    ENERGY_PER_INFORMATION,
    INFORMATION,
    POWER,
    TIME,
    display_unit,
    parse_unit,
)

VERSION = "1"
DEVICE_KINDS = ("photonic", "electronic")
RESERVED_DEVICE_PARAMS = {
    "count": DIMENSIONLESS,  # identical units
    "static_power": POWER,  # W per unit, drawn for the whole run
    "memory": INFORMATION,  # capacity for resident weights
    "lanes": DIMENSIONLESS,  # parallel channels per unit (e.g. WDM wavelength groups)
    "prefetch": DIMENSIONLESS,  # 1: weights of the next op load while the current one computes
}
LINK_TERMS = {
    "bandwidth": (BANDWIDTH,),
    "latency": (TIME,),
    "energy": (ENERGY, ENERGY_PER_INFORMATION),
    "shared": (DIMENSIONLESS,),  # 1 (default): one transfer serves every consumer on the far side
}


def _kinds(attributes: Mapping[str, str]) -> dict[str, Kind]:
    return {k: BOOL if u == "bool" else parse_unit(u).dims for k, u in attributes.items()}


OP_KINDS_OF = _kinds(OP_ATTRIBUTES)
EDGE_KINDS_OF = _kinds(EDGE_ATTRIBUTES)


@dataclass
class _Param:
    """A global (`device` None) or device param: its declaration and its current expression."""

    device: str | None
    name: str
    declared: ast.Expr
    loc: Location
    expr: ast.Expr = field(init=False)
    set_at: ast.Expr | None = None  # the last `set` / override expression, if any
    value: Quantity | None = None

    def __post_init__(self) -> None:
        self.expr = self.declared

    @property
    def label(self) -> str:
        return f"{self.device}.{self.name}" if self.device else self.name


class _Params:
    """All params, evaluated on demand (any declaration order), with cycle detection and use
    tracking."""

    def __init__(self) -> None:
        self.entries: dict[tuple[str | None, str], _Param] = {}
        self.used: set[tuple[str | None, str]] = set()
        self._active: list[tuple[str | None, str]] = []

    def symbol(self, key: tuple[str | None, str], track: bool) -> Symbol:
        if track:
            self.used.add(key)
        quantity = self.value(key)
        return Symbol(quantity.dims, value=quantity.value)

    def value(self, key: tuple[str | None, str]) -> Quantity:
        entry = self.entries[key]
        if entry.value is not None:
            return entry.value
        if key in self._active:
            chain = [self.entries[k].label for k in self._active[self._active.index(key) :]]
            raise error(entry.loc, "param cycle: " + " -> ".join([*chain, entry.label]))
        self._active.append(key)
        scope = _Scope(self, device=entry.device)
        dims = check(entry.expr, scope)
        if dims == BOOL:
            raise error(entry.expr.loc, f"param '{entry.label}' must be a number, not a condition")
        if entry.set_at is not None:
            declared = check(entry.declared, _Scope(self, device=entry.device, track=False))
            if declared != dims:
                message = f"'{entry.label}' is declared as {describe(declared)}"
                raise error(entry.set_at.loc, f"{message}, but is set to {describe(dims)}")
        value = float(compile_expr(entry.expr, scope))  # params are constants
        if not math.isfinite(value):
            raise error(entry.expr.loc, f"param '{entry.label}' is not a finite number ({value})")
        self._active.pop()
        entry.value = Quantity(value, dims, _unit(entry.expr, value, dims))
        return entry.value


def _unit(expr: ast.Expr, value: float, dims) -> str:
    """The unit as written for a (negated) literal, else a canonical unit suiting the value."""
    while isinstance(expr, ast.Unary) and expr.op == "-":
        expr = expr.operand
    return expr.unit if isinstance(expr, ast.Number) else display_unit(value, dims)


class _Scope:
    """Name resolution: locals > attributes > the device's params > global params."""

    def __init__(
        self,
        params: _Params,
        device: str | None = None,
        attributes: Mapping[str, Kind] | None = None,
        track: bool = True,
    ) -> None:
        self.params = params
        self.device = device
        self.attributes = attributes or {}
        self.track = track
        self.locals: dict[str, Kind] = {}

    def lookup(self, node: ast.Name | ast.Dotted) -> Symbol:
        text = node.name if isinstance(node, ast.Name) else node.text
        if text in self.locals:
            return Symbol(self.locals[text], slot=text)
        if isinstance(node, ast.Dotted):
            return self._dotted(node)
        if text in self.attributes:
            return Symbol(self.attributes[text], slot=text)
        for key in ((self.device, text), (None, text)):
            if key in self.params.entries:
                return self.params.symbol(key, self.track)
        raise self._unknown(node)

    def _dotted(self, node: ast.Dotted) -> Symbol:
        devices = {d for d, _ in self.params.entries if d}
        if node.owner not in devices:
            hint = did_you_mean(node.owner, devices)
            raise error(node.loc, f"unknown device '{node.owner}' in '{node.text}'", hint)
        key = (node.owner, node.name)
        if key not in self.params.entries:
            names = [n for d, n in self.params.entries if d == node.owner]
            hint = did_you_mean(node.name, names)
            raise error(node.loc, f"device '{node.owner}' has no param '{node.name}'", hint)
        return self.params.symbol(key, self.track)

    def _unknown(self, node: ast.Name) -> SpecError:
        name = node.name
        if name in OP_KINDS_OF:
            return error(node.loc, f"'{name}' is an op attribute; only realize rules can use it")
        known = [*self.locals, *self.attributes]
        known += [n for d, n in self.params.entries if d in (None, self.device)]
        hint = did_you_mean(name, known)
        owners = sorted(d for d, n in self.params.entries if d and n == name)
        if hint is None and owners:
            hint = f"another device's param is written '{owners[0]}.{name}'"
        return error(node.loc, f"unknown name '{name}'", hint)


class _Loader:
    def __init__(self) -> None:
        self.sources: list[Path] = []
        self.read: set[Path] = set()
        self.statements: list[ast.Statement] = []
        self.params = _Params()
        self.devices: dict[str, ast.Device] = {}
        self.override_sources: dict[Path, str] = {}

    def load(self, path: Path, overrides: Mapping[str, str]) -> Spec:
        self._read(path, [], None)
        self._declare()
        for key, text in overrides.items():
            self._override(key, text)
        try:
            for entry in self.params.entries.values():
                self.params.value((entry.device, entry.name))
            devices = {name: self._device(decl) for name, decl in self.devices.items()}
            links = self._links()
            rules = self._rules()
        except SpecError as err:
            raise self._located_in_override(err) from None
        params = {n: e.value for (d, n), e in self.params.entries.items() if d is None}
        return Spec(path, params, devices, links, rules, self._warnings(), tuple(self.sources))

    # files and statements -------------------------------------------------------------

    def _read(self, path: Path, stack: list[Path], importer: ast.Import | None) -> None:
        key = path.resolve()
        if key in stack:
            chain = " -> ".join(p.name for p in [*stack[stack.index(key) :], key])
            raise error(importer.loc, f"import cycle: {chain}")
        if key in self.read:
            return
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as err:
            message = f"cannot read '{path}': {err.strerror or err}"
            if importer is None:
                raise SpecError(message) from None
            raise error(importer.loc, f"cannot import '{importer.path}': {message}") from None
        self.sources.append(path)
        self.read.add(key)
        statements = parse_file(path, text)
        self._check_version(path, statements)
        for statement in statements[1:]:
            if isinstance(statement, ast.Import):
                self._read(path.parent / statement.path, [*stack, key], statement)
            elif isinstance(statement, ast.Version):
                raise error(statement.loc, "'lightcode <version>' must be the first statement")
            else:
                self.statements.append(statement)

    @staticmethod
    def _check_version(path: Path, statements: list[ast.Statement]) -> None:
        first = statements[0] if statements else None
        if not isinstance(first, ast.Version):
            loc = first.loc if first else Location(path, 1, 1)
            raise error(loc, f"a spec must start with 'lightcode {VERSION}'")
        if first.number != VERSION:
            message = f"unsupported language version {first.number}"
            raise error(first.loc, message, f"this LightCode reads 'lightcode {VERSION}'")

    def _declare(self) -> None:
        for statement in self.statements:
            match statement:
                case ast.Param():
                    self._add_param(None, statement.name, statement.expr, statement.loc)
                case ast.Set():
                    self._set(statement.target, statement.expr, statement.loc)
                case ast.Device():
                    self._add_device(statement)

    def _add_param(self, device: str | None, name: str, expr: ast.Expr, loc: Location) -> None:
        if name in OP_ATTRIBUTES:
            raise error(loc, f"'{name}' is an op attribute name and cannot be a param")
        key = (device, name)
        if key in self.params.entries:
            label = self.params.entries[key].label
            first = self.params.entries[key].loc
            raise error(loc, f"param '{label}' is already declared at {first}")
        self.params.entries[key] = _Param(device, name, expr, loc)

    def _set(self, target: str, expr: ast.Expr, loc: Location | None) -> None:
        device, _, name = target.rpartition(".")
        entry = self.params.entries.get((device or None, name))
        if entry is None:
            message = f"cannot set '{target}': no such param is declared"
            known = [e.label for e in self.params.entries.values()]
            hint = did_you_mean(target, known)
            raise error(loc, message, hint) if loc else SpecError(message, hint=hint)
        entry.expr = entry.set_at = expr

    def _override(self, target: str, text: str) -> None:
        source = Path(f"<--set {target}>")
        self.override_sources[source] = f"{target}={text}"
        try:
            expr = parse_expression(source, text)
        except SpecError as err:
            raise self._located_in_override(err) from None
        self._set(target, expr, None)

    def _located_in_override(self, err: SpecError) -> SpecError:
        if err.loc is None or err.loc.path not in self.override_sources:
            return err
        setting = self.override_sources[err.loc.path]
        return SpecError(f"--set {setting}: {err.message}", hint=err.hint, context=err.context)

    # devices ----------------------------------------------------------------------------

    def _add_device(self, decl: ast.Device) -> None:
        if decl.name in self.devices:
            first = self.devices[decl.name].loc
            raise error(decl.loc, f"device '{decl.name}' is already declared at {first}")
        if decl.kind not in DEVICE_KINDS:
            message = f"unknown device kind '{decl.kind}'"
            raise error(decl.kind_loc, message, "a device is 'photonic' or 'electronic'")
        self.devices[decl.name] = decl
        for binding in decl.body:
            if "." in binding.target:
                raise error(binding.loc, f"'{binding.target}' is not a device param name")
            self._add_param(decl.name, binding.target, binding.expr, binding.loc)

    def _device(self, decl: ast.Device) -> Device:
        params = {n: e.value for (d, n), e in self.params.entries.items() if d == decl.name}
        for name, quantity in params.items():
            entry = self.params.entries[(decl.name, name)]
            wanted = RESERVED_DEVICE_PARAMS.get(name)
            if wanted is not None and quantity.dims != wanted:
                message = f"'{name}' must be {describe(wanted)}, but is {describe(quantity.dims)}"
                raise error(entry.expr.loc, message)
            if quantity.value < 0 and quantity.dims != DECIBEL:
                raise error(entry.expr.loc, f"'{entry.label}' must not be negative ({quantity})")
        count, lanes = (self._whole(decl.name, params, name) for name in ("count", "lanes"))
        prefetch = params["prefetch"].value if "prefetch" in params else 0.0
        if prefetch not in (0.0, 1.0):
            loc = self.params.entries[(decl.name, "prefetch")].expr.loc
            raise error(loc, f"'prefetch' must be 0 or 1, not {prefetch:g}")
        power = params["static_power"].value if "static_power" in params else 0.0
        memory = params["memory"].value if "memory" in params else None
        return Device(
            decl.name, decl.kind, count, power, memory, params, decl.loc, lanes, prefetch == 1.0
        )

    def _whole(self, device: str, params: dict[str, Quantity], name: str) -> int:
        """A reserved count param: a whole number of at least 1 (default 1)."""
        value = params[name].value if name in params else 1.0
        if value < 1 or value != int(value):
            loc = self.params.entries[(device, name)].expr.loc
            raise error(loc, f"'{name}' must be a whole number of at least 1, not {value:g}")
        return int(value)

    def _device_name(self, name: str, loc: Location) -> str:
        if name not in self.devices:
            raise error(loc, f"unknown device '{name}'", did_you_mean(name, self.devices))
        return name

    # links and rules ----------------------------------------------------------------------

    def _bindings(self, body: tuple[ast.Binding, ...], scope: _Scope, parts: bool) -> tuple:
        """Check and compile a block's bindings in order; `parts` allows `energy.<part>`."""
        compiled = []
        for binding in body:
            target = binding.target
            if "." in target and not (parts and target.startswith("energy.")):
                raise error(binding.loc, f"'{target}' is not a binding name here")
            if target == "energy.compute":
                raise error(
                    binding.loc, "the 'compute' part of the energy is written 'energy = ...'"
                )
            if target in scope.locals:
                raise error(binding.loc, f"'{target}' is already bound in this block")
            kind = check(binding.expr, scope)
            if kind == BOOL:
                raise error(binding.expr.loc, f"'{target}' must be a number, not a condition")
            compiled.append((target, compile_expr(binding.expr, scope)))
            scope.locals[target] = kind
        return tuple(compiled)

    def _links(self) -> dict[tuple[str, str], Link]:
        links: dict[tuple[str, str], Link] = {}
        for decl in (s for s in self.statements if isinstance(s, ast.Link)):
            src = self._device_name(decl.src, decl.src_loc)
            dst = self._device_name(decl.dst, decl.dst_loc)
            link = self._link(decl, src, dst)
            pairs = {(src, dst), (dst, src)} if decl.both_ways else {(src, dst)}
            for pair in sorted(pairs):
                if pair in links:
                    first = links[pair].loc
                    raise error(
                        decl.loc, f"link {pair[0]} -> {pair[1]} is already declared at {first}"
                    )
                links[pair] = replace(link, src=pair[0], dst=pair[1])
        return links

    def _link(self, decl: ast.Link, src: str, dst: str) -> Link:
        scope = _Scope(self.params, attributes=EDGE_KINDS_OF)
        bindings = self._bindings(decl.body, scope, parts=False)
        compiled = dict(bindings)
        by_target = {b.target: b for b in decl.body}
        for term, allowed in LINK_TERMS.items():
            if term not in by_target:
                continue
            expr = by_target[term].expr
            require(expr, scope.locals[term], allowed, f"link '{term}'")
            value = compiled[term]
            if callable(value):
                if term in ("bandwidth", "shared"):
                    raise error(expr.loc, f"link '{term}' must be a constant")
            elif term == "shared" and value not in (0.0, 1.0):
                raise error(expr.loc, f"link 'shared' must be 0 or 1, not {value:g}")
            elif term == "bandwidth" and value <= 0:
                raise error(expr.loc, "link 'bandwidth' must be positive")
            elif value < 0:
                raise error(expr.loc, f"link '{term}' must not be negative")
        per_byte = "energy" in scope.locals and scope.locals["energy"] == ENERGY_PER_INFORMATION
        bandwidth = compiled.get("bandwidth")
        shared = compiled.get("shared", 1.0) == 1.0
        terms = {b.target: b.text for b in decl.body}
        return Link(src, dst, bandwidth, decl.loc, terms, bindings, per_byte, shared)

    def _rules(self) -> tuple[Rule, ...]:
        """Rules; one op, device and variant may have several only under different `when`s."""
        rules: list[Rule] = []
        seen: dict[tuple[str, str, str | None], list[ast.Realize]] = {}
        for decl in (s for s in self.statements if isinstance(s, ast.Realize)):
            device = self._device_name(decl.device, decl.device_loc)
            for op, loc in decl.ops:
                if op not in OP_KINDS:
                    raise error(loc, f"unknown op kind '{op}'", did_you_mean(op, OP_KINDS))
                earlier = seen.setdefault((op, device, decl.variant), [])
                clash = next((r for r in earlier if _overlap(r, decl)), None)
                if clash is not None:
                    variant = f' as "{decl.variant}"' if decl.variant else ""
                    message = f"'{op}' on {device}{variant} is already realized at {clash.loc}"
                    hint = "give one of the rules a variant name (as \"...\") or a different 'when'"
                    raise error(loc, message, hint)
                earlier.append(decl)
            rules.append(self._rule(decl, device))
        return tuple(rules)

    def _rule(self, decl: ast.Realize, device: str) -> Rule:
        scope = _Scope(self.params, device=device, attributes=OP_KINDS_OF)
        bindings = self._bindings(decl.body, scope, parts=True)
        when = None
        if decl.when is not None:  # may use the rule's bindings, e.g. a `for` variable
            kind = check(decl.when, scope)
            if kind != BOOL:
                raise error(
                    decl.when.loc, f"'when' needs a condition, but this is {describe(kind)}"
                )
            when = compile_expr(decl.when, scope)
        by_target = {b.target: b for b in decl.body}
        if "latency" not in by_target:
            raise error(decl.loc, "this rule has no 'latency = ...'")
        energy = [t for t in by_target if t == "energy" or t.startswith("energy.")]
        if not energy:
            raise error(decl.loc, "this rule has no 'energy = ...' (or 'energy.<part> = ...')")
        wanted = {"latency": TIME, "units": DIMENSIONLESS, "lanes": DIMENSIONLESS, "setup": TIME}
        wanted |= dict.fromkeys(energy, ENERGY)
        for target, dims in wanted.items():
            if target in by_target:
                require(by_target[target].expr, scope.locals[target], (dims,), f"'{target}'")
        components = tuple("compute" if t == "energy" else t.split(".", 1)[1] for t in energy)
        ops = tuple(op for op, _ in decl.ops)
        terms = {b.target: b.text for b in decl.body}
        dims = {b.target: scope.locals[b.target] for b in decl.body}
        return Rule(
            ops,
            device,
            decl.variant,
            decl.loc,
            components,
            decl.when_text,
            terms,
            when,
            bindings,
            term_dims=dims,
        )

    # warnings ----------------------------------------------------------------------------

    def _warnings(self) -> tuple[str, ...]:
        unused = [
            e
            for key, e in self.params.entries.items()
            if key not in self.params.used and e.name not in RESERVED_DEVICE_PARAMS
        ]
        return tuple(f"{e.loc}: param '{e.label}' is declared but used by no rule" for e in unused)


def _overlap(a: ast.Realize, b: ast.Realize) -> bool:
    """Whether two rules for the same op, device and variant can both apply to an op."""
    return a.when_text is None or b.when_text is None or a.when_text == b.when_text


def load_spec(path: str | Path, overrides: Mapping[str, str] | None = None) -> Spec:
    """Read, validate and compile a `.lhw` spec; `overrides` act like `set` lines at its end."""
    return _Loader().load(Path(path), overrides or {})
