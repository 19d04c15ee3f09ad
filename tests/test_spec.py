"""Loading `.lhw` specs: units, rule and link costs, imports, overrides, warnings, summary."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from lightcode.errors import SpecError, UsageError
from lightcode.frontend.graph import OP_ATTRIBUTES
from lightcode.spec import ast, load_spec, parse_overrides
from lightcode.spec.syntax import parse_expression
from lightcode.units import (
    BANDWIDTH,
    ENERGY_PER_INFORMATION,
    Dims,
    UnknownUnitError,
    parse_unit,
    unit_spellings,
)

SPECS = Path(__file__).parent / "specs"
HYBRID = SPECS / "hybrid.lhw"


def _attrs(**values) -> dict[str, np.ndarray]:
    """Attributes of a batch of ops: the given ones, every other attribute zero."""
    n = len(next(iter(values.values())))
    attrs = {k: np.zeros(n, dtype=bool if u == "bool" else float) for k, u in OP_ATTRIBUTES.items()}
    attrs.update({k: np.asarray(v) for k, v in values.items()})
    return attrs


def _rule(spec, device: str):
    return next(r for r in spec.rules if r.device == device and "matmul" in r.ops)


# --- units ---------------------------------------------------------------------------------


def test_bandwidth_literal_is_bytes_per_second():
    unit = parse_unit("TB/s")
    assert 3.35 * unit.factor == pytest.approx(3.35e12)
    assert unit.dims == BANDWIDTH


def test_prefixed_power_and_micro_spellings():
    assert parse_unit("mW").factor == pytest.approx(1e-3)
    assert parse_unit("mW").dims == Dims({"[energy]": 1, "[time]": -1})
    assert parse_unit("µs") == parse_unit("us")
    assert parse_unit("us").factor == pytest.approx(1e-6)


def test_per_bit_and_per_byte_energies_agree():
    per_bit, per_byte = parse_unit("pJ/bit"), parse_unit("pJ/B")
    assert 5 * per_bit.factor == pytest.approx(40 * per_byte.factor)
    assert 5 * per_bit.factor == pytest.approx(40e-12)
    assert per_bit.dims == per_byte.dims == ENERGY_PER_INFORMATION


def test_data_rate_is_not_a_frequency():
    assert parse_unit("TB/s").dims != parse_unit("GHz").dims
    assert parse_unit("GHz").dims == Dims({"[time]": -1})


def test_mac_is_two_flop_and_tops_is_ops_per_second():
    assert parse_unit("MAC").factor == 2 * parse_unit("FLOP").factor
    assert parse_unit("TOPS").factor == pytest.approx(1e12)
    assert parse_unit("TOPS").dims == parse_unit("FLOP/s").dims


def test_every_unit_spelling_lexes_as_a_literal_unit():
    for spelling in unit_spellings():
        literal = parse_expression(Path("t"), f"2 {spelling}")
        assert isinstance(literal, ast.Number) and literal.unit == spelling
        assert literal.value == pytest.approx(2 * parse_unit(spelling).factor)


@pytest.mark.parametrize("name", ["K", "N", "M", "gilbert", "barn", "baud", "newton", "kelvin"])
def test_vocabulary_is_closed(name: str):
    with pytest.raises(UnknownUnitError):
        parse_unit(name)


def test_quantity_prints_in_its_written_unit():
    spec = load_spec(HYBRID)
    gpu = spec.devices["gpu"]
    assert str(gpu.params["mem_bw"]) == "3.35 TB/s"
    assert gpu.params["mem_bw"].value == pytest.approx(3.35e12)
    assert str(spec.devices["ptu"].params["static_power"]) == "6.9152 W"


# --- devices, rules, links --------------------------------------------------------------


def test_devices_reserved_params():
    spec = load_spec(HYBRID)
    ptu, gpu = spec.devices["ptu"], spec.devices["gpu"]
    assert (ptu.kind, ptu.count, ptu.memory) == ("photonic", 1, None)
    assert ptu.static_power == pytest.approx(2 + 64 * 64 * 1.2e-3)
    assert gpu.memory == pytest.approx(141e9)
    assert spec.sources == (HYBRID, HYBRID.parent / "lib" / "gpu.lhw")


def test_ptu_matmul_rule_by_hand():
    rule = _rule(load_spec(HYBRID), "ptu")
    assert (rule.variant, rule.energy_terms) == ("w16", ("dac", "adc"))
    cost = rule.evaluate(
        _attrs(
            M=[64.0, 64.0, 64.0],
            N=[64.0, 64.0, 64.0],
            K=[64.0, 64.0, 32.0],
            static=[True, False, True],
        )
    )
    assert cost.applies.tolist() == [True, False, False]
    # passes = 1 * 1 * ceil(64 / 16) = 4 at 5 GHz
    assert cost.latency[0] == pytest.approx(4 / 5e9)
    assert cost.energy["dac"][0] == pytest.approx((64 * 64 + 64 * 64) * 3.6e-12)
    assert cost.energy["adc"][0] == pytest.approx(64 * 64 * 4 * 1.6e-12)
    assert cost.units.tolist() == [1.0, 1.0, 1.0]
    assert cost.terms["passes"].tolist() == [4.0, 4.0, 2.0]


def test_gpu_matmul_rule_is_the_roofline_maximum():
    rule = _rule(load_spec(HYBRID), "gpu")
    flops, size = np.array([2e12, 1e6]), np.array([1e6, 3.35e12])
    cost = rule.evaluate(_attrs(flops=flops, bytes=size))
    assert cost.latency[0] == pytest.approx(2e12 / (989.4e12 * 0.7))
    assert cost.latency[1] == pytest.approx(1.0)
    assert cost.energy["compute"][1] == pytest.approx(1e6 * 0.71e-12 + 3.35e12 * 3.9e-12 * 8)
    assert cost.applies.tolist() == [True, True]


def test_constant_results_are_broadcast_float_arrays(tmp_path: Path):
    path = tmp_path / "const.lhw"
    path.write_text(
        "lightcode 1\ndevice d : electronic { }\n"
        "realize relu on d { latency = 1 ns; energy = 2 pJ }\n"
    )
    cost = load_spec(path).rules[0].evaluate(_attrs(M=np.ones(3)))
    assert cost.latency.dtype == float and cost.latency.tolist() == pytest.approx([1e-9] * 3)
    assert cost.energy["compute"].tolist() == pytest.approx([2e-12] * 3)
    assert cost.applies.dtype == bool and cost.applies.shape == (3,)


def test_units_binding():
    spec = load_spec(SPECS / "unused.lhw")
    cost = spec.rules[0].evaluate(_attrs(elements=[10.0]))
    assert cost.units.tolist() == [2.0]
    assert cost.latency[0] == pytest.approx(10e-9)
    assert cost.energy["compute"][0] == pytest.approx(10e-12)


def test_link_with_bandwidth_latency_and_energy_per_bit():
    links = load_spec(HYBRID).links
    assert set(links) == {("gpu", "ptu"), ("ptu", "gpu"), ("gpu", "gpu")}
    link = links[("ptu", "gpu")]
    assert link.bandwidth == pytest.approx(4e12 / 8)
    seconds, joules = link.cost(
        {"bytes": np.array([1000.0, 0.0]), "elements": np.array([500.0, 0.0])}
    )
    assert seconds.tolist() == pytest.approx([5e-9 + 1000 / 5e11, 5e-9])
    assert joules.tolist() == pytest.approx([8000 * 5e-12, 0.0])


def test_link_with_an_energy_expression_over_elements():
    link = load_spec(HYBRID).links[("gpu", "gpu")]
    assert link.bandwidth is None
    seconds, joules = link.cost(
        {"bytes": np.array([200.0, 400.0]), "elements": np.array([100.0, 200.0])}
    )
    assert seconds.tolist() == [0.0, 0.0]
    assert joules.tolist() == pytest.approx([100 * 4.4e-12, 200 * 4.4e-12])


def test_pricing_two_thousand_ops_takes_milliseconds():
    spec = load_spec(HYBRID)
    rng = np.random.default_rng(0)
    dims = {k: rng.integers(1, 8192, 2000).astype(float) for k in ("M", "N", "K", "flops", "bytes")}
    attrs = _attrs(static=rng.random(2000) < 0.5, **dims)
    start = time.perf_counter()
    for rule in spec.rules:
        rule.evaluate(attrs)
    assert time.perf_counter() - start < 0.05


# --- overrides ----------------------------------------------------------------------------


def test_parse_overrides():
    assert parse_overrides(["ptu.wavelengths=32", " e = 0.07 pJ "]) == {
        "ptu.wavelengths": "32",
        "e": "0.07 pJ",
    }


@pytest.mark.parametrize("item", ["wavelengths", "=32", "a.b.c=1", "x=", "2x=3"])
def test_malformed_override_is_a_usage_error(item: str):
    with pytest.raises(UsageError, match="malformed --set"):
        parse_overrides([item])


def test_override_of_a_global_param():
    spec = load_spec(HYBRID, {"wavelengths": "32"})
    assert spec.params["wavelengths"].value == 32
    cost = _rule(spec, "ptu").evaluate(_attrs(M=[64.0], N=[64.0], K=[64.0], static=[True]))
    assert cost.latency[0] == pytest.approx(2 / 5e9)


@pytest.mark.parametrize("value", ["10 GHz", "10GHz", "2 * 5 GHz"])
def test_override_of_a_device_param(value: str):
    spec = load_spec(HYBRID, {"ptu.clock": value})
    assert spec.devices["ptu"].params["clock"].value == pytest.approx(1e10)
    cost = _rule(spec, "ptu").evaluate(_attrs(M=[64.0], N=[64.0], K=[64.0], static=[True]))
    assert cost.latency[0] == pytest.approx(4 / 1e10)


def test_override_of_a_param_used_by_another_param():
    spec = load_spec(HYBRID, {"bits": "4"})
    assert spec.devices["ptu"].params["e_dac"].value == pytest.approx(
        3.57e-12 * 16 / 4 / 32, rel=1e-2
    )


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"wavelenghts": "32"}, "cannot set 'wavelenghts': no such param is declared"),
        ({"ptu.clok": "1 GHz"}, "cannot set 'ptu.clok'"),
        ({"ptu.clock": "3 pJ"}, "--set ptu.clock=3 pJ: 'ptu.clock' is declared as a frequency"),
        ({"wavelengths": "32 lanes"}, "--set wavelengths=32 lanes: unknown unit 'lanes'"),
        ({"ptu.rows": "-64"}, "--set ptu.rows=-64: 'ptu.rows' must not be negative"),
        ({"wavelengths": "bits + 1"}, None),
    ],
)
def test_override_errors(overrides: dict[str, str], message: str | None):
    if message is None:
        assert load_spec(HYBRID, overrides).params["wavelengths"].value == 9
        return
    with pytest.raises(SpecError) as caught:
        load_spec(HYBRID, overrides)
    assert str(caught.value).startswith("error: " + message)


def test_set_statement_overrides_an_imported_param():
    spec = load_spec(HYBRID)
    assert spec.devices["gpu"].params["mem_bw"].value == pytest.approx(3.35e12)
    assert load_spec(SPECS / "lib" / "gpu.lhw").devices["gpu"].params["mem_bw"].value == 4.8e12


# --- warnings and summary ------------------------------------------------------------------


def test_unused_params_are_warned():
    spec = load_spec(SPECS / "unused.lhw")
    path = SPECS / "unused.lhw"
    assert spec.warnings == (
        f"{path}:2:1: param 'spare' is declared but used by no rule",
        f"{path}:7:3: param 'cpu.idle' is declared but used by no rule",
    )
    assert load_spec(HYBRID).warnings == ()


def test_describe_lists_devices_links_rules_and_gaps():
    text = load_spec(HYBRID).describe()
    assert "ptu (photonic, count 1, static power 6.9152 W)" in text
    assert "    clock = 5 GHz" in text
    assert "  gpu -> ptu: bandwidth = 4 Tbit/s, latency = 5 ns, energy = 5 pJ/bit" in text
    assert '  matmul: gpu; ptu as "w16" when static and K >= 64' in text
    assert text.splitlines()[-1] == "op kinds without a rule: relu, tanh"


def test_decibels_convert_with_functions(tmp_path: Path):
    path = tmp_path / "db.lhw"
    path.write_text(
        "lightcode 1\nparam sensitivity = -25 dBm\nparam loss = 3 dB + 2 * 1 dB\n"
        "param laser = from_dbm(sensitivity + loss)\nparam ratio = db(100)\n"
        "param fraction = 50 %\n"
    )
    params = load_spec(path).params
    assert params["laser"].value == pytest.approx(1e-3 * 10 ** (-20 / 10))
    assert str(params["laser"]) == "10 µW"
    assert params["ratio"].value == pytest.approx(20.0)
    assert params["fraction"].value == pytest.approx(0.5)


def test_later_bindings_shadow_attributes_only_from_where_they_are_bound(tmp_path: Path):
    path = tmp_path / "shadow.lhw"
    path.write_text(
        "lightcode 1\ndevice d : electronic { }\n"
        "realize add on d {\n  latency = M * 1 ns\n  M = 2 J\n  energy = M\n}\n"
    )
    cost = load_spec(path).rules[0].evaluate(_attrs(M=[3.0]))
    assert cost.latency.tolist() == pytest.approx([3e-9])
    assert cost.energy["compute"].tolist() == [2.0]


def test_rules_for_one_op_and_device_may_split_by_condition(tmp_path: Path):
    path = tmp_path / "split.lhw"
    path.write_text(
        "lightcode 1\ndevice d : electronic { }\n"
        "realize matmul on d when static { latency = 1 ns; energy = 1 pJ }\n"
        "realize matmul on d when not static { latency = 2 ns; energy = 2 pJ }\n"
    )
    attrs = _attrs(static=np.array([True, False]))
    applies = [rule.evaluate(attrs).applies.tolist() for rule in load_spec(path).rules]
    assert applies == [[True, False], [False, True]]


def test_a_for_clause_expands_a_rule_into_named_variants(tmp_path):
    path = tmp_path / "for.lhw"
    path.write_text(
        "lightcode 1\n"
        "device ptu : photonic {\n  lanes = 16\n}\n"
        'realize matmul on ptu as "wdm/{split}" for split in 1, 2, 4 {\n'
        "  lanes = 16 / split\n  latency = 1 ns * split\n  energy = 1 pJ\n}\n"
    )
    rules = load_spec(path).rules
    assert [r.variant for r in rules] == ["wdm/1", "wdm/2", "wdm/4"]
    # `when` may use the variable: a variant that needs more lanes than exist does not apply
    path.write_text(path.read_text().replace("1, 2, 4 {", "1, 2, 32 when split <= 16 {"))
    wide = load_spec(path).rules[2].evaluate({"M": np.array([1.0])})
    assert not wide.applies[0] and wide.lanes[0] == 0.5
    costs = [r.evaluate({"M": np.array([1.0, 2.0])}) for r in rules]
    assert [c.lanes[0] for c in costs] == [16, 8, 4]
    assert [c.latency[1] for c in costs] == pytest.approx([1e-9, 2e-9, 4e-9])
