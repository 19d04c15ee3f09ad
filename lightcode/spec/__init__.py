"""The `.lhw` hardware spec language: what the hardware is and what each op costs on it.

A spec file starts with `lightcode 1`; statements end at a new line or `;`, `#` starts a comment.

    import "lib/gpu.lhw"                 # relative to this file; each file is read once
    param wavelengths = 16               # a constant; params may use params, in any order
    set gpu.mem_bw = 4.8 TB/s            # change an already declared param (e.g. an imported one)
    device ptu : photonic {              # kind: photonic | electronic
      count = 1                          # reserved: units of this device (a whole number >= 1)
      static_power = 2 W + rows * cols * 1.2 mW   # reserved: W per unit; `memory` (bytes) too
      rows = 64; cols = 64; clock = 5 GHz; e_dac = 3.6 pJ; e_adc = 1.6 pJ
    }
    link gpu <-> ptu { bandwidth = 4 Tbit/s; latency = 5 ns; energy = 5 pJ/bit }
    realize matmul on ptu as "w16" when static and K >= 64 {
      passes = ceil(M / rows) * ceil(N / cols) * ceil(K / wavelengths)   # a local binding
      latency = passes / clock                       # required: a time
      energy.dac = (M * K + K * N) * e_dac           # required: `energy` and/or `energy.<part>`
      energy.adc = M * N * ceil(K / wavelengths) * e_adc
    }

Numbers carry units from a closed vocabulary (`lightcode.units`): s Hz J W V A m bit B FLOP MAC
op OPS dB dBm % with SI prefixes (and Ki Mi Gi Ti on B and bit), joined by `/`, with `^n`:
`3.35 TB/s`, `0.71 pJ/FLOP`, `4 µs`. Expressions: `+ - * / ^` (or `**`), comparisons, `and or
not`, `dev.param`, and ceil floor log2 log10 sqrt abs min max from_db from_dbm db.

Names in a rule resolve to its bindings, then op attributes (`OP_ATTRIBUTES`: M N K flops bytes
static ...), then the device's params, then global params; in a link, to its bindings, then the
edge's `bytes` and `elements`, then global params. A link's time is `latency + bytes /
bandwidth`; its energy is `energy * bits` when `energy` is per bit (or byte), else `energy`.
Dimensions are checked when a spec loads; every mistake is a located `SpecError`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

from lightcode.errors import UsageError
from lightcode.spec.loader import load_spec
from lightcode.spec.types import Device, Link, Quantity, Rule, RuleCost, Spec

__all__ = [
    "Device",
    "Link",
    "Quantity",
    "Rule",
    "RuleCost",
    "Spec",
    "load_spec",
    "parse_overrides",
]

_OVERRIDE = re.compile(r"\s*([A-Za-z_]\w*(?:\.[A-Za-z_]\w*)?)\s*=(.*)", re.DOTALL)


def parse_overrides(items: Iterable[str]) -> dict[str, str]:
    """`["ptu.wavelengths=32"]` → `{"ptu.wavelengths": "32"}`; malformed items → `UsageError`."""
    overrides: dict[str, str] = {}
    for item in items:
        match = _OVERRIDE.fullmatch(item)
        if match is None or not match.group(2).strip():
            raise UsageError(
                f"malformed --set {item!r}", hint="write NAME=VALUE or DEVICE.NAME=VALUE"
            )
        overrides[match.group(1)] = match.group(2).strip()
    return overrides
