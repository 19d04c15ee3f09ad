"""The model front end: op counts, exact shapes, closed-form FLOPs, edges, errors."""

from __future__ import annotations

import subprocess
import sys
import time
from collections import deque
from functools import cache

import pytest

from lightcode.errors import ModelError
from lightcode.frontend import available_models, get_config, trace
from lightcode.frontend.graph import OpGraph


@cache
def traced(model: str, seq_len: int, batch: int = 1, dtype_bytes: int = 2) -> OpGraph:
    return trace(model, seq_len, batch=batch, dtype_bytes=dtype_bytes)


def op(g: OpGraph, name: str):
    (found,) = [o for o in g.ops if o.name == name]
    return found


def in_edges(g: OpGraph, op_id: int):
    return [e for e in g.edges if e.dst == op_id]


# -- closed forms --------------------------------------------------------------------------
def gpt2_flops(L: int, d=768, H=12, f=3072, V=50257, n=12) -> int:
    """Prefill FLOPs of GPT-2 at prompt length L, batch 1 (matmul = 2·M·N·K, + M·N per bias)."""
    layer = (
        5 * L * d  # ln_1
        + (2 * L * d * 3 * d + L * 3 * d)  # c_attn (fused q, k, v) + bias
        + 2 * L * L * d  # QKᵀ: H heads of L×dh·dh×L
        + 5 * H * L * L  # scale + mask + softmax
        + 2 * L * L * d  # probs·V
        + (2 * L * d * d + L * d)  # attn c_proj + bias
        + L * d  # residual
        + 5 * L * d  # ln_2
        + (2 * L * d * f + L * f)  # c_fc + bias
        + 8 * L * f  # gelu
        + (2 * L * f * d + L * d)  # mlp c_proj + bias
        + L * d  # residual
    )
    return L * d + n * layer + 5 * L * d + 2 * L * d * V  # embed add, blocks, ln_f, LM head


def llama_flops(L: int, d: int, H: int, kv: int, f: int, V: int, n: int) -> int:
    dh = d // H
    layer = (
        2 * 4 * L * d  # two RMSNorms
        + 2 * L * d * d  # q_proj
        + 2 * 2 * L * d * kv * dh  # k_proj, v_proj (GQA width kv·dh)
        + (3 * L * d + 3 * L * kv * dh)  # rotary on q and on k
        + 2 * 2 * L * L * d  # QKᵀ and probs·V over all H heads
        + 5 * H * L * L  # softmax
        + 2 * L * d * d  # o_proj
        + 2 * L * d  # two residual adds
        + 2 * 2 * L * d * f  # gate_proj, up_proj
        + (4 * L * f + L * f)  # silu, gate·up
        + 2 * L * f * d  # down_proj
    )
    return n * layer + 4 * L * d + 2 * L * d * V  # blocks, final norm, LM head


# -- registry and errors -------------------------------------------------------------------
def test_available_models_lists_the_shipped_configs():
    assert available_models() == [
        "bert-base",
        "bert-large",
        "gpt2",
        "gpt2-large",
        "gpt2-medium",
        "gpt2-xl",
        "llama-2-13b",
        "llama-2-70b",
        "llama-2-7b",
        "llama-3-8b",
        "mistral-7b",
    ]
    assert get_config("Mistral-7B-v0.1").name == "mistral-7b"
    assert get_config("bert-base-uncased").max_context == 512


def test_unknown_model_gets_a_did_you_mean_hint():
    with pytest.raises(ModelError) as err:
        trace("lama-2-7b", 16)
    assert "unknown model 'lama-2-7b'" in str(err.value)
    assert "did you mean 'llama-2-7b'" in err.value.hint


def test_seq_len_beyond_context_is_rejected():
    with pytest.raises(
        ModelError, match=r"seq_len 1025 exceeds the maximum context of gpt2 \(1024"
    ):
        trace("gpt2", 1025)
    with pytest.raises(ModelError, match="seq_len must be >= 1"):
        trace("gpt2", 0)
    with pytest.raises(ModelError, match="batch must be >= 1"):
        trace("gpt2", 8, batch=0)
    assert traced("gpt2", 1024).seq_len == 1024  # the limit itself is fine


# -- GPT-2 ---------------------------------------------------------------------------------
def test_gpt2_1024_op_counts():
    g = traced("gpt2", 1024)
    matmuls = [o for o in g.ops if o.kind == "matmul"]
    assert len(matmuls) == 12 * 6 + 1 == 73
    assert sum(o.static for o in matmuls) == 12 * 4 + 1 == 49
    assert sum(not o.static for o in matmuls) == 24
    assert dict(g.kind_counts()) == {
        "embedding": 2,  # tokens, positions
        "add": 1 + 12 * 2,  # token + position, two residuals per block
        "layernorm": 12 * 2 + 1,
        "matmul": 73,
        "softmax": 12,
        "gelu": 12,
    }
    assert g.parameters == 124_439_808  # tied LM head counted once


