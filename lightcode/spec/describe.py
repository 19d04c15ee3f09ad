"""The human summary `lightcode check` prints for a spec."""

from __future__ import annotations

from typing import TYPE_CHECKING

from lightcode.frontend.graph import OP_KINDS
from lightcode.report.format import si

if TYPE_CHECKING:
    from lightcode.spec.types import Spec


def describe(spec: Spec) -> str:
    lines = [f"spec {spec.path} ({len(spec.sources)} file{'s' * (len(spec.sources) != 1)})"]
    if spec.params:
        lines.append("params:")
        lines += [f"  {name} = {value}" for name, value in spec.params.items()]
    lines.append("devices:")
    for device in spec.devices.values():
        memory = f", memory {si(device.memory, 'B', digits=6)}" if device.memory is not None else ""
        header = f"  {device.name} ({device.kind}, count {device.count}"
        lines.append(f"{header}, static power {device.static_power:.6g} W{memory})")
        lines += [f"    {name} = {value}" for name, value in device.params.items()]
    lines.append("links:" if spec.links else "links: none")
    for (src, dst), link in spec.links.items():
        terms = ", ".join(f"{k} = {v}" for k, v in link.terms.items())
        written = link.terms.get("bandwidth", "")
        if link.bandwidth is not None and not written[:1].isdigit():  # what a name resolves to
            terms = terms.replace(
                f"bandwidth = {link.terms['bandwidth']}",
                f"bandwidth = {link.terms['bandwidth']} ({si(link.bandwidth * 8, 'bit/s')})",
            )
        shared = "" if link.shared else " (each reader pays its own transfer)"
        lines.append(f"  {src} -> {dst}: {terms or 'free'}{shared}")
    lines.append("rules:")
    for kind in OP_KINDS:
        options = [_option(rule) for rule in spec.rules if kind in rule.ops]
        if options:
            lines.append(f"  {kind}: " + "; ".join(options))
    missing = [k for k in OP_KINDS if not any(k in rule.ops for rule in spec.rules)]
    lines.append("op kinds without a rule: " + (", ".join(missing) or "none"))
    return "\n".join(lines)


def _option(rule) -> str:
    text = rule.device + (f' as "{rule.variant}"' if rule.variant else "")
    return text + (f" when {rule.when}" if rule.when else "")
