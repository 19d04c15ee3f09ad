"""`lightcode.sweep` and the `lightcode sweep` command."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from click.testing import CliRunner

from lightcode.cli import main
from lightcode.errors import UsageError
from lightcode.sweep import clamp_seq_lens, parse_grid

SPEC = Path(__file__).resolve().parents[1] / "hw" / "lightcode_paper.lhw"


def test_parse_grid():
    assert parse_grid("0:4096:128")[-1] == 4096
    assert len(parse_grid("0:4096:128")) == 33
    assert parse_grid("0:100:30") == [0, 30, 60, 90]
    assert parse_grid("1,5,20") == [1, 5, 20]
    assert parse_grid("0.07pJ,0.1pJ", integer=False) == ["0.07pJ", "0.1pJ"]
    assert clamp_seq_lens([0, 1, 128]) == [1, 128]
    with pytest.raises(UsageError):
        parse_grid("1:2")


def test_sweep_cli(tmp_path):
    out = tmp_path / "sw"
    result = CliRunner().invoke(
        main,
        [
            "sweep",
            str(SPEC),
            "gpt2",
            "--seq-len",
            "0:256:128",
            "--objective",
            "latency,energy",
            "--set",
            "wavelengths=5,20",
            "--out",
            str(out),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader((out / "sweep.csv").open()))
    assert len(rows) == 12  # 3 lengths (0 clamped to 1) x 2 objectives x 2 values
    assert {r["seq_len"] for r in rows} == {"1", "128", "256"}
    cols = set(rows[0])
    for col in [
        "model",
        "seq_len",
        "wavelengths",
        "objective",
        "latency_s",
        "latency_planned_s",
        "energy_J",
        "energy_compute_gpu_J",
        "energy_compute_ptu_J",
        "energy_transfer_J",
        "energy_static_J",
        "ops_gpu",
        "ops_ptu",
        "matmuls_gpu",
        "matmuls_ptu",
        "solve_s",
    ]:
        assert col in cols
    for name in ["latency_vs_seq", "energy_vs_seq", "energy_breakdown", "mapping_share"]:
        assert (out / f"{name}.png").stat().st_size > 0


def test_sweep_bad_grid(tmp_path):
    result = CliRunner().invoke(
        main, ["sweep", str(SPEC), "gpt2", "--seq-len", "x", "--out", str(tmp_path)]
    )
    assert result.exit_code == 2


def test_swept_params_get_their_own_series_and_underscored_devices_stay_whole():
    from lightcode.sweep import _series_keys, energy_categories

    rows = [
        {"model": "g", "seq_len": 1, "w": w, "force": "", "objective": "latency", "latency_s": 1}
        for w in ("1", "5")
    ]
    assert _series_keys(rows) == ["w", "objective"]
    row = {"ops_my_ptu": 1, "energy_my_ptu_laser_J": 2.0, "energy_transfer_J": 0.5}
    assert energy_categories(row)["my_ptu"] == 2.0
