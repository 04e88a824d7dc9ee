"""parallel/: layouts checked by name (Hypothesis over random shapes and GPU counts), one
rank's memory by the papers' formulas, the step, the search."""

from __future__ import annotations

from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsize.parallel.interconnect import find_interconnect, links
from nnsize.parallel.layout import Layout, LayoutError, check, resolve
from nnsize.parallel.rank import layer_activations, serving
from nnsize.parallel.search import divisors, layouts, search
from nnsize.parallel.shape import gpt
from nnsize.parallel.step import elementwise_bytes, step

GPT3 = gpt(96, 12288, 96, name="GPT-3 175B")


def test_gpt3_shape() -> None:
    # 12 x 96 x 12,288^2 = 173,946,175,488 in the layers' matrices, plus the biases: 4h in
    # attention (q, k, v, out) and 4h + h in the MLP, 96 x 9 x 12,288 = 10,616,832
    assert GPT3.layer_params == 12 * 96 * 12288**2 + 96 * 9 * 12288 == 173_956_792_320


def test_korthikanti_activations() -> None:
    # s 2,048, b 1, h 12,288, a 96, t 8: sbh = 25,769,803,776 / 1,000... per layer in bytes
    s, h, a, t = 2048, 12288, 96, 8
    sbh = s * h
    none = Layout(tp=t, micro_batch=1, attention="eager")  # Korthikanti's unfused attention
    assert layer_activations(GPT3, none, s)[0] == int(sbh * (10 + Fraction(24, t) +
                                                            Fraction(5 * a * s, h * t)))
    # flash attention keeps no scores, only the fp32 log-sum-exp: 4 x 96 x 2,048 / 8 = 98,304
    flash = Layout(tp=t, micro_batch=1)
    assert layer_activations(GPT3, flash, s)[0] == \
        int(sbh * (10 + Fraction(24, t))) + 4 * a * s // t
    sp_sel = Layout(tp=t, sp=True, recompute="selective")
    assert layer_activations(GPT3, sp_sel, s)[0] == 34 * sbh // t
    assert layer_activations(GPT3, Layout(tp=t, recompute="full"), s)[0] == 2 * sbh


def test_elementwise_bytes() -> None:
    # Megatron-LM's GPT 1.7B layer (h 2,304, a 24, s 2,048, dropout), tp 1, eager attention, no
    # recomputation: 96h + 20as a token = 221,184 + 983,040 = 1,204,224 B; x 2,048 tokens x 24
    # layers = 59,190,018,048 B a micro-batch
    gpt_ = gpt(24, 2304, 24)
    eager = Layout(attention="eager")
    assert elementwise_bytes(gpt_, eager, 2048) == 1_204_224 * 2048 * 24
    # flash: no softmax passes, 96h = 221,184 B a token
    assert elementwise_bytes(gpt_, Layout(), 2048) == 221_184 * 2048 * 24
    # full recomputation repeats the forward, 38h + 9as = 87,552 + 442,368 = 529,920 more
    full = Layout(attention="eager", recompute="full")
    assert elementwise_bytes(gpt_, full, 2048) == (1_204_224 + 529_920) * 2048 * 24
    # tp 8 without sp: the norms' and residual adds' 22h + 34h = 56h stay whole on each rank,
    # GELU's 16h + 24h = 40h and the softmax's 20as split: 129,024 + 1,075,200 / 8 = 263,424
    t8 = Layout(tp=8, attention="eager")
    assert elementwise_bytes(gpt_, t8, 2048) == 263_424 * 2048 * 24


def test_bubble() -> None:
    # (pp - 1) / (m x vp): pp 8, 64 micro-batches, 2 virtual stages: 7 / 128
    t = Layout(pp=8, vp=2, dp=4, micro_batch=1, global_batch=256)
    assert t.micro_batches == 64 and t.bubble == 7 / 128


