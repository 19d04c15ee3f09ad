"""A recorder that runs a model's forward on meta tensors and records canonical ops.

It is a `TorchFunctionMode`: every torch call made by the model passes through
`Recorder.__torch_function__`, which runs it (on meta tensors: shapes only, no data) and
classifies it:

* a canonical call (`F.linear`, `matmul`/`@`, `F.embedding`, norms, activations, `+`, `*`)
  becomes one `Op` with exact shapes, FLOPs and element counts;
* a view-like call (view, reshape, transpose, split, getitem, expand, ...) records nothing; its
  output inherits the producer (and the "static weight" tag) of its input;
* a call on constants only (position ids, masks, rotary tables) records nothing;
* `canonical(kind)` marks a fused region (e.g. scale + causal mask + softmax) that is recorded as
  ONE op from the region's input and output tensors, with recording suppressed inside.

Module paths come from forward hooks, so op names read like "layers.3.attn.q_proj".
"""

from __future__ import annotations

import functools
import re
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import torch
from torch import nn
from torch.overrides import TorchFunctionMode

from lightcode.frontend.graph import Edge, Op

# FLOP per output element of the non-matmul kinds (a matmul is 2·B·M·N·K, plus M·N per bias).
# layernorm 5 and gelu 8 follow the non-GEMM cost model of Lightening-Transformer (Zhu et al.,
# HPCA 2024): LN = mean, subtract, square, mean+rsqrt, scale-and-shift ≈ 5 FLOP/element; GELU
# (tanh form) ≈ 8 FLOP/element. The others count the element-wise steps of their definition:
# rmsnorm = square, mean, rsqrt-scale, gamma (4); silu = x·sigmoid(x) with exp/add/div (4);
# softmax = scale, mask, exp, sum, divide (5); rotary = x·cos + rotate(x)·sin (3);
# add/mul 1; relu 1; tanh 4 (as sigmoid); embedding is a gather, 0.
FLOP_PER_ELEMENT: dict[str, float] = {
    "add": 1,
    "mul": 1,
    "gelu": 8,
    "silu": 4,
    "relu": 1,
    "tanh": 4,
    "softmax": 5,
    "layernorm": 5,
    "rmsnorm": 4,
    "rotary": 3,
    "embedding": 0,
}

# torch function names (leading/trailing underscores stripped) -> canonical handling.
_KIND_OF = {
    "linear": "linear",
    "matmul": "matmul",
    "rmatmul": "matmul",
    "mm": "matmul",
    "bmm": "matmul",
    "embedding": "embedding",
    "layer_norm": "layernorm",
    "rms_norm": "rmsnorm",
    "gelu": "gelu",
    "silu": "silu",
    "relu": "relu",
    "tanh": "tanh",
    "softmax": "softmax",
    "add": "add",
    "radd": "add",
    "iadd": "add",
    "mul": "mul",
    "rmul": "mul",
    "imul": "mul",
}

# Calls that move no data in the canonical graph: the output stands for (part of) the input.
_VIEWS = frozenset(
    [
        "view",
        "view_as",
        "reshape",
        "reshape_as",
        "transpose",
        "permute",
        "contiguous",
        "split",
        "split_with_sizes",
        "chunk",
        "getitem",
        "expand",
        "expand_as",
        "repeat",
        "unsqueeze",
        "squeeze",
        "t",
        "flatten",
        "unflatten",
        "narrow",
        "select",
        "unbind",
        "movedim",
        "swapaxes",
        "to",
        "float",
        "half",
        "bfloat16",
        "type",
        "type_as",
        "detach",
        "clone",
    ]
)

_LAYER_RE = re.compile(r"(?:^|\.)layers\.(\d+)(?:\.|$)")

_current: Recorder | None = None


@dataclass(slots=True)
class _Tag:
    producer: int | None  # op that produced the tensor; None for a static weight
    static: bool  # a model parameter (or a view of one)
    elems: int  # distinct elements of the producer's output this tensor covers


def _tensors(args: Any) -> Iterator[torch.Tensor]:
    for a in args:
        if isinstance(a, torch.Tensor):
            yield a
        elif isinstance(a, list | tuple):
            yield from _tensors(a)


