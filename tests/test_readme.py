"""The README stays true: its `.lhw` example loads and its commands exist."""

from __future__ import annotations

import json
import re
import shutil

import numpy as np
from click.testing import CliRunner

from lightcode.cli import main
from lightcode.spec import load_spec
from tests.conftest import HW, ROOT

README = (ROOT / "README.md").read_text()


def test_the_readme_spec_example_loads_and_prices_a_matmul(tmp_path):
    block = re.search(r"## A `\.lhw` file, line by line\s+```\n(.*?)```", README, re.S).group(1)
    shutil.copytree(HW / "lib", tmp_path / "lib")
    (tmp_path / "example.lhw").write_text(block)
    spec = load_spec(tmp_path / "example.lhw")
    assert spec.devices["ptu"].params["wavelengths"].value == 16
    assert spec.links[("gpu", "ptu")].bandwidth == 2e12 / 8  # bytes per second
    (rule,) = [r for r in spec.rules if r.device == "ptu"]
    attrs = {"M": [64.0], "N": [64.0], "K": [64.0], "batch": [1.0]}
    cost = rule.evaluate({k: np.array(v) for k, v in attrs.items()})
    # one 64x64 tile, 64 / 16 = 4 passes at 5 GHz
    assert cost.latency[0] == 4 / 5e9


def test_the_readme_commands_are_real_commands():
    for command in re.findall(r"^lightcode ([a-z]+) ", README, re.M):
        assert command in main.commands, command


def test_graph_dumps_the_stacked_graph_as_json():
    result = CliRunner().invoke(
        main, ["graph", str(HW / "h100_ptu.lhw"), "gpt2", "--seq-len", "16", "--json"]
    )
    assert result.exit_code == 0, result.output
    dump = json.loads(result.output)
    assert dump["devices"] == ["gpu", "ptu"]
    stacks = {op["kind"]: [c["variant"] or c["device"] for c in op["stack"]] for op in dump["ops"]}
    assert stacks["matmul"] == ["gpu", "wdm/1", "wdm/2", "wdm/4"]  # the GPU, three WDM splits
    assert stacks["softmax"] == ["gpu"]
    assert len(dump["edges"]) == 184