def test_refusals_name_the_numbers() -> None:
    with pytest.raises(LayoutError, match="tp 10 does not divide the 96 attention heads"):
        check(GPT3, Layout(tp=10))
    with pytest.raises(LayoutError, match="pp 5 does not divide the 96 layers"):
        check(GPT3, Layout(pp=5))
    with pytest.raises(LayoutError, match="1,000 sequences"):
        check(GPT3, Layout(dp=3, global_batch=1000))
    with pytest.raises(LayoutError, match="does not divide the 64 GPUs"):
        resolve(64, tp=3)


def test_vllm_replicates_kv_heads() -> None:
    # 8 KV heads over tp 16: one a rank (each on 2 ranks), 128 + 128 values
    llama = gpt(80, 8192, 64, kv_heads=8, ffn=28672, vocab=32000)
    check(llama, Layout(tp=16), training=False)
    assert serving(llama, Layout(tp=16), Fraction(2), 16).kv_values == 256
    with pytest.raises(LayoutError, match="KV heads of .* divide neither way"):
        check(gpt(2, 48 * 64, 48, kv_heads=8), Layout(tp=12))  # 48 / 12, but 8 and 12


def test_search_of_4096_gpus_runs() -> None:  # timed in benchmarks/, not here
    found = search(GPT3, 4096, 4096, 2048, 79 * 2**30, 312 * 10**12, links("NVLink 3"))
    assert found and all(c.memory.total <= 79 * 2**30 for c in found)
    assert found == sorted(found, key=lambda c: (c.step.seconds, c.memory.total))


def test_step_terms_add_up() -> None:
    t = Layout(tp=8, pp=8, dp=16, sp=True, recompute="selective", global_batch=1024)
    s = step(GPT3, t, 2048, 312 * 10**12, links("NVLink 3"))
    assert s.seconds == pytest.approx(sum(s.terms().values()))
    assert 0 < s.mfu < 1 and s.tokens == 1024 * 2048


def test_interconnect_catalogue() -> None:
    assert find_interconnect("ib-ndr").bandwidth == 50 * 10**9
    with pytest.raises(Exception, match="unknown interconnect"):
        find_interconnect("carrier-pigeon")


@settings(max_examples=60, deadline=None)
@given(layers=st.integers(1, 64), heads=st.sampled_from([1, 2, 4, 6, 8, 12, 16, 32, 40, 64]),
       kv=st.sampled_from([1, 2, 4, 8]), gpus=st.integers(1, 256),
       batch=st.integers(1, 512))
def test_every_accepted_layout_divides(layers: int, heads: int, kv: int, gpus: int,
                                       batch: int) -> None:
    kv_heads = kv if heads % kv == 0 else heads
    shape = gpt(layers, heads * 64, heads, kv_heads=kv_heads)
    for t in layouts(shape, gpus, batch, 2048):
        assert t.gpus == gpus
        assert shape.heads % t.tp == 0
        assert shape.kv_heads % t.tp == 0 or t.tp % shape.kv_heads == 0
        assert shape.layers % (t.pp * t.vp) == 0 or (shape.layers + 2) % (t.pp * t.vp) == 0
        assert batch % (t.dp * t.micro_batch) == 0


@settings(max_examples=100, deadline=None)
@given(tp=st.integers(1, 64), pp=st.integers(1, 64), dp=st.integers(1, 16),
       mb=st.integers(1, 8), batch=st.integers(1, 4096))
def test_every_refused_layout_names_its_reason(tp: int, pp: int, dp: int, mb: int,
                                               batch: int) -> None:
    t = Layout(tp=tp, pp=pp, dp=dp, micro_batch=mb, global_batch=batch)
    try:
        check(GPT3, t)
    except LayoutError as e:
        text = str(e)
        assert any(f"{k} {v}" in text for k, v in (("tp", tp), ("pp", pp), ("dp", dp)))
        assert "divide" in text
    else:
        assert 96 % tp == 0 and (96 % pp == 0 or 98 % pp == 0) and batch % (dp * mb) == 0


def test_divisors() -> None:
    assert divisors(12) == [1, 2, 3, 4, 6, 12]