def _broadcast(*shapes: tuple[int, ...]) -> tuple[int, ...]:
    rank = max(len(s) for s in shapes)
    out = []
    for dims in zip(*((1,) * (rank - len(s)) + tuple(s) for s in shapes), strict=True):
        sizes = {d for d in dims if d != 1}
        if len(sizes) > 1:
            raise ValueError(f"shapes {shapes} do not broadcast")
        out.append(sizes.pop() if sizes else 1)
    return tuple(out)


def _shape_only(kind: str, args: Any, kwargs: Any) -> torch.Tensor | None:
    """The output of a canonical call on meta tensors, made from its shape rule alone.

    Running torch's meta kernels would give the same shapes, but most of them are Python
    reference implementations (slow per call, and the first one imports torch._dynamo, ~2 s).
    Returns None where no rule applies (the call is then run normally)."""
    tensors = [t for t in _tensors(args) if isinstance(t, torch.Tensor)]
    if not tensors or any(t.device.type != "meta" for t in tensors):
        return None
    x = tensors[0]
    if kind == "linear":
        shape = (*x.shape[:-1], tensors[1].shape[0])
    elif kind == "embedding":
        shape = (*x.shape, tensors[1].shape[-1])
    elif kind == "matmul":
        if len(tensors) != 2 or min(t.dim() for t in tensors) < 2:
            return None
        a, b = tensors
        shape = (*_broadcast(tuple(a.shape[:-2]), tuple(b.shape[:-2])), a.shape[-2], b.shape[-1])
    elif kind in ("add", "mul"):
        shape = _broadcast(*(tuple(t.shape) for t in tensors))
    elif kind in FLOP_PER_ELEMENT:  # norms, activations, softmax: shape-preserving
        shape = tuple(x.shape)
    else:
        return None
    dtype = tensors[1].dtype if kind == "embedding" else x.dtype
    return torch.empty(shape, dtype=dtype, device=x.device)


