"""Selection: one realization per op, exactly (MILP) or by a baseline strategy."""

from lightcode.select.estimate import estimate
from lightcode.select.lower import lower
from lightcode.select.milp import OBJECTIVES, solve_milp
from lightcode.select.result import Constraints, Selection, SolveStats

__all__ = [
    "OBJECTIVES",
    "Constraints",
    "Selection",
    "SolveStats",
    "estimate",
    "lower",
    "solve_milp",
]
