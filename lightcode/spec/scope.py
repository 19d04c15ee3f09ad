"""What a name means where it is used: its kind (dimensions or a flag) and where its value is."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, Protocol

from lightcode.spec import ast
from lightcode.units import Dims

BOOL: Literal["bool"] = "bool"
Kind = Dims | Literal["bool"]  # a quantity's dimensionality, or a true/false flag


@dataclass(frozen=True)
class Symbol:
    """A resolved name: a constant (a param) or a slot read from the runtime values."""

    kind: Kind
    value: float | None = None
    slot: str | None = None


class Scope(Protocol):
    def lookup(self, node: ast.Name | ast.Dotted) -> Symbol:
        """Resolve a name or raise a located `SpecError`."""
        ...
