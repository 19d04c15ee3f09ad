"""The op graph: canonical tensor ops with exact shapes, FLOPs and bytes.

This is the contract between the front end (which produces it) and the Stacked Graph (which
prices every op with the spec's realization rules). Rules see an op through `OpGraph.attrs`.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from functools import cached_property

import numpy as np

# Canonical op kinds. Rules in `.lhw` files name these.
OP_KINDS = (
    "matmul",  # [batch..., M, K] x [batch..., K, N]; `static` when the right operand is a weight
    "embedding",  # table lookup: output [tokens, N]
    "layernorm",
    "rmsnorm",
    "softmax",  # fused scale + causal mask + softmax over the last dim
    "gelu",
    "silu",
    "relu",
    "tanh",
    "add",
    "mul",
    "rotary",  # rotary position embedding applied to one tensor
)

# Attributes a rule may use, with the unit their values are given in ("" = a plain count,
# "bool" = a flag usable in `when` conditions).
OP_ATTRIBUTES: dict[str, str] = {
    "M": "",  # matmul: rows of the output; other ops: elements / N
    "N": "",  # matmul: columns of the output; other ops: size of the last dim
    "K": "",  # matmul: reduction length; other ops: 1
    "batch": "",  # matmul: product of the leading (batch, head) dims; other ops: 1
    "elements": "",  # output elements
    "elements_in": "",  # activation input elements (weights excluded)
    "weight_elements": "",  # elements of static weights read
    "flops": "FLOP",  # a matmul MAC is 2 FLOP
    "macs": "FLOP",  # the same amount of work as `flops`; lets rules read `macs * e_mac`
    "bytes_in": "B",  # activations read
    "bytes_out": "B",  # activations written
    "bytes_weight": "B",  # static weights read
    "bytes": "B",  # bytes_in + bytes_out + bytes_weight
    "static": "bool",  # matmul whose right operand is a static weight
}

# Attributes a link rule may use (the tensor moving along an edge).
EDGE_ATTRIBUTES: dict[str, str] = {"bytes": "B", "elements": ""}


@dataclass(frozen=True)
class Op:
    """One canonical tensor op. Numbers are exact for the traced shapes."""

    id: int
    name: str  # module path + call, e.g. "layers.3.attn.q_proj"
    kind: str
    shape: tuple[int, ...]  # output shape
    M: int
    N: int
    K: int
    batch: int
    flops: float
    elements_in: int
    weight_elements: int
    dtype_bytes: int
    static: bool = False
    layer: int | None = None  # transformer block index, None outside blocks

    @property
    def elements(self) -> int:
        return int(np.prod(self.shape))


@dataclass(frozen=True)
class Edge:
    """A tensor produced by `src` and consumed by `dst`."""

    src: int
    dst: int
    elements: int
    bytes: float


@dataclass(frozen=True)
class OpGraph:
    """A traced model: ops in a topological order and the tensors between them."""

    model: str
    seq_len: int
    batch: int
    dtype_bytes: int
    parameters: int  # weights in the model
    ops: tuple[Op, ...]
    edges: tuple[Edge, ...]

    @property
    def flops(self) -> float:
        return float(sum(op.flops for op in self.ops))

    def kind_counts(self) -> Counter[str]:
        return Counter(op.kind for op in self.ops)

    @cached_property
    def _attr_table(self) -> dict[str, np.ndarray]:
        ops = self.ops
        f = np.array
        elements = f([op.elements for op in ops], dtype=float)
        elements_in = f([op.elements_in for op in ops], dtype=float)
        weights = f([op.weight_elements for op in ops], dtype=float)
        width = f([op.dtype_bytes for op in ops], dtype=float)
        flops = f([op.flops for op in ops], dtype=float)
        table = {
            "M": f([op.M for op in ops], dtype=float),
            "N": f([op.N for op in ops], dtype=float),
            "K": f([op.K for op in ops], dtype=float),
            "batch": f([op.batch for op in ops], dtype=float),
            "elements": elements,
            "elements_in": elements_in,
            "weight_elements": weights,
            "flops": flops,
            "macs": flops,
            "bytes_in": elements_in * width,
            "bytes_out": elements * width,
            "bytes_weight": weights * width,
            "static": f([op.static for op in ops], dtype=bool),
        }
        table["bytes"] = table["bytes_in"] + table["bytes_out"] + table["bytes_weight"]
        return table

    def attrs(self, index: np.ndarray | list[int] | None = None) -> dict[str, np.ndarray]:
        """Op attributes as arrays, in the units of `OP_ATTRIBUTES`.

        `index` selects a subset of ops (positions in `ops`); None means all.
        """
        if index is None:
            return dict(self._attr_table)
        idx = np.asarray(index, dtype=int)
        return {k: v[idx] for k, v in self._attr_table.items()}

    def successors(self) -> list[list[int]]:
        out: list[list[int]] = [[] for _ in self.ops]
        for e in self.edges:
            out[e.src].append(e.dst)
        return out
