"""`run --trace/--gantt` on a real model: a Perfetto-loadable trace and a Gantt PNG."""

from __future__ import annotations

import json

from click.testing import CliRunner

from lightcode.cli import main
from tests.conftest import HW


def test_llama_run_writes_a_valid_trace_and_a_gantt(tmp_path):
    trace, gantt, timeline = tmp_path / "t.json", tmp_path / "g.png", tmp_path / "tl.png"
    args = ["run", str(HW / "h100_ptu.lhw"), "llama-2-7b", "--seq-len", "4096"]
    outputs = ["--trace", str(trace), "--gantt", str(gantt), "--timeline", str(timeline)]
    result = CliRunner().invoke(main, [*args, *outputs])
    assert result.exit_code == 0, result.output
    events = json.loads(trace.read_text())["traceEvents"]
    complete = [e for e in events if e["ph"] == "X"]
    assert sum(e["cat"] != "transfer" for e in complete) >= 579  # every op at least once
    for e in complete:
        assert {"name", "cat", "pid", "tid", "ts", "dur"} <= e.keys()
        assert e["ts"] >= 0 and e["dur"] >= 0
    names = {e["args"]["name"] for e in events if e["ph"] == "M" and e["name"] == "process_name"}
    assert any(n.startswith("gpu") for n in names) and any(n.startswith("ptu") for n in names)
    for png in (gantt, timeline):
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 20_000