def test_gpt2_flops_match_closed_form():
    assert traced("gpt2", 1024).flops == gpt2_flops(1024) == 292_908_171_264
    # everything scales with the batch; attention is quadratic in L (no rescaling)
    assert traced("gpt2", 37, 2).flops == 2 * gpt2_flops(37)


def test_gpt2_projection_and_attention_shapes():
    g = traced("gpt2", 1024)
    c_attn = op(g, "layers.0.attn.c_attn")
    assert (c_attn.M, c_attn.N, c_attn.K, c_attn.batch) == (1024, 3 * 768, 768, 1)
    assert c_attn.static and c_attn.weight_elements == 768 * 2304 + 2304
    qk = op(g, "layers.5.attn.qk")
    assert (qk.M, qk.N, qk.K, qk.batch, qk.static) == (1024, 1024, 64, 12, False)
    assert qk.weight_elements == 0 and qk.layer == 5
    head = op(g, "lm_head")
    assert (head.M, head.N, head.K, head.layer) == (1024, 50257, 768, None)


# -- Llama family --------------------------------------------------------------------------
def test_llama_2_7b_4096_counts_flops_parameters():
    g = traced("llama-2-7b", 4096)
    matmuls = [o for o in g.ops if o.kind == "matmul"]
    assert len(matmuls) == 32 * 9 + 1 == 289
    assert sum(o.static for o in matmuls) == 32 * 7 + 1
    assert dict(g.kind_counts()) == {
        "embedding": 1,
        "rmsnorm": 32 * 2 + 1,
        "matmul": 289,
        "rotary": 32 * 2,
        "softmax": 32,
        "add": 32 * 2,
        "silu": 32,
        "mul": 32,
    }
    assert g.parameters == 6_738_415_616
    closed = llama_flops(4096, d=4096, H=32, kv=32, f=11008, V=32000, n=32)
    assert g.flops == closed
    # static matmuls read every weight except the embedding table and the norm gammas
    static_w = sum(o.weight_elements for o in matmuls if o.static)
    assert static_w == g.parameters - 32000 * 4096 - 65 * 4096


def test_llama_2_70b_grouped_query_attention():
    g = traced("llama-2-70b", 4096)
    assert g.kind_counts()["matmul"] == 80 * 9 + 1
    q, k, v = (op(g, f"layers.7.attn.{p}_proj") for p in "qkv")
    assert (q.M, q.N, q.K) == (4096, 8192, 8192)
    assert (k.N, v.N) == (1024, 1024)  # 8 kv heads × 128
    qk = op(g, "layers.7.attn.qk")
    assert (qk.M, qk.N, qk.K, qk.batch) == (4096, 4096, 128, 64)  # all 64 query heads
    # repeat_kv is a view: the kv-head tensor crosses the edge, not its 8× expansion
    (k_edge,) = [e for e in in_edges(g, qk.id) if e.src == op(g, "layers.7.attn.k_rotary").id]
    assert k_edge.elements == 4096 * 1024
    assert g.parameters == 68_976_648_192
    assert g.flops == llama_flops(4096, d=8192, H=64, kv=8, f=28672, V=32000, n=80)


@pytest.mark.parametrize(
    ("model", "params"),
    [
        ("gpt2-medium", 354_823_168),
        ("gpt2-large", 774_030_080),
        ("gpt2-xl", 1_557_611_200),
        ("llama-2-13b", 13_015_864_320),
        ("llama-3-8b", 8_030_261_248),
        ("mistral-7b", 7_241_732_096),
        ("bert-base", 108_891_648),  # encoder without the pooler
        ("bert-large", 334_092_288),
    ],
)
def test_parameter_counts_match_the_published_models(model, params):
    assert traced(model, 8).parameters == params


# -- BERT ----------------------------------------------------------------------------------
def test_bert_is_a_bidirectional_encoder_without_head():
    g = traced("bert-base", 512)
    assert dict(g.kind_counts()) == {
        "embedding": 3,  # word, token type, position
        "add": 2 + 12 * 2,
        "layernorm": 1 + 12 * 2,
        "matmul": 12 * 8,  # q, k, v, QKᵀ, ·V, out, intermediate, output
        "softmax": 12,
        "gelu": 12,
    }
    assert g.ops[-1].name == "layers.11.mlp_norm"  # post-norm, no LM head
    qk = op(g, "layers.0.attn.qk")
    assert (qk.M, qk.N, qk.batch) == (512, 512, 12)


# -- exact shapes at any length ------------------------------------------------------------
def test_odd_seq_len_and_batch_give_exact_shapes():
    g = traced("llama-2-7b", 37)
    q = op(g, "layers.0.attn.q_proj")
    assert (q.M, q.N, q.K) == (37, 4096, 4096)
    qk = op(g, "layers.0.attn.qk")
    assert qk.shape == (1, 32, 37, 37) and (qk.M, qk.N, qk.K, qk.batch) == (37, 37, 128, 32)
    sm = op(g, "layers.0.attn.softmax")
    assert (sm.M, sm.N, sm.K, sm.batch) == (32 * 37, 37, 1, 1)
    g2 = traced("llama-2-7b", 37, 2)
    q2 = op(g2, "layers.0.attn.q_proj")
    assert (q2.M, q2.N, q2.K) == (74, 4096, 4096)  # batch folds into the projection rows
    assert op(g2, "layers.0.attn.qk").batch == 64  # batch × heads
    assert g2.flops == 2 * g.flops


