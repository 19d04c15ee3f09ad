"""Small `nn.Module`s for the supported families, built on the meta device (shapes, no weights).

They follow the published architectures closely enough that parameter counts and every
tensor shape match the reference implementations; dropout and anything that does not change
shapes or work is left out. Fused regions (`canonical`) and op labels (`named`) tell the
tracer how to record them; without a recorder they are plain PyTorch.
"""

from __future__ import annotations

from functools import cache

import torch
import torch.nn.functional as F
from torch import nn

from lightcode.frontend.config import ModelConfig, get_config
from lightcode.frontend.tracer import canonical, named

META = torch.device("meta")


# -- shared pieces -------------------------------------------------------------------------
@canonical("softmax", same_shape=True)
def masked_softmax(scores: torch.Tensor, scale: float, causal: bool) -> torch.Tensor:
    """Scale, causal mask (decoders) and softmax over the last dim: one op."""
    scores = scores * scale
    if causal:
        n, m = scores.shape[-2:]
        mask = torch.ones(n, m, dtype=torch.bool, device=scores.device).triu(1)
        scores = scores.masked_fill(mask, float("-inf"))
    return F.softmax(scores, dim=-1)


def attention(q: torch.Tensor, k: torch.Tensor, v: torch.Tensor, causal: bool) -> torch.Tensor:
    """q [B, H, L, dh], k/v [B, H, L, dh] -> [B, H, L, dh]. Two dynamic matmuls + softmax."""
    with named("qk"):
        scores = q @ k.transpose(-2, -1)
    probs = masked_softmax(scores, q.shape[-1] ** -0.5, causal)
    with named("av"):
        return probs @ v


def _embedding(rows: int, dim: int) -> nn.Embedding:
    # An explicit (meta) weight skips the normal_() init: on meta that runs a Python reference
    # kernel whose first call imports torch._dynamo (~2 s).
    return nn.Embedding(rows, dim, _weight=torch.empty(rows, dim))


def _positions(n: int) -> torch.Tensor:
    # Made on the CPU and moved: arange on meta runs a Python reference that imports sympy.
    return torch.arange(n, device="cpu").to(META)


def split_heads(x: torch.Tensor, heads: int) -> torch.Tensor:
    b, n, _ = x.shape
    return x.view(b, n, heads, -1).transpose(1, 2)


def merge_heads(x: torch.Tensor) -> torch.Tensor:
    b, h, n, dh = x.shape
    return x.transpose(1, 2).reshape(b, n, h * dh)


class GeluMLP(nn.Module):
    def __init__(self, cfg: ModelConfig, up: str = "c_fc", down: str = "c_proj") -> None:
        super().__init__()
        self._names = (up, down)
        self.add_module(up, nn.Linear(cfg.hidden, cfg.intermediate, bias=cfg.bias))
        self.add_module(down, nn.Linear(cfg.intermediate, cfg.hidden, bias=cfg.bias))
        self.approximate = "tanh" if cfg.activation == "gelu_tanh" else "none"

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        up, down = (getattr(self, n) for n in self._names)
        return down(F.gelu(up(x), approximate=self.approximate))


