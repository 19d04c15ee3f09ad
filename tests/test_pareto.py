"""The Pareto front: monotone, ends equal to the single-objective optima; CLI writes CSV + PNG."""

from __future__ import annotations

import itertools

import pytest
from click.testing import CliRunner

from lightcode.cli import main
from lightcode.frontend import trace
from lightcode.select import solve_milp
from lightcode.select.pareto import pareto_front
from lightcode.spec import load_spec
from lightcode.stacked import build_stacked_graph


@pytest.fixture(scope="module")
def stacked(hw):
    return build_stacked_graph(load_spec(hw / "h100_2ptu.lhw"), trace("gpt2", 1024))


def test_front_is_monotone_and_ends_are_the_optima(stacked):
    front = pareto_front(stacked, points=6)
    assert len(front) >= 2
    for a, b in itertools.pairwise(front):
        assert b.latency > a.latency and b.energy < a.energy
    fast, frugal = solve_milp(stacked, "latency"), solve_milp(stacked, "energy")
    assert front[0].end == "latency-optimal" and front[-1].end == "energy-optimal"
    assert (front[0].latency, front[0].energy) == pytest.approx((fast.latency, fast.energy))
    assert (front[-1].latency, front[-1].energy) == pytest.approx((frugal.latency, frugal.energy))
    for p in front[1:-1]:
        assert p.latency <= p.bound * (1 + 1e-9)


def test_pareto_command_writes_csv_and_plot(hw, tmp_path):
    csv, png = tmp_path / "front.csv", tmp_path / "front.png"
    result = CliRunner().invoke(
        main,
        [
            "pareto",
            str(hw / "h100_2ptu.lhw"),
            "gpt2",
            "--seq-len",
            "512",
            "--points",
            "4",
            "--out",
            str(csv),
            "--plot",
            str(png),
        ],
    )
    assert result.exit_code == 0, result.output
    rows = csv.read_text().splitlines()
    assert rows[0] == "latency_s,energy_J,latency_bound_s,end"
    assert rows[1].endswith("latency-optimal") and rows[-1].endswith("energy-optimal")
    assert png.stat().st_size > 1000
