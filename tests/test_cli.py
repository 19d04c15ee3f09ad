"""The command line: every failure is one located line and exit code 2; `run` reports all."""

from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from lightcode.cli import main
from tests.test_spec_errors import MALFORMED


def _invoke(*args: str):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    ("text", "line", "substring"), [c[1:] for c in MALFORMED], ids=[c[0] for c in MALFORMED]
)
def test_every_malformed_spec_fails_run_with_one_located_line(tmp_path, text, line, substring):
    spec = tmp_path / "spec.lhw"
    spec.write_text(text)
    result = _invoke("run", str(spec), "gpt2", "--seq-len", "8")
    assert result.exit_code == 2
    first = result.output.splitlines()[0]
    assert re.match(rf"^{re.escape(str(spec))}:{line}:\d+: error: ", first), first
    assert substring in first
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_run_writes_a_json_report_with_the_assignment(tmp_path, hw):
    out = tmp_path / "out.json"
    result = _invoke(
        "run",
        str(hw / "h100_ptu.lhw"),
        "gpt2",
        "--seq-len",
        "64",
        "--objective",
        "energy",
        "--json",
        str(out),
    )
    assert result.exit_code == 0, result.output
    report = json.loads(out.read_text())
    assert report["model"]["ops"] == len(report["assignment"]) == 149
    assert report["solver"]["status"] == "optimal"
    assert set(report["mapping"]) == {"gpu", "ptu"}
    assert report["energy_J"]["total"] == pytest.approx(
        sum(sum(d.values()) for d in report["energy_J"]["compute"].values())
        + sum(report["energy_J"]["transfer"].values())
        + sum(report["energy_J"]["static"].values()),
        rel=1e-9,
    )
    assert "latency" in result.output and "utilization" in result.output


def test_an_unreachable_latency_bound_names_the_fastest_mapping(hw):
    result = _invoke(
        "run", str(hw / "h100_ptu.lhw"), "gpt2", "--seq-len", "64", "--max-latency", "1us"
    )
    assert result.exit_code == 2
    assert re.match(
        r"^latency <= 1 µs is infeasible: the fastest mapping takes [\d.]+ µs$",
        result.output.splitlines()[0],
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("gpt3",), "unknown model 'gpt3'"),
        (("gpt2", "--max-latency", "3 kg"), "--max-latency '3 kg': expected a positive quantity"),
        (("gpt2", "--force", "matmul=tpu"), "unknown device 'tpu'"),
        (("gpt2", "--set", "ptu.wavelenghts=32"), "wavelenghts"),
        (("gpt2", "--seq-len", "5000"), "5000"),
        (
            ("gpt2", "--seq-len", "8", "--json", "/nonexistent/r.json"),
            "cannot write /nonexistent/r.json: folder",
        ),
    ],
)
def test_bad_arguments_are_one_line_errors(hw, args, message):
    result = _invoke("run", str(hw / "h100_ptu.lhw"), *args)
    assert result.exit_code == 2
    assert message in result.output.splitlines()[0]
    assert "Traceback" not in result.output


def test_a_power_bound_is_judged_on_the_mapping_without_idle_time(hw):
    # The MILP may meet E <= P*T by stretching a schedule; the run must not report such a
    # mapping as meeting the bound (146.8 W at 256 tokens once its idle time is removed).
    result = _invoke(
        "run", str(hw / "h100_ptu.lhw"), "gpt2", "--seq-len", "256", "--max-power", "120W"
    )
    assert result.exit_code == 2
    assert "average power 146.8 W > 120 W" in result.output.splitlines()[0]


def test_sweep_rejects_an_empty_or_too_long_grid_before_working(hw, tmp_path):
    spec = str(hw / "h100_ptu.lhw")
    empty = _invoke("sweep", spec, "gpt2", "--out", str(tmp_path), "--seq-len", "10:1:1")
    assert empty.exit_code == 2 and "the sweep is empty" in empty.output
    long = _invoke("sweep", spec, "bert-base", "--out", str(tmp_path))
    assert long.exit_code == 2 and "exceeds the context of bert-base (512)" in long.output


def test_the_default_prompt_fits_the_model(hw):
    # 1024 tokens by default, or the whole context of a model with a shorter one (BERT: 512)
    result = _invoke("run", str(hw / "lt_dota_b.lhw"), "bert-base")
    assert result.exit_code == 0, result.output
    assert "seq_len=512 " in result.output.splitlines()[0]
