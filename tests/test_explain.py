"""`lightcode explain`: every candidate of an op, each binding as written and evaluated."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from lightcode.cli import main
from lightcode.errors import UsageError
from lightcode.explain import explain, render
from lightcode.frontend import trace
from lightcode.spec import load_spec

HW = Path(__file__).resolve().parents[1] / "hw"


@pytest.fixture(scope="module")
def gpt2():
    return trace("gpt2", 64, 1)


def test_explain_one_op_gives_every_candidate_term_by_term(gpt2):
    spec = load_spec(HW / "h100_ptu.lhw")
    (ex,) = explain(spec, gpt2, op="layers.0.attn.c_attn")
    assert ex.ops == ("layers.0.attn.c_attn",) and ex.kind == "matmul"
    devices = {c.device for c in ex.candidates if c.applies}
    assert devices == {"gpu", "ptu"}
    ptu = next(c for c in ex.candidates if c.device == "ptu" and c.variant == "wdm/1")
    terms = {t.name: t for t in ptu.terms}
    assert terms["passes"].expr == "batch * tiles_m * tiles_n * steps_k"
    assert terms["passes"].value == 1 * 1 * 36 * 48  # ceil(64/64) ceil(2304/64) ceil(768/16)
    assert terms["latency"].value == ptu.latency
    assert terms["energy.dac"].text.endswith("J")
    assert sum(ptu.energy.values()) == pytest.approx(ptu.total_energy)
    # every wavelength on one op is the fastest and the most frugal way to run it alone
    assert ex.fastest == ex.frugal == "ptu:wdm/1"


def test_explain_by_kind_groups_identical_ops(gpt2):
    spec = load_spec(HW / "h100_ptu.lhw")
    groups = explain(spec, gpt2, kind="softmax")
    assert len(groups) == 1 and len(groups[0].ops) == 12
    text = render(explain(spec, gpt2, kind="matmul", limit=2))
    assert "and 11 identical" in text and "more group(s)" in text


def test_explain_shows_a_false_condition(gpt2):
    spec = load_spec(HW / "h100.lhw")
    (ex,) = explain(spec, gpt2, op="layers.0.attn.qk")
    assert [c.applies for c in ex.candidates] == [False, True]  # the `static` rule does not apply
    assert "condition false" in render([ex])


def test_explain_errors(gpt2):
    spec = load_spec(HW / "h100.lhw")
    with pytest.raises(UsageError):
        explain(spec, gpt2, op="no.such.op")
    with pytest.raises(UsageError):
        explain(spec, gpt2)


def test_cli_explain_prints_terms():
    result = CliRunner().invoke(
        main,
        [
            "explain",
            str(HW / "lt_dota_b.lhw"),
            "bert-base",
            "--seq-len",
            "32",
            "--op",
            "layers.0.attn.query",
        ],
    )
    assert result.exit_code == 0, result.output
    assert "energy.modulator" in result.output and "symbols * (e_mod" in result.output
    bad = CliRunner().invoke(main, ["explain", str(HW / "h100.lhw"), "gpt2", "--op", "x*"])
    assert bad.exit_code == 2