def _cli(*argv: str) -> dict:  # type: ignore[type-arg]
    import json

    from nnsize.cli import run

    return json.loads(run(list(argv)))  # type: ignore[no-any-return]


def test_fewest_gpus_divide_the_heads() -> None:
    # issue 22: 405B on H100 was offered tp 10, 70B on an RTX 4090 tp 6
    d = _cli("fit", "llama-3.1-405b", "--gpu", "h100-80gb", "--json")
    assert d["fewest_gpus"] == 12  # tp 4 x pp 3: 128 heads / 4, 126 layers / 3 = 42
    d = _cli("fit", "llama-3.1-70b", "--gpu", "rtx-4090", "--json")
    assert d["fewest_gpus"] == 8


def test_deepseek_v3_on_16_h100s_is_per_gpu() -> None:
    # at its published fp8: 671,026,404,352 B / 16 = 39.06 GiB of weights a GPU
    d = _cli("fit", "deepseek-v3", "--gpu", "h100-80gb", "--gpus", "16", "--sharding", "tp",
             "--dtype", "fp8", "--json")
    assert d["fits"] and d["layout"]["tp"] == 16  # was "1.22 TiB needed"
    assert d["total_bytes"] < 40 * 2**30 and d["kv_cache_tokens"] > 0
    # at bf16 the weights alone are 671,026,404,352 x 2 / 16 = 78.11 GiB a GPU, of the 79.22 GiB
    # CUDA reports on an H100 80GB: the plan's per-GPU figure, not a fit
    d = _cli("fit", "deepseek-v3", "--gpu", "h100-80gb", "--gpus", "16", "--sharding", "tp",
             "--dtype", "bf16", "--json")
    assert not d["fits"] and d["layout"]["tp"] == 16
    assert 78 * 2**30 < d["total_bytes"] < 80 * 2**30
    # without a dtype, as published (quantization.py): fp8 blocks with their fp32 scales, and
    # the router transformers holds in fp32, 673,363,472,736 B / 16 = 39.19 GiB a GPU
    d = _cli("fit", "deepseek-v3", "--gpu", "h100-80gb", "--gpus", "16", "--sharding", "tp",
             "--json")
    assert d["fits"] and d["layout"]["tp"] == 16
    assert 39 * 2**30 < d["total_bytes"] < 40 * 2**30


def test_train_time_json_fields() -> None:
    d = _cli("train-time", "llama-3.1-8b", "--gpu", "h100-80gb", "--gpus", "16", "--tp", "2",
             "--global-batch", "64", "--context", "4096", "--tokens", "1B", "--price", "2",
             "--json")
    for key in ("step_time_s", "tokens_per_s_per_gpu", "tflops_per_gpu", "mfu",
                "memory_per_gpu_bytes", "layout", "gpu_hours", "cost"):
        assert key in d
    assert d["layout"]["dp"] == 8 and d["cost"] == pytest.approx(2 * d["gpu_hours"])


def test_layout_command_and_refusal() -> None:
    from nnsize.cli import main

    d = _cli("layout", "--layers", "24", "--hidden", "2048", "--heads", "16", "--gpu",
             "a100-80gb", "--gpus", "16", "--global-batch", "64", "--context", "2048",
             "--json")
    assert d["count"] > 0 and all(16 % row["layout"]["tp"] == 0 for row in d["layouts"])
    assert main(["memory", "llama-3.1-8b", "--train", "--gpus", "8", "--tp", "3"]) == 2


@settings(max_examples=25, deadline=None)
@given(layers=st.sampled_from([8, 12, 24, 30, 32]), heads=st.sampled_from([8, 12, 16, 32]),
       gpus=st.sampled_from([1, 2, 6, 8, 12, 16, 24, 64]), batch=st.sampled_from([16, 48, 64]))
def test_search_ranks_fitting_valid_layouts(layers: int, heads: int, gpus: int,
                                            batch: int) -> None:
    shape = gpt(layers, heads * 128, heads)
    usable = 79 * 2**30
    found = search(shape, gpus, batch, 2048, usable, 989 * 10**12, links("NVLink 4"))
    times = [c.step.seconds for c in found]
    assert times == sorted(times)  # fastest first
    for c in found:
        check(shape, c.layout)  # every layout offered is accepted
        assert c.layout.gpus == gpus and c.memory.total <= usable


