"""One tensor read by several ops on another device crosses a shared link once."""

from __future__ import annotations

import pytest

from lightcode.api import compile_and_simulate
from lightcode.spec import load_spec
from tests.test_pipeline import TOY, _graph, _op


def _fan_out():
    # an add on the GPU whose whole output feeds three matmuls (Q, K, V-like), then a join
    ops = [_op(0, "add", 512, 512)]
    ops += [_op(i, "matmul", 512, 512, 512) for i in (1, 2, 3)]
    ops += [_op(4, "add", 512, 512)]
    return _graph(ops, [(0, 1), (0, 2), (0, 3), (1, 4), (2, 4), (3, 4)])


@pytest.mark.parametrize(("shared", "copies"), [("1", 1), ("0", 3)])
def test_a_tensor_crosses_a_shared_link_once(tmp_path, shared, copies):
    spec_path = tmp_path / "toy.lhw"
    spec_path.write_text(
        TOY.replace("energy = 10 pJ/bit", f"energy = 10 pJ/bit\n  shared = {shared}")
    )
    result = compile_and_simulate(
        load_spec(spec_path), _fan_out(), objective="energy", force={"matmul": "ptu"}
    )
    tensor_bits = 512 * 512 * 2 * 8
    # gpu->ptu carries the add's output `copies` times; ptu->gpu always three results
    assert result.sim.energy["transfer"]["gpu->ptu"] == pytest.approx(copies * tensor_bits * 10e-12)
    assert result.sim.energy["transfer"]["ptu->gpu"] == pytest.approx(3 * tensor_bits * 10e-12)
    # the planner charges what the simulator spends
    assert result.sim.total_energy - sum(result.sim.energy["static"].values()) == pytest.approx(
        result.selection.energy - result.stacked.total_static_power * result.selection.latency
    )
    # every matmul's input arrives with the one transfer that carried it: one hop, one tensor
    hop = 1e-6 + 512 * 512 * 2 / 100e9
    arrivals = sorted(result.sim.transfer_end[j] for j in (0, 1, 2))
    end = result.sim.task_end[0]
    if copies == 1:
        assert arrivals == pytest.approx([end + hop] * 3)
    else:  # three copies queue on the link, each held for its serialization
        assert arrivals == pytest.approx([end + hop + k * 512 * 512 * 2 / 100e9 for k in range(3)])
