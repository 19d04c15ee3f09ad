"""Number formatting for reports: engineering prefixes, no unit library needed."""

from __future__ import annotations

import math

_PREFIXES = [
    (1e12, "T"),
    (1e9, "G"),
    (1e6, "M"),
    (1e3, "k"),
    (1.0, ""),
    (1e-3, "m"),
    (1e-6, "µ"),
    (1e-9, "n"),
    (1e-12, "p"),
    (1e-15, "f"),
]


def si(value: float, unit: str, digits: int = 4) -> str:
    """`si(0.00123, "s")` → '1.23 ms'."""
    if value == 0 or not math.isfinite(value):
        return f"{value:g} {unit}"
    mag = abs(value)
    for scale, prefix in _PREFIXES:
        if mag >= scale * 0.9995:
            return f"{value / scale:.{digits}g} {prefix}{unit}"
    scale, prefix = _PREFIXES[-1]
    return f"{value / scale:.{digits}g} {prefix}{unit}"


def count(value: float) -> str:
    """`count(5.5e12)` → '5.5 T' (FLOPs, parameters)."""
    return si(value, "").rstrip()


def percent(part: float, whole: float) -> str:
    return f"{100.0 * part / whole:.1f}%" if whole else "-"


_TIME_UNITS = ((1.0, "s"), (1e-3, "ms"), (1e-6, "µs"), (1e-9, "ns"))


def time_unit(seconds: float) -> tuple[float, str]:
    """The largest unit in which `seconds` is at least 1 (ns for tiny values): (scale, name)."""
    return next(((s, u) for s, u in _TIME_UNITS if seconds >= s), _TIME_UNITS[-1])


def slot_name(device: str, unit: int, lane: int, lanes: int) -> str:
    """A lane of a device unit in traces and charts: 'ptu[0]', or 'ptu[0] λ3' with WDM lanes."""
    return f"{device}[{unit}]" + (f" λ{lane}" if lanes > 1 else "")
