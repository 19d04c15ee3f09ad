"""The syntax tree of a `.lhw` file. Every node carries the `Location` it was written at."""

from __future__ import annotations

from dataclasses import dataclass

from lightcode.errors import Location
from lightcode.units import Dims

# --- expressions -------------------------------------------------------------------------


@dataclass(frozen=True)
class Number:
    """A literal, already converted to base units (`5 GHz` → value 5e9, dims 1/[time])."""

    value: float
    dims: Dims
    unit: str  # as written, '' for a plain number
    loc: Location


@dataclass(frozen=True)
class Name:
    name: str
    loc: Location


@dataclass(frozen=True)
class Dotted:
    """`owner.name`: a device's param, or the rule binding `energy.<component>`."""

    owner: str
    name: str
    loc: Location

    @property
    def text(self) -> str:
        return f"{self.owner}.{self.name}"


@dataclass(frozen=True)
class Unary:
    op: str  # '-' or 'not'
    operand: Expr
    loc: Location


@dataclass(frozen=True)
class Binary:
    op: str  # + - * / ^ and or, or a comparison
    left: Expr
    right: Expr
    loc: Location


@dataclass(frozen=True)
class Call:
    func: str
    args: tuple[Expr, ...]
    loc: Location


Expr = Number | Name | Dotted | Unary | Binary | Call

# --- statements --------------------------------------------------------------------------


@dataclass(frozen=True)
class Binding:
    """`target = expr` inside a block; `target` may be dotted (`energy.dac`)."""

    target: str
    expr: Expr
    text: str  # the expression as written
    loc: Location


@dataclass(frozen=True)
class Version:
    number: str
    loc: Location


@dataclass(frozen=True)
class Import:
    path: str
    loc: Location


@dataclass(frozen=True)
class Param:
    name: str
    expr: Expr
    text: str
    loc: Location


@dataclass(frozen=True)
class Set:
    target: str  # 'name' or 'device.name'
    expr: Expr
    text: str
    loc: Location


@dataclass(frozen=True)
class Device:
    name: str
    kind: str
    kind_loc: Location
    body: tuple[Binding, ...]
    loc: Location


@dataclass(frozen=True)
class Link:
    src: str
    dst: str
    both_ways: bool
    src_loc: Location
    dst_loc: Location
    body: tuple[Binding, ...]
    loc: Location


@dataclass(frozen=True)
class Realize:
    ops: tuple[tuple[str, Location], ...]
    device: str
    device_loc: Location
    variant: str | None
    when: Expr | None
    when_text: str | None
    body: tuple[Binding, ...]
    loc: Location


Statement = Version | Import | Param | Set | Device | Link | Realize