class Recorder(TorchFunctionMode):
    """Records canonical ops while active; see the module docstring."""

    def __init__(self, dtype_bytes: int) -> None:
        super().__init__()
        self.dtype_bytes = dtype_bytes
        self.ops: list[Op] = []
        self.edges: list[Edge] = []
        self.unrecognized: Counter[str] = Counter()
        self._tags: dict[int, _Tag] = {}
        self._keep: list[torch.Tensor] = []  # keeps tagged tensors alive: ids are never reused
        self._suppress = 0
        self._modules: list[tuple[str, bool]] = [("", False)]  # (path, is_leaf) stack
        self._leaf_used: set[int] = set()  # depth of leaf module frames that named an op
        self._label: tuple[int, str] | None = None  # (module depth, label) from `named`
        self._names: set[str] = set()

    # -- module paths ----------------------------------------------------------------------
    def attach(self, model: nn.Module) -> list[Any]:
        """Forward hooks that keep the module-path stack; returns handles to remove."""
        handles = []
        for path, module in model.named_modules():
            if not path:
                continue
            leaf = next(iter(module.children()), None) is None

            def pre(_m: nn.Module, _a: Any, path: str = path, leaf: bool = leaf) -> None:
                self._modules.append((path, leaf))

            def post(_m: nn.Module, _a: Any, _o: Any) -> None:
                self._leaf_used.discard(len(self._modules) - 1)
                self._modules.pop()

            handles.append(module.register_forward_pre_hook(pre))
            handles.append(module.register_forward_hook(post, always_call=True))
        return handles

    def _name(self, kind: str) -> str:
        path, leaf = self._modules[-1]
        depth = len(self._modules) - 1
        if self._label is not None and self._label[0] == depth:
            base = f"{path}.{self._label[1]}" if path else self._label[1]
        elif leaf and depth not in self._leaf_used:
            self._leaf_used.add(depth)
            base = path
        else:
            base = f"{path}.{kind}" if path else kind
        name, i = base, 1
        while name in self._names:
            name, i = f"{base}_{i}", i + 1
        self._names.add(name)
        return name

    # -- tags ------------------------------------------------------------------------------
    def _tag(self, t: torch.Tensor) -> _Tag | None:
        tag = self._tags.get(id(t))
        if tag is None and isinstance(t, nn.Parameter):
            tag = _Tag(None, True, t.numel())
            self._set_tag(t, tag)
        return tag

    def _set_tag(self, t: torch.Tensor, tag: _Tag) -> None:
        self._tags[id(t)] = tag
        self._keep.append(t)

    # -- recording -------------------------------------------------------------------------
    def _record(
        self,
        kind: str,
        out: torch.Tensor,
        inputs: list[torch.Tensor],
        *,
        M: int,
        N: int,
        K: int = 1,
        batch: int = 1,
        flops: float,
        weight_elements: int = 0,
        static: bool = False,
        extra_in: int = 0,
    ) -> None:
        op_id = len(self.ops)
        per_producer: dict[int, int] = {}
        seen: set[int] = set()
        for t in inputs:
            tag = self._tags.get(id(t))
            if tag is None or tag.producer is None or id(t) in seen:
                continue
            seen.add(id(t))
            per_producer[tag.producer] = per_producer.get(tag.producer, 0) + tag.elems
        elements_in = extra_in
        for src, elems in per_producer.items():
            elems = min(elems, self.ops[src].elements)
            elements_in += elems
            self.edges.append(Edge(src, op_id, elems, float(elems * self.dtype_bytes)))
        name = self._name(kind)
        m = _LAYER_RE.search(name)
        self.ops.append(
            Op(
                id=op_id,
                name=name,
                kind=kind,
                shape=tuple(out.shape),
                M=int(M),
                N=int(N),
                K=int(K),
                batch=int(batch),
                flops=float(flops),
                elements_in=int(elements_in),
                weight_elements=int(weight_elements),
                dtype_bytes=self.dtype_bytes,
                static=static,
                layer=int(m.group(1)) if m else None,
            )
        )
        self._set_tag(out, _Tag(op_id, False, out.numel()))

    def _elementwise(
        self, kind: str, out: torch.Tensor, inputs: list[torch.Tensor], weights: int = 0
    ) -> None:
        n = out.shape[-1] if out.dim() else 1
        elements = out.numel()
        self._record(
            kind,
            out,
            inputs,
            M=elements // max(n, 1),
            N=n,
            flops=elements * FLOP_PER_ELEMENT[kind],
            weight_elements=weights,
        )

    def __torch_function__(self, func, types, args=(), kwargs=None):  # type: ignore[override]
        kwargs = kwargs or {}
        if self._suppress:
            return func(*args, **kwargs)
        fname = getattr(func, "__name__", "").strip("_")
        kind = _KIND_OF.get(fname)
        out = _shape_only(kind, args, kwargs) if kind else None
        if out is None:
            out = func(*args, **kwargs)
        if kind is None and fname not in _VIEWS:
            if isinstance(out, torch.Tensor | list | tuple):
                self._pass_through(fname, args, kwargs, out, count=True)
            return out
        if not isinstance(out, torch.Tensor):  # views that return tuples (split, chunk, ...)
            if isinstance(out, list | tuple):
                self._pass_through(fname, args, kwargs, out, count=False)
            return out
        if kind is None:
            self._pass_through(fname, args, kwargs, out, count=False)
            return out
        inputs = list(_tensors(args)) + list(_tensors(kwargs.values()))
        tags = [self._tag(t) for t in inputs]
        acts = [t for t, g in zip(inputs, tags, strict=True) if g and g.producer is not None]
        weights = [t for t, g in zip(inputs, tags, strict=True) if g and g.static]
        if kind == "embedding":
            ids = inputs[0]
            self._record(
                "embedding",
                out,
                [],
                M=out.numel() // out.shape[-1],
                N=out.shape[-1],
                flops=0,
                weight_elements=out.numel(),  # the rows actually gathered
                extra_in=ids.numel(),  # token / position ids read
            )
        elif not acts:
            pass  # constants only (position ids, masks, rotary tables): not part of the graph
        elif kind == "linear":
            x, w = args[0], args[1]
            bias = args[2] if len(args) > 2 else kwargs.get("bias")
            n, k = w.shape
            m = out.numel() // n
            flops = 2 * m * n * k + (m * n if bias is not None else 0)
            wel = w.numel() + (bias.numel() if bias is not None else 0)
            self._record(
                "matmul", out, [x], M=m, N=n, K=k, flops=flops, weight_elements=wel, static=True
            )
        elif kind == "matmul":
            self._matmul(out, inputs, weights)
        else:
            self._elementwise(kind, out, acts, sum(w.numel() for w in weights))
        return out

    def _matmul(
        self, out: torch.Tensor, inputs: list[torch.Tensor], weights: list[torch.Tensor]
    ) -> None:
        a, b = inputs[0], inputs[1]
        k = a.shape[-1]
        if weights and b.dim() <= 2:  # activation @ weight: fold leading dims into M
            n = out.shape[-1] if out.dim() else 1
            m, batch = out.numel() // max(n, 1), 1
        else:
            shape = tuple(out.shape)
            n = shape[-1] if b.dim() > 1 else 1
            m = shape[-2] if a.dim() > 1 and len(shape) >= 2 else 1
            batch = out.numel() // (m * n)
        self._record(
            "matmul",
            out,
            inputs,
            M=m,
            N=n,
            K=k,
            batch=batch,
            flops=2 * batch * m * n * k,
            weight_elements=sum(w.numel() for w in weights),
            static=bool(weights),
        )

    def _pass_through(self, fname: str, args: Any, kwargs: Any, out: Any, count: bool) -> None:
        """The outputs stand for the first tagged input (views, and unknown calls)."""
        outs = list(_tensors([out]))
        if not outs:
            return
        src = None
        for t in _tensors(args):
            src = self._tag(t)
            if src is not None:
                break
        if src is None:
            return
        if count and src.producer is not None:
            self.unrecognized[fname] += 1
        for o in outs:
            self._set_tag(o, _Tag(src.producer, src.static, min(src.elems, o.numel())))

    # -- fused regions ---------------------------------------------------------------------
    def region(
        self, kind: str, same_shape: bool, fn: Callable[..., Any], args: Any, kwargs: Any
    ) -> Any:
        inputs = list(_tensors(args)) + list(_tensors(kwargs.values()))
        tags = [self._tag(t) for t in inputs]
        self._suppress += 1
        try:
            if same_shape and inputs and all(t.device.type == "meta" for t in inputs):
                x = inputs[0]  # shapes are all a meta trace needs (empty_like is slow on meta)
                out = torch.empty(x.shape, dtype=x.dtype, device=x.device)
            else:
                out = fn(*args, **kwargs)
        finally:
            self._suppress -= 1
        acts = [t for t, g in zip(inputs, tags, strict=True) if g and g.producer is not None]
        weights = sum(t.numel() for t, g in zip(inputs, tags, strict=True) if g and g.static)
        self._elementwise(kind, out, acts, weights)
        return out