def test_flops_are_exact_at_every_length_not_rescaled():
    for L in (1, 2, 100, 513):
        assert traced("gpt2", L).flops == gpt2_flops(L)


def test_non_matmul_fields():
    g = traced("gpt2", 10, dtype_bytes=1)
    gelu = op(g, "layers.0.mlp.gelu")
    assert (gelu.M, gelu.N, gelu.K, gelu.batch) == (10, 3072, 1, 1)
    assert gelu.flops == 8 * 10 * 3072 and gelu.elements_in == 10 * 3072
    ln = op(g, "layers.0.ln_1")
    assert ln.weight_elements == 2 * 768 and ln.flops == 5 * 10 * 768
    wte = op(g, "wte")
    assert wte.weight_elements == 10 * 768 and wte.flops == 0  # rows gathered, not the table
    assert all(o.dtype_bytes == 1 for o in g.ops)


# -- edges ---------------------------------------------------------------------------------
@pytest.mark.parametrize("model", ["gpt2", "llama-2-7b", "llama-3-8b", "bert-base"])
def test_edges_form_a_connected_topologically_ordered_graph(model):
    g = traced(model, 64, 2)
    assert all(e.src < e.dst for e in g.edges)
    assert all(e.bytes == e.elements * g.dtype_bytes for e in g.edges)
    assert len({(e.src, e.dst) for e in g.edges}) == len(g.edges)  # one edge per pair
    sources = {i for i in range(len(g.ops))} - {e.dst for e in g.edges}
    assert sources == {o.id for o in g.ops if o.kind == "embedding"}
    assert 0 in sources
    # everything is reachable from the embeddings, and everything feeds the output
    succ = g.successors()
    seen, todo = set(sources), deque(sources)
    while todo:
        for nxt in succ[todo.popleft()]:
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    assert seen == set(range(len(g.ops)))
    assert [i for i, s in enumerate(succ) if not s] == [len(g.ops) - 1]
    # an op reads exactly what its in-edges carry (plus the ids an embedding gathers by)
    for o in g.ops:
        if o.kind != "embedding":
            assert o.elements_in == sum(e.elements for e in in_edges(g, o.id)), o.name


def test_residual_add_and_fused_qkv_edges():
    g = traced("gpt2", 64)
    res = op(g, "layers.3.attn_residual")
    srcs = {g.ops[e.src].name for e in in_edges(g, res.id)}
    assert srcs == {"layers.2.mlp_residual", "layers.3.attn.c_proj"}
    assert all(e.elements == 64 * 768 for e in in_edges(g, res.id))
    # QKᵀ reads q and k (two thirds of c_attn's output) over ONE edge; ·V reads v
    (qk_in,) = in_edges(g, op(g, "layers.3.attn.qk").id)
    assert qk_in.elements == 2 * 64 * 768
    av_in = {g.ops[e.src].kind: e.elements for e in in_edges(g, op(g, "layers.3.attn.av").id)}
    assert av_in == {"matmul": 64 * 768, "softmax": 12 * 64 * 64}


def test_tracing_is_deterministic():
    assert trace("llama-3-8b", 33) == trace("llama-3-8b", 33)
    assert len({o.name for o in traced("llama-3-8b", 33).ops}) == len(traced("llama-3-8b", 33).ops)


def test_tracing_is_fast():
    trace("gpt2", 8)  # warm the module cache
    t0 = time.perf_counter()
    trace("gpt2", 1024)
    gpt2_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    trace("llama-2-70b", 4096)
    llama_s = time.perf_counter() - t0
    assert gpt2_s < 0.5 and llama_s < 3.0, (gpt2_s, llama_s)


def test_cold_trace_avoids_torch_python_meta_kernels():
    """Python meta kernels import torch._dynamo and sympy on first use (~2 s cold)."""
    code = (
        "import sys, time, torch\n"
        "from lightcode.frontend import available_models, trace\n"
        "t = time.perf_counter()\n"
        "for m in available_models(): trace(m, 64)\n"
        "print(time.perf_counter() - t)\n"
        "assert 'torch._dynamo' not in sys.modules and 'sympy' not in sys.modules\n"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert float(run.stdout) < 3.0  # all eleven models, module construction included


def test_fused_regions_are_plain_pytorch_outside_a_trace():
    import torch

    from lightcode.frontend.models import masked_softmax, rotary

    probs = masked_softmax(torch.zeros(1, 3, 3), 1.0, True)
    assert torch.allclose(probs[0, 1], torch.tensor([0.5, 0.5, 0.0]))
    x = torch.randn(1, 2, 5, 8)
    y = rotary(x, 10000.0)
    assert torch.allclose(y[..., 0, :], x[..., 0, :])  # position 0 is not rotated
    assert torch.allclose(y.norm(dim=-1), x.norm(dim=-1), atol=1e-5)  # a rotation
