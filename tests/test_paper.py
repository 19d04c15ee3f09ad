"""Golden tests: the LightCode paper's study reproduced with hw/lightcode_paper.lhw.

Every target comes from ../shared/reference/paper.md ("Where those figures come from"),
which quotes the authors' result files re-run with their code.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from lightcode.api import compile_and_simulate
from lightcode.frontend import trace
from lightcode.spec import load_spec

SPEC = Path(__file__).resolve().parents[1] / "hw" / "lightcode_paper.lhw"


@pytest.fixture(scope="module")
def graphs():
    """Trace once per (model, length)."""
    return {
        ("gpt2", 1024): trace("gpt2", 1024),
        ("gpt2", 1000): trace("gpt2", 1000),
        ("llama-2-7b", 3900): trace("llama-2-7b", 3900),
    }


@pytest.fixture(scope="module")
def specs():
    return {
        "0.1": load_spec(SPEC),
        "0.07": load_spec(SPEC, {"gpu_mac_energy": "0.07pJ"}),
        "w1": load_spec(SPEC, {"wavelengths": "1"}),
    }


def _run(spec, graph, objective, force=None):
    r = compile_and_simulate(spec, graph, objective=objective, force=force)
    dev = r.stacked.device[r.selection.choice]
    ptu = r.stacked.devices.index("ptu")
    mm = np.array([op.kind == "matmul" for op in graph.ops])
    return r, int((dev[mm] == ptu).sum()), int(mm.sum())


def _saving(spec, graph):
    lat, _, _ = _run(spec, graph, "latency")
    en, _, _ = _run(spec, graph, "energy")
    return 1 - en.sim.total_energy / lat.sim.total_energy


def test_gpt2_mapping_extremes(graphs, specs):
    # paper.md: latency objective puts none of the 73 matmuls on the PTU, energy objective all
    _, on_ptu, total = _run(specs["0.1"], graphs["gpt2", 1024], "latency")
    assert (on_ptu, total) == (0, 73)
    _, on_ptu, _ = _run(specs["0.1"], graphs["gpt2", 1024], "energy")
    assert on_ptu == 73


def test_llama_mapping_extremes(graphs, specs):
    g = graphs["llama-2-7b", 3900]
    # paper.md: energy objective puts all 289 matmuls on the PTU
    _, on_ptu, total = _run(specs["0.1"], g, "energy")
    assert (on_ptu, total) == (289, 289)
    # paper.md: latency objective puts none there. Their selection minimizes the serial SUM of
    # costs; ours minimizes the makespan exactly, and finds that the 32 v projections can run on
    # the PTU while the GPU works on q/k (RoPE, QK^T, softmax): the only PTU matmuls, and worth
    # < 0.01% of latency. The serial-cost reading of their objective (all on the GPU) is
    # within that margin of our optimum.
    r, on_ptu, _ = _run(specs["0.1"], g, "latency")
    names = {
        g.ops[i].name.split(".")[-1]
        for i in np.flatnonzero(
            r.stacked.device[r.selection.choice] == r.stacked.devices.index("ptu")
        )
    }
    assert on_ptu <= 32 and names <= {"v_proj"}
    gpu, on_ptu, _ = _run(specs["0.1"], g, "latency", force={"matmul": "gpu"})
    assert on_ptu == 0
    assert r.selection.latency <= gpu.selection.latency < r.selection.latency * 1.0001
    # ... and the paper's own selection (best-first on the sum of node and edge costs,
    # `--strategy paper`) reproduces its answer exactly: none of the 289 on the PTU.
    paper = compile_and_simulate(specs["0.1"], g, objective="latency", strategy="paper")
    assert not (
        paper.stacked.device[paper.selection.choice] == paper.stacked.devices.index("ptu")
    ).any()


@pytest.mark.parametrize(
    ("model", "length", "spec", "target"),
    [
        ("llama-2-7b", 3900, "0.1", 0.47),  # paper.md: ~47% (plotted, 0.1 pJ/MAC)
        ("gpt2", 1000, "0.1", 0.32),  # paper.md: ~32% (plotted, 0.1 pJ/MAC)
        ("llama-2-7b", 3900, "0.07", 0.328),  # paper.md: 32.8% (code, 0.07 pJ/MAC)
        ("gpt2", 1024, "0.07", 0.229),  # paper.md: 22.9% (code, 0.07 pJ/MAC)
    ],
)
def test_energy_saving(graphs, specs, model, length, spec, target):
    assert abs(_saving(specs[spec], graphs[model, length]) - target) <= 0.05  # +-5 points


def test_gpt2_latencies(graphs, specs):
    g = graphs["gpt2", 1024]
    lat, _, _ = _run(specs["0.07"], g, "latency")
    en, _, _ = _run(specs["0.07"], g, "energy")
    # paper.md: one compile of GPT-2 @1,024 with the code's constants: 0.872 s and 1.623 s
    assert lat.sim.makespan == pytest.approx(0.872, rel=0.15)
    assert en.sim.makespan == pytest.approx(1.623, rel=0.15)
    # paper.md: 31.9 mJ and 24.6 mJ (not a stated target; checked loosely)
    assert lat.sim.total_energy == pytest.approx(31.9e-3, rel=0.15)
    assert en.sim.total_energy == pytest.approx(24.6e-3, rel=0.15)


def test_multiplexing_speedup(graphs, specs):
    g = graphs["gpt2", 1024]
    force = {"matmul": "ptu"}
    w1, _, _ = _run(specs["w1"], g, "latency", force)
    w20, on_ptu, _ = _run(specs["0.1"], g, "latency", force)
    assert on_ptu == 73
    # paper.md: all matmuls on the PTU, 1 -> 20 wavelengths: ~9.8x per single compile
    assert w1.sim.makespan / w20.sim.makespan == pytest.approx(9.8, rel=0.15)
    # paper.md: energy does not depend on the wavelength count in their model
    assert w1.sim.total_energy == pytest.approx(w20.sim.total_energy, rel=1e-9)
