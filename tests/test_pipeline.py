"""End to end: spec + model → Stacked Graph → MILP → simulation, on shipped specs and by hand."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from lightcode.api import compile_and_simulate
from lightcode.frontend import trace
from lightcode.frontend.graph import Edge, Op, OpGraph
from lightcode.select import estimate, solve_milp
from lightcode.spec import load_spec
from lightcode.stacked import build_stacked_graph

# A tiny machine whose numbers are easy to follow by hand.
TOY = """lightcode 1
device gpu : electronic {
  count = 1
  rate = 100 TFLOP/s
  static_power = 50 W
}
device ptu : photonic {
  count = 1
  rate = 400 TFLOP/s
  static_power = 5 W
}
link gpu <-> ptu {
  bandwidth = 100 GB/s
  latency = 1 us
  energy = 10 pJ/bit
}
realize matmul on gpu { latency = flops / rate ; energy = flops * 1 pJ/FLOP }
realize matmul on ptu { latency = flops / rate ; energy = flops * 0.1 pJ/FLOP }
realize add, softmax on gpu { latency = bytes / (1 TB/s) ; energy = bytes * 10 pJ/B }
"""


def _op(i: int, kind: str, m: int, n: int, k: int = 1) -> Op:
    flops = 2.0 * m * n * k if kind == "matmul" else float(m * n)
    return Op(i, f"op{i}.{kind}", kind, (m, n), m, n, k, 1, flops, m * k, 0, 2, kind == "matmul")


def _graph(ops: list[Op], edges: list[tuple[int, int]]) -> OpGraph:
    es = tuple(Edge(a, b, ops[a].elements, 2.0 * ops[a].elements) for a, b in edges)
    return OpGraph("toy", 16, 1, 2, 0, tuple(ops), es)


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "toy.lhw"
    path.write_text(TOY)
    return load_spec(path)


@pytest.mark.parametrize("objective", ["latency", "energy"])
def test_simulation_equals_milp_on_a_contention_free_graph(toy, objective):
    # A chain: every op waits for the previous one, so nothing ever competes for a unit or link.
    ops = [
        _op(0, "matmul", 512, 512, 512),
        _op(1, "add", 512, 512),
        _op(2, "matmul", 512, 2048, 512),
        _op(3, "softmax", 512, 2048),
        _op(4, "matmul", 512, 512, 2048),
    ]
    graph = _graph(ops, [(0, 1), (1, 2), (2, 3), (3, 4)])
    result = compile_and_simulate(toy, graph, objective=objective)
    assert result.sim.makespan == pytest.approx(result.selection.latency, rel=1e-9)
    assert result.sim.total_energy == pytest.approx(result.selection.energy, rel=1e-9)
    assert result.selection.stats.status == "optimal"


def test_milp_is_exact_against_brute_force(toy):
    # Two parallel matmul branches joined by an add: 2^4 mappings of the four matmuls.
    ops = [
        _op(0, "add", 256, 256),
        _op(1, "matmul", 256, 1024, 256),
        _op(2, "matmul", 256, 256, 1024),
        _op(3, "matmul", 256, 1024, 256),
        _op(4, "matmul", 256, 256, 1024),
        _op(5, "add", 256, 256),
    ]
    graph = _graph(ops, [(0, 1), (1, 2), (0, 3), (3, 4), (2, 5), (4, 5)])
    stacked = build_stacked_graph(toy, graph)
    stacks = [list(stacked.stack(i)) for i in range(len(ops))]
    costs = [estimate(stacked, np.array(c)) for c in itertools.product(*stacks)]
    for objective, k in (("latency", 0), ("energy", 1)):
        best = min(c[k] for c in costs)
        sel = solve_milp(stacked, objective)
        assert sel.stats.objective_value == pytest.approx(best, rel=1e-6)
        assert (sel.latency, sel.energy) == estimate(stacked, sel.choice)


@pytest.fixture(scope="module")
def llama_runs(hw):
    graph = trace("llama-2-7b", 4096)
    spec = load_spec(hw / "h100_ptu.lhw")
    return {o: compile_and_simulate(spec, graph, objective=o) for o in ("latency", "energy")}


def test_objectives_trade_latency_for_energy(llama_runs):
    fast, frugal = llama_runs["latency"].selection, llama_runs["energy"].selection
    assert frugal.energy <= fast.energy * (1 + 1e-6)
    assert fast.latency <= frugal.latency * (1 + 1e-6)
    # ... and on this machine they are different mappings, not ties.
    assert not np.array_equal(fast.choice, frugal.choice)
    assert frugal.energy < 0.9 * fast.energy
    ptu = llama_runs["energy"].stacked.devices.index("ptu")
    on_ptu = llama_runs["energy"].stacked.device[frugal.choice] == ptu
    assert on_ptu.sum() > 100  # most of the 289 matmuls move to the photonic unit


def test_gpu_only_llama_prefill_is_within_2x_of_its_roofline(hw):
    graph = trace("llama-2-7b", 4096)
    result = compile_and_simulate(hw / "h100.lhw", graph, objective="latency")
    gpu = result.spec.devices["gpu"].params
    flops_bound = graph.flops / gpu["peak_matmul"].value
    bytes_bound = float(graph.attrs()["bytes"].sum()) / gpu["mem_bw"].value
    roofline = max(flops_bound, bytes_bound)
    assert 63e-3 < roofline < 70e-3  # 63 TFLOP at 989.4 TFLOP/s: compute-bound
    assert roofline <= result.sim.makespan <= 2 * roofline
