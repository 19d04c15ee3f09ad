"""The optimizer: decomposition = flat MILP, optimum <= every baseline, bounds and their errors."""

from __future__ import annotations

import numpy as np
import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lightcode.cli import main
from lightcode.frontend import trace
from lightcode.frontend.graph import Edge, Op, OpGraph
from lightcode.select import Constraints, estimate, solve_milp
from lightcode.select.decompose import split
from lightcode.select.milp import objective_weights
from lightcode.select.solve import weights_by_device
from lightcode.select.strategies import memory_constraints, strategies
from lightcode.spec import load_spec
from lightcode.stacked import build_stacked_graph

# Three devices with different trade-offs; `acc` runs only weight x activation matmuls.
TOY3 = """lightcode 1
device gpu : electronic {
  count = 1
  rate = 100 TFLOP/s
  static_power = 50 W
  memory = 100 kB
}
device ptu : photonic {
  count = 1
  rate = 400 TFLOP/s
  static_power = 5 W
}
device acc : photonic {
  count = 2
  rate = 40 TFLOP/s
  static_power = 2 W
}
link gpu <-> ptu { bandwidth = 100 GB/s ; latency = 1 us ; energy = 10 pJ/bit }
link gpu <-> acc { bandwidth = 50 GB/s ; latency = 2 us ; energy = 5 pJ/bit }
realize matmul on gpu { latency = 1 us + flops / rate ; energy = flops * 1 pJ/FLOP }
realize matmul on ptu { latency = 2 us + flops / rate ; energy = flops * 0.3 pJ/FLOP }
realize matmul on acc when static { latency = 5 us + flops / rate ; energy = flops * 0.05 pJ/FLOP }
realize add, softmax on gpu { latency = bytes / (1 TB/s) ; energy = bytes * 10 pJ/B }
"""


@pytest.fixture(scope="module")
def toy3(tmp_path_factory):
    path = tmp_path_factory.mktemp("spec") / "toy3.lhw"
    path.write_text(TOY3)
    return load_spec(path)


def _op(i: int, kind: str, m: int, n: int, k: int = 1, static: bool = False) -> Op:
    flops = 2.0 * m * n * k if kind == "matmul" else float(m * n)
    weights = n * k if static else 0
    return Op(i, f"op{i}.{kind}", kind, (m, n), m, n, k, 1, flops, m * k, weights, 2, static)


def _series_parallel(blocks: list[list[list[tuple[int, int, bool]]]]) -> OpGraph:
    """A chain of blocks joined by adds; each block is parallel branches of matmul chains."""
    ops, edges = [_op(0, "add", 64, 64)], []
    for branches in blocks:
        join_inputs = []
        head = len(ops) - 1
        for branch in branches:
            prev = head
            for n, k, static in branch:
                ops.append(_op(len(ops), "matmul", 64, n, k, static))
                edges.append((prev, len(ops) - 1))
                prev = len(ops) - 1
            join_inputs.append(prev)
        ops.append(_op(len(ops), "add", 64, 64))
        edges += [(j, len(ops) - 1) for j in join_inputs]
    es = tuple(Edge(a, b, ops[a].elements, 2.0 * ops[a].elements) for a, b in edges)
    return OpGraph("sp", 64, 1, 2, 0, tuple(ops), es)


def _objective(stacked, sel, objective):
    w_t, w_e = objective_weights(stacked, objective)
    return w_t * sel.latency + w_e * sel.energy


def _assert_same_optimum(stacked, objective):
    dec = solve_milp(stacked, objective, method="decomposed")
    flat = solve_milp(stacked, objective, method="flat")
    assert dec.stats.status == flat.stats.status == "optimal"
    assert _objective(stacked, dec, objective) == pytest.approx(
        _objective(stacked, flat, objective), rel=1e-6
    )
    assert (dec.latency, dec.energy) == estimate(stacked, dec.choice)


sizes = st.sampled_from([(64, 64), (256, 64), (64, 512), (1024, 256), (4096, 1024)])
matmul = st.tuples(sizes, st.booleans()).map(lambda t: (t[0][0], t[0][1], t[1]))
block = st.lists(st.lists(matmul, min_size=1, max_size=3), min_size=1, max_size=3)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    blocks=st.lists(block, min_size=1, max_size=3), objective=st.sampled_from(["latency", "energy"])
)
def test_decomposition_equals_flat_milp_on_random_series_parallel_graphs(toy3, blocks, objective):
    stacked = build_stacked_graph(toy3, _series_parallel(blocks))
    _assert_same_optimum(stacked, objective)


@pytest.mark.parametrize(
    ("spec", "model", "seq_len"),
    [
        ("h100_ptu.lhw", "gpt2", 32),
        ("h100_2ptu.lhw", "gpt2", 64),
        ("h100_ptu.lhw", "llama-2-7b", 256),
    ],
)
@pytest.mark.parametrize("objective", ["latency", "energy"])
def test_decomposition_equals_flat_milp_on_models(hw, spec, model, seq_len, objective):
    stacked = build_stacked_graph(load_spec(hw / spec), trace(model, seq_len))
    _assert_same_optimum(stacked, objective)


def test_identical_layers_are_solved_once(hw):
    stacked = build_stacked_graph(load_spec(hw / "h100_2ptu.lhw"), trace("llama-2-7b", 256))
    segments = split(stacked)
    assert len(segments) == 67
    assert len({s.key for s in segments}) <= 5  # embedding, attention, MLP, the first and last
    sel = solve_milp(stacked, "latency")
    assert sel.stats.method == "decomposed" and sel.stats.subproblems <= 10


