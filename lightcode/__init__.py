"""LightCode: compile LLM inference onto hybrid photonic-electronic hardware and simulate it.

The public API is small: `load_spec`, `trace`, `build_stacked_graph`, `solve_milp`, `lower`,
`simulate`, and `compile_and_simulate`, which chains them.
"""

__version__ = "0.1.0"
