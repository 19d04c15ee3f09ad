"""Discrete-event simulation of a mapped `Program`."""

from lightcode.simulate.engine import simulate
from lightcode.simulate.program import Program, Resource, Task, Transfer
from lightcode.simulate.result import SimResult, link_name
from lightcode.simulate.timeline import Timeline, timeline

__all__ = [
    "Program",
    "Resource",
    "SimResult",
    "Task",
    "Timeline",
    "Transfer",
    "link_name",
    "simulate",
    "timeline",
]
