"""The model front end: a model name and a prompt shape in, an `OpGraph` with exact shapes out.

    >>> from lightcode.frontend import trace
    >>> g = trace("gpt2", seq_len=1024)
    >>> g.kind_counts()["matmul"]
    73

Models are small own `nn.Module`s (models.py) built on the meta device from the JSON configs in
`configs/`; tracer.py records their forward as canonical ops. See docs/frontend.md.
"""

from __future__ import annotations

from lightcode.errors import ModelError
from lightcode.frontend.config import ModelConfig, available_models, get_config
from lightcode.frontend.graph import OpGraph

# torch is imported on the first trace, not here: importing `lightcode.frontend.graph` (the
# contract other stages use) must not pay for it.

__all__ = [
    "ModelConfig",
    "available_models",
    "get_config",
    "trace",
]


def _check_int(name: str, value: object, low: int, high: int | None, model: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise ModelError(f"{name} must be an integer, got {value!r}")
    if value < low:
        raise ModelError(f"{name} must be >= {low}, got {value}")
    if high is not None and value > high:
        raise ModelError(
            f"{name} {value} exceeds the maximum context of {model} ({high} tokens)",
            hint=f"use a {name} of at most {high}",
        )
    return value


DEFAULT_SEQ_LEN = 1024


def trace(model: str, seq_len: int | None = None, batch: int = 1, dtype_bytes: int = 2) -> OpGraph:
    """Trace the prefill of `batch` prompts of `seq_len` tokens through `model`.

    Returns the canonical op graph with exact shapes at this `seq_len` (no rescaling; None:
    1024 tokens, or the model's whole context if shorter); tensor bytes use `dtype_bytes` per
    element. Raises ModelError for an unknown model (with a "did you mean" hint) or a shape
    outside the model's limits.
    """
    cfg = get_config(model)
    if seq_len is None:
        seq_len = min(DEFAULT_SEQ_LEN, cfg.max_context)
    _check_int("seq_len", seq_len, 1, cfg.max_context, cfg.name)
    _check_int("batch", batch, 1, None, cfg.name)
    if dtype_bytes is None or isinstance(dtype_bytes, bool) or dtype_bytes <= 0:
        raise ModelError(f"dtype_bytes must be positive, got {dtype_bytes!r}")

    import torch

    from lightcode.frontend.models import META, build
    from lightcode.frontend.tracer import recording

    module, parameters = build(cfg.name)
    ids = torch.zeros(batch, seq_len, dtype=torch.long, device=META)
    with torch.inference_mode(), recording(module, dtype_bytes) as rec:
        module(ids)
    if rec.unrecognized:  # a model change used a call the recorder does not classify
        raise RuntimeError(f"untraced calls on activations: {dict(rec.unrecognized)}")
    return OpGraph(
        model=cfg.name,
        seq_len=seq_len,
        batch=batch,
        dtype_bytes=dtype_bytes,
        parameters=parameters,
        ops=tuple(rec.ops),
        edges=tuple(rec.edges),
    )
