"""Selection: one realization per op, exactly (MILP) or by a baseline strategy."""

from lightcode.select.estimate import estimate
from lightcode.select.lower import lower
from lightcode.select.milp import OBJECTIVES
from lightcode.select.result import Constraints, Selection, SolveStats
from lightcode.select.solve import solve_milp

__all__ = [
    "OBJECTIVES",
    "Constraints",
    "Selection",
    "SolveStats",
    "estimate",
    "lower",
    "solve_milp",
]