def canonical(
    kind: str, same_shape: bool = False
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator: a call of the function is recorded as ONE op of `kind` (its tensor inputs in,
    its tensor output out); nothing inside is recorded. Without an active recorder it is a
    plain call.

    `same_shape=True` promises that the output has the shape and dtype of the first tensor
    argument: on meta tensors the recorder then skips running the body."""

    def deco(fn: Callable[..., Any]) -> Callable[..., Any]:
        @functools.wraps(fn)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            rec = _current
            if rec is None or rec._suppress:
                return fn(*args, **kwargs)
            return rec.region(kind, same_shape, fn, args, kwargs)

        return wrapper

    return deco


@contextmanager
def named(label: str) -> Iterator[None]:
    """Names the ops recorded inside `<module path>.<label>` (suffixed _1, _2 if repeated).

    Only ops of the current module are named so; ops of submodules called inside keep theirs."""
    rec = _current
    if rec is None:
        yield
        return
    old, rec._label = rec._label, (len(rec._modules) - 1, label)
    try:
        yield
    finally:
        rec._label = old


@contextmanager
def recording(model: nn.Module, dtype_bytes: int) -> Iterator[Recorder]:
    """Activates a Recorder (and the module-path hooks on `model`) for the enclosed forward."""
    global _current
    if _current is not None:
        raise RuntimeError("nested tracing is not supported")
    rec = Recorder(dtype_bytes)
    handles = rec.attach(model)
    _current = rec
    try:
        with rec:
            yield rec
    finally:
        _current = None
        for h in handles:
            h.remove()
