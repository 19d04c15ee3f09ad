"""LightCode: compile LLM inference onto hybrid photonic-electronic hardware and simulate it.

The public API is one function per pipeline stage plus the chain of them:

    >>> import lightcode
    >>> result = lightcode.compile_and_simulate("hw/h100_ptu.lhw", "gpt2", seq_len=1024)
    >>> result.sim.makespan, result.sim.total_energy

`load_spec` → `trace` → `build_stacked_graph` → `solve_milp` → `lower` → `simulate`.
Names are imported on first use, so `lightcode check` does not pay for torch or cvxpy.
"""

from importlib import import_module

__version__ = "0.1.0"

_API = {
    "compile_and_simulate": "lightcode.api",
    "Result": "lightcode.api",
    "load_spec": "lightcode.spec",
    "trace": "lightcode.frontend",
    "build_stacked_graph": "lightcode.stacked",
    "solve_milp": "lightcode.select",
    "Constraints": "lightcode.select",
    "lower": "lightcode.select",
    "simulate": "lightcode.simulate",
}
__all__ = sorted(_API)


def __getattr__(name: str):
    if name in _API:
        return getattr(import_module(_API[name]), name)
    raise AttributeError(f"module 'lightcode' has no attribute {name!r}")
