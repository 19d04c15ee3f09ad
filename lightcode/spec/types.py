"""The loaded spec: devices, links and realization rules, ready to price ops and edges."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

import numpy as np

from lightcode.errors import Location
from lightcode.spec.evaluate import Compiled, as_floats, run
from lightcode.units import Dims, format_value


@dataclass(frozen=True)
class Quantity:
    """A constant: `value` in base units (s, J, B, FLOP, ...), its dimensions, a unit to show."""

    value: float
    dims: Dims
    unit: str  # as written for a literal, else a canonical unit

    def __str__(self) -> str:
        return format_value(self.value, self.unit)


@dataclass(frozen=True)
class Device:
    name: str
    kind: Literal["photonic", "electronic"]
    count: int
    static_power: float  # W per unit
    memory: float | None  # bytes
    params: dict[str, Quantity]
    loc: Location
    lanes: int = 1  # parallel channels per unit
    prefetch: bool = False  # weight loads overlap the previous op's compute


@dataclass(frozen=True)
class Link:
    """A directed link; `src == dst` prices an edge that stays on one device."""

    src: str
    dst: str
    bandwidth: float | None  # bytes/s
    loc: Location
    terms: dict[str, str]  # binding → expression as written
    _bindings: tuple[tuple[str, Compiled], ...] = field(repr=False, compare=False)
    _energy_per_byte: bool = field(repr=False, compare=False)
    # One transfer serves every consumer of a tensor on the far side (the receiver keeps the
    # copy); 0 charges each consumer its own transfer, as the LightCode paper's model does.
    shared: bool = True

    def cost(self, edge_attrs: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
        """(seconds, joules) per edge; `edge_attrs` holds `bytes` and `elements` arrays."""
        size = np.asarray(edge_attrs["bytes"], dtype=float)
        env = _bind(self._bindings, dict(edge_attrs))
        seconds = as_floats(env.get("latency", 0.0), len(size))
        if self.bandwidth is not None:
            seconds = seconds + size / self.bandwidth
        joules = as_floats(env.get("energy", 0.0), len(size))
        return seconds, joules * size if self._energy_per_byte else joules


@dataclass(frozen=True)
class RuleCost:
    """A rule priced over a batch of ops (all arrays have one entry per op)."""

    applies: np.ndarray  # bool: the `when` condition
    latency: np.ndarray  # s
    energy: dict[str, np.ndarray]  # J by component ('compute' for a plain `energy`)
    units: np.ndarray  # whole device units the op occupies
    terms: dict[str, np.ndarray]  # every binding of the rule, by name, in base units
    lanes: np.ndarray  # lanes of one unit the op occupies (0: whole units)
    setup: np.ndarray  # s of the latency spent reprogramming weights


@dataclass(frozen=True)
class Rule:
    """`realize ops on device [as variant] [when condition] { ... }`."""

    ops: tuple[str, ...]
    device: str
    variant: str | None
    loc: Location
    energy_terms: tuple[str, ...]
    when: str | None  # the condition as written
    terms: dict[str, str]  # binding → expression as written
    _when: Compiled | None = field(repr=False, compare=False)
    _bindings: tuple[tuple[str, Compiled], ...] = field(repr=False, compare=False)
    # binding → its dimensions, checked when the spec loaded (for showing values with units)
    term_dims: dict[str, Dims] = field(default_factory=dict, repr=False, compare=False)

    def evaluate(self, attrs: dict[str, np.ndarray]) -> RuleCost:
        """Price ops given their attributes (arrays keyed by `OP_ATTRIBUTES` names)."""
        n = len(next(iter(attrs.values())))
        env = _bind(self._bindings, dict(attrs))
        applies = np.ones(n, dtype=bool)
        if self._when is not None:
            with np.errstate(all="ignore"):
                applies = np.broadcast_to(np.asarray(run(self._when, env), dtype=bool), (n,))
        values = {name: as_floats(env[name], n) for name, _ in self._bindings}
        energy = {
            c: values["energy" if c == "compute" else f"energy.{c}"] for c in self.energy_terms
        }
        units = values.get("units", np.ones(n))
        lanes = values.get("lanes", np.zeros(n))
        setup = values.get("setup", np.zeros(n))
        return RuleCost(applies.copy(), values["latency"], energy, units, values, lanes, setup)


def _bind(bindings: tuple[tuple[str, Compiled], ...], env: dict) -> dict:
    with np.errstate(all="ignore"):
        for name, compiled in bindings:
            env[name] = run(compiled, env)
    return env


@dataclass(frozen=True)
class Spec:
    """A validated hardware spec and everything needed to price a graph on it."""

    path: Path
    params: dict[str, Quantity]
    devices: dict[str, Device]
    links: dict[tuple[str, str], Link]
    rules: tuple[Rule, ...]
    warnings: tuple[str, ...]
    sources: tuple[Path, ...]

    def describe(self) -> str:
        """A human summary for `lightcode check`."""
        from lightcode.spec.describe import describe

        return describe(self)
