"""Checked expressions → closures over numpy arrays of base-unit floats (compiled once).

A compiled expression is either a float (everything constant was folded at compile time) or a
function of the runtime values (op or edge attributes and earlier bindings, by slot name).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import reduce

import numpy as np

from lightcode.spec import ast
from lightcode.spec.scope import Scope

Env = Mapping[str, np.ndarray]
Compiled = float | Callable[[Env], np.ndarray]

_BINARY: dict[str, Callable] = {
    "+": np.add,
    "-": np.subtract,
    "*": np.multiply,
    "/": np.divide,
    "^": np.power,
    "and": np.logical_and,
    "or": np.logical_or,
    "<": np.less,
    "<=": np.less_equal,
    ">": np.greater,
    ">=": np.greater_equal,
    "==": np.equal,
    "!=": np.not_equal,
}
_FUNCTIONS: dict[str, Callable] = {
    "ceil": np.ceil,
    "floor": np.floor,
    "log2": np.log2,
    "log10": np.log10,
    "sqrt": np.sqrt,
    "abs": np.abs,
    "min": lambda *xs: reduce(np.minimum, xs),
    "max": lambda *xs: reduce(np.maximum, xs),
    "from_db": lambda x: 10.0 ** (x / 10.0),
    "from_dbm": lambda x: 1e-3 * 10.0 ** (x / 10.0),
    "db": lambda x: 10.0 * np.log10(x),
}


def compile_expr(expr: ast.Expr, scope: Scope) -> Compiled:
    """Compile a dimension-checked expression; names are resolved once, here."""
    match expr:
        case ast.Number():
            return expr.value
        case ast.Name() | ast.Dotted():
            symbol = scope.lookup(expr)
            if symbol.value is not None:
                return symbol.value
            slot = symbol.slot
            return lambda env: env[slot]
        case ast.Unary():
            fn = np.logical_not if expr.op == "not" else np.negative
            return _apply(fn, [compile_expr(expr.operand, scope)])
        case ast.Binary():
            parts = [compile_expr(expr.left, scope), compile_expr(expr.right, scope)]
            return _apply(_BINARY[expr.op], parts)
        case ast.Call():
            return _apply(_FUNCTIONS[expr.func], [compile_expr(a, scope) for a in expr.args])
    raise TypeError(expr)


def run(compiled: Compiled, env: Env) -> np.ndarray | float:
    """The value of a compiled expression for the runtime values in `env`."""
    return compiled(env) if callable(compiled) else compiled


def as_floats(value: np.ndarray | float, n: int) -> np.ndarray:
    """`value` as a float array of length n (constants are broadcast)."""
    array = np.asarray(value, dtype=float)
    return np.full(n, float(array)) if array.ndim == 0 else array


def _apply(fn: Callable, parts: list[Compiled]) -> Compiled:
    if not any(callable(p) for p in parts):
        with np.errstate(all="ignore"):
            return float(fn(*parts))
    getters = [p if callable(p) else _constant(p) for p in parts]
    if len(getters) == 1:
        (only,) = getters
        return lambda env: fn(only(env))
    if len(getters) == 2:
        left, right = getters
        return lambda env: fn(left(env), right(env))
    return lambda env: fn(*(g(env) for g in getters))


def _constant(value: float) -> Callable[[Env], float]:
    return lambda env: value