@pytest.fixture(scope="module")
def cases(hw, toy3):
    out = {
        "gpt2@128": build_stacked_graph(load_spec(hw / "h100_2ptu.lhw"), trace("gpt2", 128)),
        "sp": build_stacked_graph(
            toy3, _series_parallel([[[(64, 512, True)], [(1024, 256, False)]]] * 3)
        ),
    }
    return out


@pytest.mark.parametrize("objective", ["latency", "energy", "edp"])
@pytest.mark.parametrize("case", ["gpt2@128", "sp"])
def test_optimum_is_no_worse_than_any_baseline(cases, case, objective):
    stacked = cases[case]
    table = strategies(stacked)
    best = table["milp"](stacked, objective).stats.objective_value
    ran = 0
    for name, fn in table.items():
        if name == "milp":
            continue
        try:
            sel = fn(stacked, objective)
        except Exception as err:  # all-<device> is skipped where a device cannot run some op
            assert name.startswith("all-") and "has no candidate" in str(err)
            continue
        ran += 1
        if objective == "edp":  # exact only over the supported points of the front
            continue
        assert best <= sel.stats.objective_value * (1 + 1e-7), name
    assert ran >= 3


def test_edp_is_no_worse_than_either_end(cases):
    stacked = cases["gpt2@128"]
    edp = solve_milp(stacked, "edp").stats.objective_value
    for objective in ("latency", "energy"):
        sel = solve_milp(stacked, objective)
        assert edp <= sel.latency * sel.energy * (1 + 1e-9)


def test_a_memory_bound_moves_weights_off_the_gpu(toy3, cases):
    stacked = cases["sp"]
    free = solve_milp(stacked, "latency")
    bounded = solve_milp(stacked, "latency", memory_constraints(toy3))
    assert weights_by_device(stacked, free.choice)["gpu"] > 1e5  # the bound binds...
    assert weights_by_device(stacked, bounded.choice)["gpu"] <= 1e5  # ...and holds
    assert bounded.stats.method == "flat"
    assert bounded.latency >= free.latency * (1 - 1e-9)


def test_slack_bounds_keep_the_decomposition(cases):
    stacked = cases["gpt2@128"]
    free = solve_milp(stacked, "energy")
    bounded = solve_milp(stacked, "energy", Constraints(max_latency=free.latency * 2))
    assert bounded.stats.method == "decomposed (bounds slack)"
    np.testing.assert_array_equal(bounded.choice, free.choice)


def test_a_tight_latency_bound_is_solved_exactly(cases):
    stacked = cases["gpt2@128"]
    fast, frugal = solve_milp(stacked, "latency"), solve_milp(stacked, "energy")
    bound = (fast.latency + frugal.latency) / 2
    auto = solve_milp(stacked, "energy", Constraints(max_latency=bound))
    assert auto.latency <= bound * (1 + 1e-9)
    assert frugal.energy <= auto.energy <= fast.energy


def _invoke(*args):
    return CliRunner().invoke(main, list(args))


@pytest.mark.parametrize(
    ("args", "pattern"),
    [
        (("--max-energy", "1uJ"), "energy <= 1 µJ is infeasible: the most frugal mapping uses "),
        (("--max-power", "1W"), "average power <= 1 W is infeasible: static power alone is "),
        (("--solver", "NOPE"), "unknown solver 'NOPE': installed MILP solvers are HIGHS"),
        (("--strategy", "magic"), "unknown strategy 'magic'"),
        (("--strategy", "all-ptu"), "all-ptu: op 'wte' (kind embedding) has no candidate on ptu"),
    ],
)
def test_impossible_requests_are_one_line_errors(hw, args, pattern):
    result = _invoke("run", str(hw / "h100_2ptu.lhw"), "gpt2", "--seq-len", "32", *args)
    assert result.exit_code == 2, result.output
    assert result.output.splitlines()[0].startswith(pattern), result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("strategy", ["greedy", "paper", "all-gpu"])
def test_run_accepts_every_baseline(hw, strategy):
    result = _invoke(
        "run",
        str(hw / "h100_2ptu.lhw"),
        "gpt2",
        "--seq-len",
        "32",
        "--strategy",
        strategy,
        "--objective",
        "edp",
    )
    assert result.exit_code == 0, result.output
    assert f"solver   {strategy} heuristic for edp" in result.output


def test_a_time_limit_returns_the_best_mapping_with_its_proven_gap(hw):
    # Llama-2-70B's weights overflow the H100, so memory bounds couple the layers and the flat
    # MILP runs (minutes to prove optimal); stopped after 2 s it returns a mapping that meets
    # every bound, says so, and bounds how far from optimal it is.
    from lightcode.select.solve import violations
    from lightcode.select.strategies import memory_constraints

    spec = load_spec(hw / "h100_2ptu.lhw")
    stacked = build_stacked_graph(spec, trace("llama-2-70b", 4096))
    bounds = memory_constraints(spec)
    stopped = solve_milp(stacked, "latency", bounds, time_limit=2.0)
    assert stopped.stats.status == "time_limit"
    assert 0 < stopped.stats.gap < 1  # a proven, finite gap (its size depends on the machine)
    assert (stopped.latency, stopped.energy) == estimate(stacked, stopped.choice)
    assert violations(stacked, stopped.choice, bounds) == []
