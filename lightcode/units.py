"""The closed unit vocabulary of `.lhw` specs, on a small custom pint registry.

Base units: s [time], J [energy], B [information] (bit = B/8), FLOP [compute] (MAC = 2 FLOP,
op = FLOP), m [length], A [current] and dB [decibel] (dBm shares it, so levels add). Every
quantity is carried as a float in these base units plus its dimensionality (a pint
`UnitsContainer`). pint's default registry is not used: it makes bit dimensionless and reads
`Gb` as gilbert.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache

import pint
from pint.util import UnitsContainer

Dims = UnitsContainer

_DEFINITIONS = """
second = [time] = s
joule = [energy] = J
byte = [information] = B
FLOP = [compute]
meter = [length] = m
ampere = [current] = A
decibel = [decibel] = dB
dBm = decibel
watt = joule / second = W
hertz = 1 / second = Hz
volt = watt / ampere = V
bit = byte / 8
MAC = 2 * FLOP
op = FLOP
OPS = op / second
FLOPS = FLOP / second
percent = 0.01 = %
femto- = 1e-15 = f-
pico- = 1e-12 = p-
nano- = 1e-9 = n-
micro- = 1e-6 = u- = µ-
milli- = 1e-3 = m-
centi- = 1e-2 = c-
kilo- = 1e3 = k-
mega- = 1e6 = M-
giga- = 1e9 = G-
tera- = 1e12 = T-
peta- = 1e15 = P-
kibi- = 2**10 = Ki-
mebi- = 2**20 = Mi-
gibi- = 2**30 = Gi-
tebi- = 2**40 = Ti-
"""

SI_PREFIXES = ("f", "p", "n", "u", "µ", "m", "c", "k", "M", "G", "T", "P")
BINARY_PREFIXES = ("Ki", "Mi", "Gi", "Ti")
PREFIXABLE = ("s", "Hz", "J", "W", "V", "A", "m", "bit", "B", "FLOP", "FLOPS", "MAC", "op", "OPS")
BINARY_PREFIXABLE = ("bit", "B")
UNPREFIXED = ("dB", "dBm", "percent", "%")


def _registry() -> pint.UnitRegistry:
    registry = pint.UnitRegistry(None)
    for line in _DEFINITIONS.strip().splitlines():
        registry.define(line)
    return registry


REGISTRY = _registry()

DIMENSIONLESS = Dims()
TIME = Dims({"[time]": 1})
ENERGY = Dims({"[energy]": 1})
INFORMATION = Dims({"[information]": 1})
COMPUTE = Dims({"[compute]": 1})
DECIBEL = Dims({"[decibel]": 1})
POWER = ENERGY / TIME
BANDWIDTH = INFORMATION / TIME
ENERGY_PER_INFORMATION = ENERGY / INFORMATION

_WORDS = {
    DIMENSIONLESS: "a plain number",
    TIME: "a time",
    ENERGY: "an energy",
    POWER: "a power",
    INFORMATION: "an amount of data",
    COMPUTE: "an amount of compute",
    DECIBEL: "a level in dB",
    BANDWIDTH: "a bandwidth",
    ENERGY_PER_INFORMATION: "an energy per data",
    Dims({"[time]": -1}): "a frequency",
    COMPUTE / TIME: "a compute rate",
    ENERGY / COMPUTE: "an energy per compute",
}
_BASE_SYMBOLS = {
    "[time]": "s",
    "[energy]": "J",
    "[information]": "B",
    "[compute]": "FLOP",
    "[length]": "m",
    "[current]": "A",
    "[decibel]": "dB",
}
_NAMED = {POWER: "W", Dims({"[time]": -1}): "Hz"}
_ENGINEERING = ((1e15, "P"), (1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "k"), (1.0, ""))
_ENGINEERING += ((1e-3, "m"), (1e-6, "µ"), (1e-9, "n"), (1e-12, "p"), (1e-15, "f"))


@dataclass(frozen=True)
class Unit:
    """A parsed unit: its factor to base units and its dimensionality."""

    factor: float
    dims: Dims


class UnknownUnitError(ValueError):
    """A unit outside the vocabulary."""


@cache
def parse_unit(text: str) -> Unit:
    """Parse a unit string such as 'TB/s' or 'pJ/bit' (cached: a lookup costs a dict hit)."""
    if not text:
        return Unit(1.0, DIMENSIONLESS)
    try:
        base = REGISTRY.Quantity(1.0, text).to_base_units()
    except (pint.errors.PintError, AttributeError, TypeError, ValueError) as err:
        raise UnknownUnitError(text) from err
    return Unit(float(base.magnitude), Dims(base.dimensionality))


def unit_spellings() -> list[str]:
    """Every single unit word the vocabulary accepts (for 'did you mean' hints)."""
    words = [p + u for p in ("", *SI_PREFIXES) for u in PREFIXABLE]
    words += [p + u for p in BINARY_PREFIXES for u in BINARY_PREFIXABLE]
    return words + list(UNPREFIXED)


def unit_of(dims: Dims) -> str:
    """A canonical unit string for a dimensionality, e.g. 'J/B', 'W', 'FLOP/s'."""
    if dims in _NAMED:
        return _NAMED[dims]
    up = [_power(_BASE_SYMBOLS[d], e) for d, e in sorted(dims.items()) if e > 0]
    down = [_power(_BASE_SYMBOLS[d], -e) for d, e in sorted(dims.items()) if e < 0]
    text = "*".join(up) or ("1" if down else "")
    return text + "".join("/" + d for d in down)


def _power(symbol: str, exponent: float) -> str:
    return symbol if exponent == 1 else f"{symbol}^{exponent:g}"


def describe_dims(dims: Dims) -> str:
    """Words for a dimensionality, e.g. 'an energy (J)' or 'J/FLOP^2'."""
    word = _WORDS.get(dims)
    unit = unit_of(dims)
    if word is None:
        return unit
    return f"{word} ({unit})" if unit else word


def display_unit(value: float, dims: Dims) -> str:
    """The canonical unit with an engineering prefix that suits `value` (e.g. 'ns', 'pJ/B')."""
    unit = unit_of(dims)
    if not unit or not unit.startswith(PREFIXABLE) or value == 0 or not math.isfinite(value):
        return unit
    for scale, prefix in _ENGINEERING:
        if abs(value) >= scale * 0.9995:
            return prefix + unit
    return "f" + unit


def format_value(value: float, unit: str) -> str:
    """`value` (in base units) written in `unit`, e.g. '3.35 TB/s'."""
    number = f"{value / parse_unit(unit).factor:.6g}"
    return f"{number} {unit}" if unit else number