# -- GPT-2 ---------------------------------------------------------------------------------
class GPT2Attention(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.heads, self.hidden = cfg.heads, cfg.hidden
        self.c_attn = nn.Linear(cfg.hidden, 3 * cfg.hidden)  # fused q, k, v
        self.c_proj = nn.Linear(cfg.hidden, cfg.hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = self.c_attn(x).split(self.hidden, dim=-1)
        q, k, v = (split_heads(t, self.heads) for t in (q, k, v))
        return self.c_proj(merge_heads(attention(q, k, v, causal=True)))


class GPT2Block(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.ln_1 = nn.LayerNorm(cfg.hidden, eps=cfg.norm_eps)
        self.attn = GPT2Attention(cfg)
        self.ln_2 = nn.LayerNorm(cfg.hidden, eps=cfg.norm_eps)
        self.mlp = GeluMLP(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with named("attn_residual"):
            x = x + self.attn(self.ln_1(x))
        with named("mlp_residual"):
            return x + self.mlp(self.ln_2(x))


class GPT2(nn.Module):
    """Learned positions, pre-LayerNorm blocks, fused QKV, GELU (tanh) MLP, tied LM head."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.wte = _embedding(cfg.vocab, cfg.hidden)
        self.wpe = _embedding(cfg.max_context, cfg.hidden)
        self.register_buffer("position_ids", _positions(cfg.max_context), persistent=False)
        self.layers = nn.ModuleList(GPT2Block(cfg) for _ in range(cfg.layers))
        self.ln_f = nn.LayerNorm(cfg.hidden, eps=cfg.norm_eps)
        self.lm_head = nn.Linear(cfg.hidden, cfg.vocab, bias=False)
        if cfg.tied_embeddings:
            self.lm_head.weight = self.wte.weight

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        with named("embed_add"):
            x = self.wte(ids) + self.wpe(self.position_ids[: ids.shape[1]])
        for block in self.layers:
            x = block(x)
        return self.lm_head(self.ln_f(x))


# -- Llama (Llama 2/3, Mistral) ------------------------------------------------------------
class RMSNorm(nn.Module):
    def __init__(self, dim: int, eps: float) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(dim))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.rms_norm(x, self.weight.shape, self.weight, self.eps)


def _rotate_half(x: torch.Tensor) -> torch.Tensor:
    x1, x2 = x.chunk(2, dim=-1)
    return torch.cat((-x2, x1), dim=-1)


@canonical("rotary", same_shape=True)
def rotary(x: torch.Tensor, theta: float) -> torch.Tensor:
    """RoPE (HF's rotate-half form) on one tensor [B, H, L, dh] at positions 0..L-1: one op.

    The cos/sin tables are built inside the region: they depend on positions only."""
    n, dh = x.shape[-2:]
    inv_freq = theta ** -(torch.arange(0, dh, 2, device=x.device).float() / dh)
    freqs = torch.outer(torch.arange(n, device=x.device).float(), inv_freq)
    emb = torch.cat((freqs, freqs), dim=-1)
    return x * emb.cos() + _rotate_half(x) * emb.sin()


class LlamaAttention(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.heads, self.kv_heads, dh = cfg.heads, cfg.kv_heads, cfg.head_dim
        self.theta = cfg.rope_theta
        self.q_proj = nn.Linear(cfg.hidden, cfg.heads * dh, bias=cfg.bias)
        self.k_proj = nn.Linear(cfg.hidden, cfg.kv_heads * dh, bias=cfg.bias)
        self.v_proj = nn.Linear(cfg.hidden, cfg.kv_heads * dh, bias=cfg.bias)
        self.o_proj = nn.Linear(cfg.heads * dh, cfg.hidden, bias=cfg.bias)

    def _repeat_kv(self, t: torch.Tensor) -> torch.Tensor:
        """GQA: each kv head serves heads/kv_heads query heads (a view, as in HF's repeat_kv)."""
        rep = self.heads // self.kv_heads
        if rep == 1:
            return t
        b, h, n, dh = t.shape
        return t[:, :, None].expand(b, h, rep, n, dh).reshape(b, h * rep, n, dh)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q = split_heads(self.q_proj(x), self.heads)
        k = split_heads(self.k_proj(x), self.kv_heads)
        v = split_heads(self.v_proj(x), self.kv_heads)
        with named("q_rotary"):
            q = rotary(q, self.theta)
        with named("k_rotary"):
            k = rotary(k, self.theta)
        y = attention(q, self._repeat_kv(k), self._repeat_kv(v), causal=True)
        return self.o_proj(merge_heads(y))


class SwiGLU(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.gate_proj = nn.Linear(cfg.hidden, cfg.intermediate, bias=cfg.bias)
        self.up_proj = nn.Linear(cfg.hidden, cfg.intermediate, bias=cfg.bias)
        self.down_proj = nn.Linear(cfg.intermediate, cfg.hidden, bias=cfg.bias)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.down_proj(F.silu(self.gate_proj(x)) * self.up_proj(x))


class LlamaBlock(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.input_layernorm = RMSNorm(cfg.hidden, cfg.norm_eps)
        self.attn = LlamaAttention(cfg)
        self.post_attention_layernorm = RMSNorm(cfg.hidden, cfg.norm_eps)
        self.mlp = SwiGLU(cfg)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with named("attn_residual"):
            x = x + self.attn(self.input_layernorm(x))
        with named("mlp_residual"):
            return x + self.mlp(self.post_attention_layernorm(x))


class Llama(nn.Module):
    """RMSNorm pre-norm blocks, RoPE, GQA attention, SwiGLU MLP, untied LM head.

    Mistral's sliding window does not change prefill work up to the window; beyond it, this
    counts the full causal L×L score matrix (as an eager implementation computes it)."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.cfg = cfg
        self.embed_tokens = _embedding(cfg.vocab, cfg.hidden)
        self.layers = nn.ModuleList(LlamaBlock(cfg) for _ in range(cfg.layers))
        self.norm = RMSNorm(cfg.hidden, cfg.norm_eps)
        self.lm_head = nn.Linear(cfg.hidden, cfg.vocab, bias=False)
        if cfg.tied_embeddings:
            self.lm_head.weight = self.embed_tokens.weight

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        x = self.embed_tokens(ids)
        for block in self.layers:
            x = block(x)
        return self.lm_head(self.norm(x))


# -- BERT ----------------------------------------------------------------------------------
class BertAttention(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.heads = cfg.heads
        self.query = nn.Linear(cfg.hidden, cfg.hidden)
        self.key = nn.Linear(cfg.hidden, cfg.hidden)
        self.value = nn.Linear(cfg.hidden, cfg.hidden)
        self.output = nn.Linear(cfg.hidden, cfg.hidden)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        q, k, v = (split_heads(f(x), self.heads) for f in (self.query, self.key, self.value))
        return self.output(merge_heads(attention(q, k, v, causal=False)))


class BertBlock(nn.Module):
    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.attn = BertAttention(cfg)
        self.attn_norm = nn.LayerNorm(cfg.hidden, eps=cfg.norm_eps)
        self.mlp = GeluMLP(cfg, up="intermediate", down="output")
        self.mlp_norm = nn.LayerNorm(cfg.hidden, eps=cfg.norm_eps)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        with named("attn_residual"):
            x = self.attn_norm(x + self.attn(x))  # post-norm
        with named("mlp_residual"):
            return self.mlp_norm(x + self.mlp(x))


class Bert(nn.Module):
    """Word + position + token-type embeddings, post-LayerNorm encoder; no pooler, no head."""

    def __init__(self, cfg: ModelConfig) -> None:
        super().__init__()
        self.word_embeddings = _embedding(cfg.vocab, cfg.hidden)
        self.position_embeddings = _embedding(cfg.max_context, cfg.hidden)
        self.token_type_embeddings = _embedding(cfg.type_vocab, cfg.hidden)
        self.register_buffer("position_ids", _positions(cfg.max_context), persistent=False)
        self.embed_norm = nn.LayerNorm(cfg.hidden, eps=cfg.norm_eps)
        self.layers = nn.ModuleList(BertBlock(cfg) for _ in range(cfg.layers))

    def forward(self, ids: torch.Tensor) -> torch.Tensor:
        pos = self.position_ids[: ids.shape[1]]
        # zeros_like would run a slow Python meta kernel
        types = torch.zeros(ids.shape, dtype=ids.dtype, device=ids.device)
        with named("embed_add"):
            x = self.word_embeddings(ids) + self.token_type_embeddings(types)
            x = self.embed_norm(x + self.position_embeddings(pos))
        for block in self.layers:
            x = block(x)
        return x


FAMILY_MODULES: dict[str, type[nn.Module]] = {"gpt2": GPT2, "llama": Llama, "bert": Bert}


@cache
def build(name: str) -> tuple[nn.Module, int]:
    """The model's module on the meta device (no weights) and its exact parameter count."""
    cfg = get_config(name)
    with META:
        model = FAMILY_MODULES[cfg.family](cfg).eval()
    model.requires_grad_(False)
    params = sum(p.numel() for p in model.parameters())  # tied weights counted once
    return model, params
