"""Model configurations, shipped as data: one JSON file per model in `configs/`.

The fields follow the public model configs (see docs/frontend.md for how to add a model).
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass, field, fields
from functools import cache
from pathlib import Path

from lightcode.errors import ModelError

CONFIG_DIR = Path(__file__).parent / "configs"

FAMILIES = ("gpt2", "llama", "bert")
# What each family's module (models.py) builds; a config that says otherwise is refused rather
# than silently traced as something else.
ARCHITECTURE = {
    "gpt2": {"norm": "layernorm", "mlp": "gelu", "positional": "learned", "causal": True},
    "llama": {"norm": "rmsnorm", "mlp": "swiglu", "positional": "rope", "causal": True},
    "bert": {"norm": "layernorm", "mlp": "gelu", "positional": "learned", "causal": False},
}


@dataclass(frozen=True)
class ModelConfig:
    name: str
    family: str  # one of FAMILIES: selects the nn.Module in models.py
    layers: int
    hidden: int
    heads: int
    kv_heads: int  # < heads means grouped-query attention
    intermediate: int  # MLP width
    vocab: int
    max_context: int  # longest prompt; also the learned-position table size
    norm: str  # "layernorm" | "rmsnorm"
    norm_eps: float
    activation: str  # "gelu_tanh" | "gelu" | "silu"
    mlp: str  # "gelu" (up, act, down) | "swiglu" (gate, up, down)
    positional: str  # "learned" | "rope"
    tied_embeddings: bool  # LM head shares the token-embedding matrix
    bias: bool  # linear layers carry a bias
    causal: bool  # decoder (causal mask) vs encoder (bidirectional)
    lm_head: bool  # a vocabulary projection at the end
    hf_id: str = ""  # the public checkpoint these shapes come from
    aliases: tuple[str, ...] = ()
    type_vocab: int = 0  # BERT token-type embeddings
    rope_theta: float = 10000.0
    sliding_window: int | None = None  # Mistral; prefill at <= window is plain causal
    extra: dict[str, object] = field(default_factory=dict, compare=False, hash=False)

    @property
    def head_dim(self) -> int:
        return self.hidden // self.heads

    def validate(self) -> None:
        problems = []
        if self.family not in FAMILIES:
            problems.append(f"family {self.family!r} is not one of {', '.join(FAMILIES)}")
        if self.hidden % self.heads:
            problems.append(f"hidden {self.hidden} is not a multiple of heads {self.heads}")
        if self.heads % self.kv_heads:
            problems.append(f"heads {self.heads} is not a multiple of kv_heads {self.kv_heads}")
        for key, built in ARCHITECTURE.get(self.family, {}).items():
            if getattr(self, key) != built:
                problems.append(
                    f"{key} {getattr(self, key)!r}: the {self.family} module builds {built!r}"
                )
        for name in ("layers", "hidden", "heads", "kv_heads", "intermediate", "vocab"):
            if getattr(self, name) < 1:
                problems.append(f"{name} must be >= 1")
        if problems:
            raise ModelError(f"bad model config {self.name!r}: " + "; ".join(problems))


_FIELDS = {f.name for f in fields(ModelConfig)} - {"extra"}


def _load(path: Path) -> ModelConfig:
    raw = json.loads(path.read_text())
    known = {k: v for k, v in raw.items() if k in _FIELDS}
    known["aliases"] = tuple(known.get("aliases", ()))
    extra = {k: v for k, v in raw.items() if k not in _FIELDS}
    try:
        cfg = ModelConfig(**known, extra=extra)
    except TypeError as err:
        raise ModelError(f"bad model config {path.name}: {err}") from None
    cfg.validate()
    return cfg


@cache
def _registry() -> tuple[dict[str, ModelConfig], dict[str, str]]:
    configs = {}
    for path in sorted(CONFIG_DIR.glob("*.json")):
        cfg = _load(path)
        configs[cfg.name] = cfg
    lookup = {}
    for cfg in configs.values():
        for key in (cfg.name, *cfg.aliases):
            lookup[key.lower()] = cfg.name
    return configs, lookup


def available_models() -> list[str]:
    """Names of the models `trace` knows, sorted."""
    return sorted(_registry()[0])


def get_config(model: str) -> ModelConfig:
    """The config of `model` (a name or alias, case-insensitive); ModelError if unknown."""
    configs, lookup = _registry()
    key = model.strip().lower()
    if key in lookup:
        return configs[lookup[key]]
    close = difflib.get_close_matches(key, list(lookup), n=3, cutoff=0.5)
    names = list(dict.fromkeys(lookup[c] for c in close))
    hint = (
        f"did you mean {' or '.join(repr(n) for n in names)}?"
        if names
        else f"known models: {', '.join(available_models())}"
    )
    raise ModelError(f"unknown model {model!r}", hint=hint)