def test_flash_attention_keeps_fp32_log_sum_exp() -> None:
    # the flash kernel's saved softmax statistic, as PyTorch's own flash attention returns it:
    # fp32, one value a head and token: b 2 x a 4 x s 64 x 4 B = 2,048 B (rank.py's 4 a s b)
    torch = pytest.importorskip("torch")
    b, a, s, d = 2, 4, 64, 16
    q = torch.randn(b, a, s, d, dtype=torch.bfloat16)
    _, lse = torch.ops.aten._scaled_dot_product_flash_attention_for_cpu(q, q, q, 0.0, True)[:2]
    assert lse.numel() * lse.element_size() == 4 * a * s * b == 2_048
    shape = gpt(1, a * d, a)
    eager, flash = (layer_activations(shape, Layout(attention=k), s)[0] for k in ("eager",
                                                                              "flash"))
    # eager keeps 5 a s^2 b scores (s b = 64 here: micro-batch 1), flash 4 a s b instead
    assert eager - flash == 5 * a * s * s - 4 * a * s



def test_deepspeed_bf16_reduction_copy_is_held_beyond_the_peak() -> None:
    # GPT-3 175B at tp 8 x pp 8 x dp 4, ZeRO-1, DeepSpeed's BF16_Optimizer: the first stage
    # holds 12 of the 96 layers and the embedding. Its pipeline engine casts the fp32 gradient
    # buffer to bf16 to all-reduce it (engine.py's communication_data_type): 2 B a parameter
    # but the norms, padded to 2 x dp = 8 values, in a segment of its own rounded up to 2 MiB,
    # which the caching allocator keeps: reserved, not the peak
    from dataclasses import replace

    from nnsize.parallel.rank import RankReductionCopyTerms, params, training

    layout = Layout(tp=8, pp=8, dp=4, zero=1, micro_batch=1, global_batch=64,
                    recompute="full", grad_dtype="bf16+fp32")
    assert layout.grad_bytes == 6 and layout.reduce_bytes == 2  # reduced in bf16
    p = params(GPT3, layout, "first")
    # the layers (12 x 12,288^2 + 9 x 12,288) x 12 / 8 = 2,718,074,880, the embedding
    # 51,200 x 12,288 / 8 = 78,643,200; the norms (4h a layer, 2h at the end) x 12 / 96
    assert p.dense == 2_718_074_880 and p.vocab == 78_643_200
    assert p.replicated == (96 * 4 + 2) * 12288 * 12 // 96 == 592_896
    rank = training(GPT3, layout, 2048)
    (held,) = rank.held
    # 2,796,718,080 values (a multiple of 8) x 2 B = 5,593,436,160 B = 2,667.2 x 2 MiB
    assert isinstance(held.terms, RankReductionCopyTerms)
    assert held.terms.values == 2_718_074_880 + 78_643_200 == 2_796_718_080
    assert held.bytes == 2_668 * 2**21 == 5_595_201_536
    assert rank.reserved == rank.total + 5_595_201_536
    # the BF16_Optimizer is ZeRO 0 / 1: nothing held with 16-bit gradients or ZeRO-2
    for other in (replace(layout, grad_dtype="16-bit"), replace(layout, zero=2)):
        assert training(GPT3, other, 2048).held == ()
    # nor where a block freed before it is larger: a small GPT (2 x 256, 4 heads) on 8,192
    # tokens, eager attention: the copy, 2 x (2 x 788,736 + 13,107,200 in the embedding)
    # = 29,369,344 B (the norms out), fits in one layer's scores, 5 x 4 x 8,192^2 B = 1.34 GB
    small = gpt(2, 256, 4)
    one = Layout(dp=2, zero=1, micro_batch=1, global_batch=2, attention="eager",
                 grad_dtype="bf16+fp32")
    assert training(small, one, 8192).held == ()
