"""Dimension checking: the kind of every expression, computed before anything is evaluated."""

from __future__ import annotations

from lightcode.spec import ast
from lightcode.spec.diagnostics import did_you_mean, error
from lightcode.spec.scope import BOOL, Kind, Scope
from lightcode.units import DECIBEL, DIMENSIONLESS, POWER, Dims, describe_dims

# function → (number of arguments or None for one or more, argument rule)
FUNCTIONS: dict[str, tuple[int | None, str]] = {
    "ceil": (1, "plain"),
    "floor": (1, "plain"),
    "log2": (1, "plain"),
    "log10": (1, "plain"),
    "sqrt": (1, "any"),
    "abs": (1, "any"),
    "min": (None, "same"),
    "max": (None, "same"),
    "from_db": (1, "decibel"),
    "from_dbm": (1, "decibel"),
    "db": (1, "plain"),
}
_VERBS = {"+": "add", "-": "subtract"}


def describe(kind: Kind) -> str:
    return "a condition (true/false)" if kind == BOOL else describe_dims(kind)


def check(expr: ast.Expr, scope: Scope) -> Kind:
    """The kind of `expr`; raises a located `SpecError` on any dimension mistake."""
    match expr:
        case ast.Number():
            return expr.dims
        case ast.Name() | ast.Dotted():
            return scope.lookup(expr).kind
        case ast.Unary(op="not"):
            _condition(expr.operand, scope, "'not'")
            return BOOL
        case ast.Unary():
            return _quantity(expr.operand, scope)
        case ast.Binary(op="and" | "or"):
            _condition(expr.left, scope, f"'{expr.op}'")
            _condition(expr.right, scope, f"'{expr.op}'")
            return BOOL
        case ast.Binary():
            return _binary(expr, scope)
        case ast.Call():
            return _call(expr, scope)
    raise TypeError(expr)


def require(expr: ast.Expr, kind: Kind, allowed: tuple[Dims, ...], what: str) -> None:
    """Check that `expr`, of `kind`, has one of the `allowed` dimensions; `what` names it."""
    if kind not in allowed:
        wanted = " or ".join(describe_dims(d) for d in allowed)
        raise error(expr.loc, f"{what} must be {wanted}, but this expression is {describe(kind)}")


def _quantity(expr: ast.Expr, scope: Scope) -> Dims:
    kind = check(expr, scope)
    if kind == BOOL:
        raise error(expr.loc, "a condition (true/false) cannot be used as a number")
    return kind


def _condition(expr: ast.Expr, scope: Scope, user: str) -> None:
    kind = check(expr, scope)
    if kind != BOOL:
        raise error(expr.loc, f"{user} needs a condition, but this is {describe(kind)}")


def _binary(expr: ast.Binary, scope: Scope) -> Kind:
    left = _quantity(expr.left, scope)
    if expr.op == "^":
        return _power(left, expr.right, scope)
    right = _quantity(expr.right, scope)
    if expr.op in ("*", "/"):
        return left * right if expr.op == "*" else left / right
    if left != right:
        verb = _VERBS.get(expr.op, "compare")
        message = f"cannot {verb} {describe_dims(left)} and {describe_dims(right)}"
        raise error(expr.right.loc, message)
    return left if expr.op in _VERBS else BOOL


def _power(base: Dims, exponent: ast.Expr, scope: Scope) -> Dims:
    kind = _quantity(exponent, scope)
    if kind != DIMENSIONLESS:
        raise error(exponent.loc, f"an exponent must be a plain number, not {describe_dims(kind)}")
    if base == DIMENSIONLESS:
        return base
    value = _constant(exponent)
    if value is None:
        raise error(exponent.loc, "the exponent of a quantity with units must be a constant number")
    return base**value


def _constant(expr: ast.Expr) -> float | None:
    """The value of a unitless numeric literal expression such as `2` or `-1/2`, else None."""
    match expr:
        case ast.Number(unit=""):
            return expr.value
        case ast.Unary(op="-"):
            inner = _constant(expr.operand)
            return None if inner is None else -inner
        case ast.Binary(op="*" | "/" | "+" | "-"):
            left, right = _constant(expr.left), _constant(expr.right)
            if left is None or right is None:
                return None
            if expr.op == "/":
                return left / right if right else None
            return {"*": left * right, "+": left + right, "-": left - right}[expr.op]
    return None


def _call(expr: ast.Call, scope: Scope) -> Dims:
    if expr.func not in FUNCTIONS:
        raise error(expr.loc, f"unknown function '{expr.func}'", did_you_mean(expr.func, FUNCTIONS))
    arity, rule = FUNCTIONS[expr.func]
    if (arity is None and not expr.args) or (arity is not None and len(expr.args) != arity):
        count = "one or more arguments" if arity is None else f"{arity} argument"
        raise error(expr.loc, f"{expr.func}() takes {count}, got {len(expr.args)}")
    kinds = [_quantity(arg, scope) for arg in expr.args]
    first = kinds[0]
    if rule == "same":
        for arg, kind in zip(expr.args[1:], kinds[1:], strict=True):
            if kind != first:
                message = f"{expr.func}() arguments must have the same dimensions: "
                message += f"this is {describe_dims(kind)}, the first is {describe_dims(first)}"
                raise error(arg.loc, message)
        return first
    if rule == "any":
        return first**0.5 if expr.func == "sqrt" else first
    wanted = DECIBEL if rule == "decibel" else DIMENSIONLESS
    if first != wanted:
        message = f"{expr.func}() needs {describe_dims(wanted)}, but this is {describe_dims(first)}"
        raise error(expr.args[0].loc, message)
    return {"from_db": DIMENSIONLESS, "from_dbm": POWER, "db": DECIBEL}.get(expr.func, first)
