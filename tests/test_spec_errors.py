"""Each kind of malformed spec gives a located one-line `SpecError` (exit code 2 in the CLI)."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest

from lightcode.errors import SpecError
from lightcode.spec import load_spec

GPU = """lightcode 1
device gpu : electronic {
  peak = 67 TFLOP/s
  e_flop = 0.7 pJ/FLOP
}
"""  # 5 lines; cases below append to it, so their errors are on line 6 or later


def _rule(body: str, header: str = "realize add on gpu") -> str:
    return GPU + header + " {\n" + body + "\n}\n"


OK_RULE = "latency = flops / peak\nenergy = flops * e_flop"

# (id, spec text, line of the error, substring of the message); the file is written as spec.lhw
MALFORMED = [
    ("syntax-dangling-operator", "lightcode 1\nparam x = 2 +\n", 2, "expected an expression"),
    ("syntax-unclosed-paren", "lightcode 1\nparam x = (1 + 2\n", 2, "')'"),
    ("syntax-bad-character", "lightcode 1\nparam x = 3 @ 4\n", 2, "unexpected character '@'"),
    ("syntax-unclosed-block", GPU + "device ptu : photonic {\n  a = 1\n", 7, "the '{' at line 6"),
    ("unknown-unit", "lightcode 1\nparam link_bw = 5 Gbps\n", 2, "unknown unit 'Gbps'"),
    ("missing-operator", "lightcode 1\nparam rows = 8\nparam x = 64 rows\n", 3, "unknown unit"),
    ("no-version", "param x = 1\n", 1, "must start with 'lightcode 1'"),
    ("wrong-version", "lightcode 2\nparam x = 1\n", 1, "unsupported language version 2"),
    ("second-version", "lightcode 1\nlightcode 1\n", 2, "must be the first statement"),
    (
        "for-without-variant-slot",
        GPU + 'realize add on gpu as "x" for s in 1, 2 {\n' + OK_RULE + "\n}\n",
        6,
        "needs a variant naming {s}",
    ),
    ("unknown-name", _rule("latency = flops / peek\nenergy = 0 J"), 7, "unknown name 'peek'"),
    ("op-attribute-in-device", GPU + "device d : electronic { x = M }\n", 6, "op attribute"),
    ("unknown-function", _rule("latency = cell(1) * 1 s\nenergy = 0 J"), 7, "function 'cell'"),
    ("unknown-op-kind", _rule(OK_RULE, "realize addd on gpu"), 6, "unknown op kind 'addd'"),
    ("unknown-rule-device", _rule(OK_RULE, "realize add on gpuu"), 6, "unknown device 'gpuu'"),
    (
        "unknown-link-device",
        GPU + "link gpu -> ptu { latency = 1 ns }\n",
        6,
        "unknown device 'ptu'",
    ),
    ("unknown-dotted-device", "lightcode 1\nparam x = gpu.peak\n", 2, "unknown device 'gpu'"),
    ("duplicate-device", GPU + "device gpu : electronic { }\n", 6, "'gpu' is already declared"),
    ("duplicate-param", "lightcode 1\nparam x = 1\nparam x = 2\n", 3, "'x' is already declared"),
    ("duplicate-device-param", GPU[:-2] + "  peak = 1 FLOP/s\n}\n", 5, "'gpu.peak' is already"),
    (
        "duplicate-link",
        GPU + "link gpu <-> gpu { }\nlink gpu -> gpu { latency = 1 ns }\n",
        7,
        "link gpu -> gpu is already declared",
    ),
    ("duplicate-binding", _rule(OK_RULE + "\nlatency = 1 s"), 9, "'latency' is already bound"),
    (
        "duplicate-rule-condition",
        _rule(OK_RULE, "realize add on gpu when K > 1") + _rule(OK_RULE)[len(GPU) :],
        10,
        "already realized",
    ),
    ("dotted-binding", _rule(OK_RULE + "\nlatency.x = 1 s"), 9, "not a binding name here"),
    ("energy-compute-part", _rule(OK_RULE + "\nenergy.compute = 1 J"), 9, "written 'energy = ...'"),
    ("duplicate-rule", _rule(OK_RULE) + _rule(OK_RULE)[len(GPU) :], 10, "already realized"),
    ("missing-latency", _rule("energy = flops * e_flop"), 6, "no 'latency"),
    ("missing-energy", _rule("latency = flops / peak"), 6, "no 'energy"),
    (
        "latency-not-a-time",
        _rule("latency = flops * e_flop\nenergy = flops * e_flop"),
        7,
        "'latency' must be a time (s), but this expression is an energy (J)",
    ),
    ("add-mismatch", _rule("latency = flops / peak + 1 J\nenergy = 0 J"), 7, "cannot add a time"),
    ("max-mismatch", _rule("latency = max(1 s, 1 B)\nenergy = 0 J"), 7, "same dimensions"),
    ("compare-mismatch", _rule(OK_RULE, "realize add on gpu when bytes > 1"), 6, "cannot compare"),
    ("when-not-a-condition", _rule(OK_RULE, "realize add on gpu when K"), 6, "needs a condition"),
    ("flag-as-number", _rule("latency = static * 1 s\nenergy = 0 J"), 7, "cannot be used as a"),
    ("exponent-with-units", "lightcode 1\nparam x = 2 ^ (1 s)\n", 2, "exponent must be a plain"),
    ("ceil-of-time", "lightcode 1\nparam x = ceil(1 ns)\n", 2, "ceil() needs a plain number"),
    ("param-not-finite", "lightcode 1\nparam x = 1 / 0\n", 2, "not a finite number"),
    ("import-cycle", 'lightcode 1\nimport "spec.lhw"\n', 2, "import cycle: spec.lhw -> spec.lhw"),
    ("missing-import", 'lightcode 1\nimport "lib/none.lhw"\n', 2, "cannot import 'lib/none.lhw'"),
    (
        "param-cycle",
        "lightcode 1\nparam a = b + 1\nparam b = 2 * a\n",
        2,
        "param cycle: a -> b -> a",
    ),
    ("reserved-param-name", "lightcode 1\nparam K = 3\n", 2, "'K' is an op attribute name"),
    ("unknown-device-kind", "lightcode 1\ndevice d : optical { }\n", 2, "unknown device kind"),
    (
        "negative-device-param",
        GPU + "device d : electronic { e = -1 pJ }\n",
        6,
        "must not be negative",
    ),
    ("count-fraction", GPU + "device d : photonic {\n  count = 1.5\n}\n", 7, "whole number"),
    ("count-zero", GPU + "device d : photonic { count = 0 }\n", 6, "whole number"),
    ("static-power-unit", GPU + "device d : photonic { static_power = 2 J }\n", 6, "a power (W)"),
    ("zero-bandwidth", GPU + "link gpu -> gpu { bandwidth = 0 B/s }\n", 6, "must be positive"),
    ("bandwidth-unit", GPU + "link gpu -> gpu { bandwidth = 5 GHz }\n", 6, "a bandwidth (B/s)"),
    ("negative-latency", GPU + "link gpu -> gpu { latency = -1 ns }\n", 6, "must not be negative"),
    ("link-energy-unit", GPU + "link gpu -> gpu { energy = bytes }\n", 6, "an energy per data"),
    ("set-undeclared", "lightcode 1\nparam x = 1\nset y = 2\n", 3, "cannot set 'y'"),
    ("set-wrong-dims", "lightcode 1\nparam x = 1 ns\nset x = 2 pJ\n", 3, "declared as a time"),
]


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "spec.lhw"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("text", "line", "substring"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_malformed_spec_is_a_located_error(tmp_path: Path, text: str, line: int, substring: str):
    path = _write(tmp_path, text)
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    message = str(caught.value)
    assert re.match(rf"{re.escape(str(path))}:{line}:\d+: error: ", message), message
    assert substring in message
    assert caught.value.context is not None and caught.value.context.endswith("^")


def test_unknown_name_hints_the_closest_name(tmp_path: Path):
    path = _write(tmp_path, MALFORMED[[c[0] for c in MALFORMED].index("unknown-name")][1])
    with pytest.raises(SpecError) as caught:
        load_spec(path)
    assert caught.value.hint == "did you mean 'peak'?"
    assert caught.value.context == "latency = flops / peek\n                  ^"


def test_missing_spec_file_is_an_error(tmp_path: Path):
    with pytest.raises(SpecError, match="cannot read"):
        load_spec(tmp_path / "none.lhw")


@pytest.mark.parametrize("case", ["unknown-unit", "latency-not-a-time", "import-cycle"])
def test_cli_check_reports_one_located_line(tmp_path: Path, case: str):
    _, text, line, substring = next(c for c in MALFORMED if c[0] == case)
    path = _write(tmp_path, text)
    run = subprocess.run(
        [sys.executable, "-m", "lightcode", "check", str(path)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 2
    first = run.stderr.splitlines()[0]
    assert re.match(rf"{re.escape(str(path))}:{line}:\d+: error: .*{re.escape(substring)}", first)
    assert "Traceback" not in run.stderr
