"""The Stacked Graph: candidate realizations per op and transfer costs per edge."""

from lightcode.stacked.build import build_stacked_graph
from lightcode.stacked.graph import Candidate, StackedGraph

__all__ = ["Candidate", "StackedGraph", "build_stacked_graph"]
