"""The device library: converter and laser formulas, weight reprogramming, GPU rooflines against
published measurements, and shipped specs free of unused parameters."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest

from lightcode.api import compile_and_simulate
from lightcode.frontend import trace
from lightcode.frontend.graph import OP_ATTRIBUTES
from lightcode.spec import load_spec

HW = Path(__file__).resolve().parents[1] / "hw"
SHIPPED = ["h100.lhw", "h200.lhw", "a100.lhw", "h100_ptu.lhw", "lt_dota_b.lhw"]


def _op(**values) -> dict[str, np.ndarray]:
    attrs = {k: np.zeros(1, dtype=bool if u == "bool" else float) for k, u in OP_ATTRIBUTES.items()}
    attrs.update({k: np.array([v]) for k, v in values.items()})
    return attrs


MATMUL = _op(M=256.0, N=512.0, K=1024.0, batch=1.0, static=True, weight_elements=512.0 * 1024)


def _ptu(bits: int):
    spec = load_spec(HW / "h100_ptu.lhw", {"bits": str(bits)})
    (rule,) = [r for r in spec.rules if r.device == "ptu" and r.variant == "wdm/1"]
    return spec.devices["ptu"].params, rule.evaluate(MATMUL)


def test_bits_4_to_8_scale_dac_adc_and_laser_as_the_formulas_say():
    p4, c4 = _ptu(4)
    _, c8 = _ptu(8)
    # DAC: 3.57 pJ (2^N/N) / (2^8/8) per conversion -> 0.446 pJ at 4 b, 3.57 pJ at 8 b (x8)
    assert p4["e_dac"].value == pytest.approx(3.57e-12 / 8)
    assert c8.energy["dac"][0] / c4.energy["dac"][0] == pytest.approx(8.0)
    # ADC: max(25 fJ 2^(N-2), 0.2 pJ): the floor at 4 b (0.2 pJ), 1.6 pJ at 8 b (x8)
    assert p4["e_adc"].value == pytest.approx(0.2e-12)
    assert c8.energy["adc"][0] / c4.energy["adc"][0] == pytest.approx(8.0)
    # laser: x 2^bits_out -> x16; the link budget itself does not depend on bits
    assert c8.energy["laser"][0] / c4.energy["laser"][0] == pytest.approx(16.0)
    # conversions counted do not change with bits
    assert c8.terms["symbols"][0] == c4.terms["symbols"][0]
    assert c8.terms["samples"][0] == c4.terms["samples"][0]


def test_laser_power_follows_the_link_budget():
    p, _ = _ptu(8)
    il = 2 + 3 + 2 * 0.93 + 0.1 * (math.ceil(math.log2(64)) + 1) + 0.33 + 0.33
    assert p["il_path"].value == pytest.approx(il)
    dbm = -25 + il + 10 * math.log10(64 * 64)
    assert p["p_laser"].value == pytest.approx(1e-3 * 10 ** (dbm / 10) / 0.2 * 2**8)


def test_lt_repro_sar_adc_is_linear_in_bits():
    e4 = load_spec(HW / "lt_dota_b.lhw").devices["ptu"].params["e_adc"].value
    e8 = load_spec(HW / "lt_dota_b.lhw", {"bits": "8"}).devices["ptu"].params["e_adc"].value
    assert e4 == pytest.approx(0.74e-12)  # 14.8 mW / 10 GS/s * 4/8 (LT ADC.py)
    assert e8 / e4 == pytest.approx(2.0)


@pytest.fixture(scope="module")
def ws_spec(tmp_path_factory):
    root = tmp_path_factory.mktemp("ws")
    (root / "lib").symlink_to(HW / "lib")
    (root / "ws.lhw").write_text(
        'lightcode 1\nimport "lib/mzi_mesh.lhw"\nimport "lib/mrr_weight_bank.lhw"\n'
    )
    return root / "ws.lhw"


@pytest.mark.parametrize("device, t_program", [("mzi", 4e-6), ("mrr", 20e-9)])
def test_weight_stationary_units_reprogram_per_weight_tile(ws_spec, device, t_program):
    spec = load_spec(ws_spec)
    rules = {r.when: r for r in spec.rules if r.device == device}
    assert set(rules) == {"static", "not static"}
    rows = spec.devices[device].params["rows"].value
    tiles = math.ceil(1024 / rows) * math.ceil(512 / rows)
    for when, rule in rules.items():
        static = when == "static"
        cost = rule.evaluate({**MATMUL, "static": np.array([static])})
        assert cost.applies[0]
        assert cost.setup[0] == pytest.approx(tiles * t_program)
        assert cost.latency[0] >= cost.setup[0]
        assert cost.energy["program"][0] > 0
    # the other technology is one --set away: thermo-optic rings, electro-optic MZIs
    other = {"mzi": "20 ns", "mrr": "4 us"}[device]
    faster = load_spec(ws_spec, {f"{device}.t_program": other})
    rule = next(r for r in faster.rules if r.device == device and r.when == "static")
    ratio = rule.evaluate(MATMUL).setup[0] / (tiles * t_program)
    assert ratio == pytest.approx({"mzi": 20e-9 / 4e-6, "mrr": 4e-6 / 20e-9}[device])


@pytest.fixture(scope="module")
def llama_2048():
    return trace("llama-2-7b", 2048, 1)


def test_a100_llama2_7b_prefill_matches_trtllm_measurement(llama_2048):
    # NVIDIA/TensorRT-LLM v0.5 docs/source/performance.md, Low Latency, A100 GPUs (FP16):
    # LLaMA 7B, batch 1, 2048 input tokens, 1st token latency 133 ms (measured).
    result = compile_and_simulate(HW / "a100.lhw", llama_2048)
    assert result.sim.makespan == pytest.approx(133e-3, rel=0.30)


def test_h100_llama2_7b_prefill_against_trtllm_measurement_and_roofline(llama_2048):
    # NVIDIA/TensorRT-LLM v0.5 docs/source/performance.md, Low Latency, H100 GPUs (FP8):
    # LLaMA 7B, batch 1, 2048 input tokens, 1st token latency 36 ms (measured). That run is FP8,
    # so the check uses the FP8 dense tensor peak (1978.9 TFLOP/s, datasheet).
    fp8 = compile_and_simulate(
        HW / "h100.lhw", llama_2048, overrides={"gpu.peak_matmul": "1978.9 TFLOP/s"}
    )
    assert fp8.sim.makespan == pytest.approx(36e-3, rel=0.30)
    # FP16 (the shipped spec) is slower than the FP8 measurement and above the roofline bound.
    fp16 = compile_and_simulate(HW / "h100.lhw", llama_2048)
    assert fp16.sim.makespan > 36e-3
    assert fp16.sim.makespan >= llama_2048.flops / 989.4e12


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_specs_declare_no_unused_param(name):
    assert load_spec(HW / name).warnings == ()


def test_h200_is_h100_with_hbm3e():
    h100 = load_spec(HW / "h100.lhw").devices["gpu"]
    h200 = load_spec(HW / "h200.lhw").devices["gpu"]
    assert h200.params["mem_bw"].value == 4.8e12 and h200.memory == 141e9
    assert h200.params["peak_matmul"] == h100.params["peak_matmul"]
