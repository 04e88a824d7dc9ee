"""Speed: bytes and FLOPs per step by hand, and the estimates against published measurements."""

from __future__ import annotations

import json
import statistics
from fractions import Fraction
from pathlib import Path
from typing import Any

import pytest

import nnsize
from nnsize.errors import NnsizeError
from nnsize.gpus import GPUS, Link
from nnsize.speed import (
    ENGINES,
    Hardware,
    compute_precision,
    hardware,
    speed,
    training,
    weights_read,
)

import paths

# One decoder of each kind, small enough to add up by hand: hidden 32, 2 layers, 4 heads of 8.
COMMON = {"vocab_size": 64, "hidden_size": 32, "intermediate_size": 48, "num_hidden_layers": 2,
          "num_attention_heads": 4}
DENSE = {"model_type": "llama", **COMMON, "num_key_value_heads": 2,
         "architectures": ["LlamaForCausalLM"]}
MOE = {"model_type": "mixtral", **COMMON, "num_key_value_heads": 2, "num_local_experts": 4,
       "num_experts_per_tok": 2, "architectures": ["MixtralForCausalLM"]}
LATENT = {"model_type": "deepseek_v3", **COMMON, "num_key_value_heads": 4,
          "moe_intermediate_size": 16, "n_routed_experts": 4, "n_shared_experts": 1,
          "num_experts_per_tok": 2, "first_k_dense_replace": 1, "q_lora_rank": None,
          "kv_lora_rank": 8, "qk_rope_head_dim": 4, "qk_nope_head_dim": 8, "v_head_dim": 8,
          "architectures": ["DeepseekV3ForCausalLM"]}
# Mamba: hidden 16, 2 layers, inner 2 x 16 = 32, state 4, convolution kernel 4; Mamba-2 with 4
# heads of 8 (inner 32), 1 group
MAMBA = {"model_type": "mamba", "hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 32,
         "state_size": 4, "architectures": ["MambaForCausalLM"]}
MAMBA2 = {"model_type": "mamba2", "hidden_size": 16, "num_hidden_layers": 2, "vocab_size": 32,
          "state_size": 4, "num_heads": 4, "head_dim": 8, "n_groups": 1, "expand": 2,
          "architectures": ["Mamba2ForCausalLM"]}
# a card that makes the seconds easy: 1 MB/s and 10 MFLOP/s
CARD = Hardware("test", bandwidth=10**6, peak_flops=10**7, compute="bf16")



def _keep(m: dict[str, Any]) -> tuple[str, ...] | None:
    """A measurement's keep: given for bare formats, absent for llama.cpp's files (their own
    types) and floats."""
    return tuple(m["keep"]) if "keep" in m else None

def test_dense_bytes_and_flops_by_hand() -> None:
    s = speed(nnsize.count(DENSE), CARD, "bf16", batch=1, context=10, engine="roofline")
    # a layer: q 32x32 + k 16x32 + v 16x32 + o 32x32 = 3,072; gate, up, down 3 x 48x32 = 4,608;
    # 2 norms of 32.  Read: 2 x 7,744 + final norm 32 + head 64x32 = 2,048 (not the embedding,
    # looked up one row a token) = 17,568 values x 2 bytes
    assert s.decode.weight_bytes == 17_568 * 2
    # KV: 2 layers x 10 tokens x 2 kv heads x (8 + 8) x 2 bytes
    assert s.decode.cache_bytes == 2 * 10 * 2 * 16 * 2 == 1_280
    # FLOPs: 2 x (linear 2 x (3,072 + 4,608) + 2,048 = 17,408 + attention 2 x 11 keys x 4 x 16)
    assert s.decode.flops == 2 * (17_408 + 2 * 11 * 4 * 16) == 37_632
    # 36,416 bytes / 1 MB/s = 36.4 ms; 37,632 / 10 MFLOP/s = 3.8 ms: memory binds
    assert s.decode.memory_s == pytest.approx(0.036416)
    assert s.decode.compute_s == pytest.approx(0.0037632)
    assert s.decode.bound == "memory"
    assert s.decode_tokens_per_s[0] == pytest.approx(1 / 0.036416)
    # compute binds from B with B x 37,632 x 10^6 >= (35,136 + B x 1,280) x 10^7:
    # 2,483.2 B >= 35,136, B >= 14.15
    assert s.compute_bound_batch == 15


def test_eager_attention_charges_its_scores_in_the_prefill() -> None:
    """transformers-eager's prefill writes and reads the scores (llama's steps, 32 B a score at
    bf16: tests/memory/test_eager.py measures them) and reads each layer's mask once: a prompt
    of 10, 2 layers x (4 heads x 10 x 10 x 32 + 10 x 10 x 2) = 26,000 bytes, at 1 MB/s 26 ms
    after the rest; SDPA (transformers for llama), a serving engine and decode charge none."""
    report = nnsize.count(DENSE)
    eager = speed(report, CARD, "bf16", context=10, prompt=10, engine="transformers-eager")
    assert eager.prefill.attention_bytes == 2 * (4 * 10 * 10 * 32 + 10 * 10 * 2) == 26_000
    assert eager.prefill.attention_s == pytest.approx(0.026)
    assert eager.prefill.roofline_s == pytest.approx(
        max(eager.prefill.memory_s, eager.prefill.compute_s) + 0.026)
    assert eager.eager is not None and eager.eager.per_score == 32 and eager.eager.measured
    assert eager.decode.attention_bytes == 0
    for engine in ("transformers", "vllm", "roofline"):
        s = speed(report, CARD, "bf16", context=10, prompt=10, engine=engine)
        assert s.prefill.attention_bytes == 0 and s.eager is None
    # fp32: no copies, 4 + 8 + 8 + 8 + 4 = 32 B a score, the mask 4 B; 2 cards split the heads
    two = Hardware("two", 10**6, 10**7, "bf16", gpus=2)
    fp32 = speed(report, two, "fp32", context=10, prompt=10, engine="transformers-eager")
    assert fp32.prefill.attention_bytes == 2 * (4 * 10 * 10 * 32 + 10 * 10 * 4) // 2


def test_a_family_transformers_runs_eager_pays_for_its_scores() -> None:
    """Gemma 2 under transformers (its model class runs eager attention): llama's steps and its
    soft-capping's three more, 44 B a score at bf16, over 16 heads x 512 x 512 in each of
    gemma-2-9b's 42 layers, beside the mask read once a layer: 42 x (16 x 512 x 512 x 44 +
    512 x 512 x 2) = 7,773,093,888 bytes, and the note shows the arithmetic."""
    from nnsize.render.speed import speed_notes

    s = speed(nnsize.count("gemma-2-9b"), CARD, "bf16", context=512, prompt=512,
              engine="transformers")
    assert s.prefill.attention_bytes == 42 * (16 * 512 * 512 * 44 + 512 * 512 * 2) == \
        7_773_093_888
    assert s.eager is not None and s.eager.family == "gemma2" and s.eager.per_score == 44
    assert any("soft-capped (/ cap, tanh, x cap) 12" in note and "7,773,093,888 bytes" in note
               for note in speed_notes(s))


@pytest.mark.parametrize("config, conv, ssm", [
    # a layer keeps its convolution's last 4 inputs (32 x 4) and its SSM state (32 x 4)
    (MAMBA, 2 * 32 * 4, 2 * 32 * 4),
    # Mamba-2 convolves inner + 2 x groups x state = 40 channels (40 x 4) and keeps 4 heads x
    # 8 x 4 of state
    (MAMBA2, 2 * 40 * 4, 2 * 4 * 8 * 4),
])
def test_a_state_space_model_reads_its_state_each_token(config: dict[str, Any], conv: int,
                                                        ssm: int) -> None:
    from nnsize.memory import compute, kv_cache
    from nnsize.precision import find

    report = nnsize.count(config)
    for batch, context in ((1, 10), (3, 1000)):
        s = speed(report, CARD, "bf16", batch=batch, context=context, engine="roofline")
        # the state as transformers keeps it (the roofline's plan), whatever the context: the
        # conv window at the model's 2 bytes, the SSM state in float32; no KV cache grows
        assert s.decode.cache_bytes == s.state_bytes == batch * (conv * 2 + ssm * 4)
        assert s.decode.cache_bytes == kv_cache(report, batch, context, find("bf16"))[0]
        assert s.layers == 2 and s.kv_heads == 0
        # the FLOPs compute counts: the matrices and the scan, 2 x 32 x 4 state values a
        # layer updated and read (2 MACs each): 2 x 2 x 256 = 1,024 FLOPs of scan a token
        assert s.decode.flops == batch * compute(report, context).decode_flops
        assert compute(report, context).scan_macs == 2 * 2 * 128
    with pytest.raises(NnsizeError, match="tensor parallelism of a state-space model"):
        speed(report, Hardware("two", 10**6, 10**7, "bf16", gpus=2))


def test_jamba_reads_its_kv_cache_and_its_state_over_all_its_layers() -> None:
    from nnsize.memory import kv_cache
    from nnsize.precision import find

    jamba = {"model_type": "jamba", "hidden_size": 16, "num_attention_heads": 2,
             "num_key_value_heads": 1, "num_hidden_layers": 4, "intermediate_size": 8,
             "vocab_size": 32, "num_experts": 1, "attn_layer_period": 2, "attn_layer_offset": 1,
             "mamba_d_state": 4, "mamba_d_conv": 4, "mamba_expand": 2,
             "architectures": ["JambaForCausalLM"]}
    report = nnsize.count(jamba)
    s = speed(report, CARD, "bf16", context=10, engine="roofline")
    # layers 1 and 3 attend: 2 x 10 tokens x 1 kv head x (8 + 8) = 320 values x 2 bytes;
    # layers 0 and 2 keep inner 32 x 4 of convolution at 2 bytes and 32 x 4 of state at 4
    state = 2 * (32 * 4 * 2 + 32 * 4 * 4)
    assert s.decode.cache_bytes == kv_cache(report, 1, 10, find("bf16"))[0] == 320 * 2 + state
    assert s.state_bytes == state == 1_536
    assert s.layers == 4  # the engine's cost per layer and the all-reduces: every block


def test_moe_reads_the_experts_a_batch_picks() -> None:
    report = nnsize.count(MOE)
    # always read: 2 x (attention 3,072 + router 4x32 + norms 64) + 32 + head 2,048 = 8,608
    # experts: 2 layers x (4 x 96 x 32 + 4 x 32 x 48) = 36,864 values, 2 of 4 per token
    always, experts = 8_608 * 2, 36_864 * 2
    for batch, unused in ((1, 0.5), (2, 0.25), (3, 0.125)):  # (1 - 2/4)^batch go unread
        s = speed(report, CARD, "bf16", batch=batch, context=10, engine="roofline")
        assert s.decode.weight_bytes == always + experts * (1 - unused)
    s = speed(report, CARD, "bf16", batch=1, context=10, engine="roofline")
    # FLOPs: only the active experts: 2 x (3,072 + 128 + 18,432 / 2) + 2,048 = 26,880
    assert s.decode.flops == 2 * (26_880 + 2 * 11 * 4 * 16) == 56_576
    # a 512-token prompt touches every expert: 1 - 0.5^512 rounds to all of them
    assert s.prefill.weight_bytes == always + experts


def test_latent_attention_caches_the_latent() -> None:
    report = nnsize.count(LATENT)
    s = speed(report, CARD, "bf16", batch=1, context=10, engine="roofline")
    # layer 0 dense: attention q 48x32 + kv_a 12x32 + norm 8 + kv_b 64x8 + o 32x32 = 3,464,
    # mlp 4,608, norms 64; layer 1: attention 3,464, router 4x32, shared expert 3 x 16x32,
    # norms 64, and 4 experts of 2 x 32x32/2... = 6,144 values, half of them a token
    always = 3_464 + 4_608 + 64 + 3_464 + 128 + 1_536 + 64 + 32 + 2_048
    assert s.decode.weight_bytes == (always + 6_144 // 2) * 2
    # the cache holds the latent: kv_lora_rank 8 + rope 4 = 12 values a token a layer
    assert s.decode.cache_bytes == 2 * 10 * 12 * 2 == 480
    # attention FLOPs as computed: 11 keys x 4 heads x (12 + 8); linear 2 x 3,456 + 4,608 +
    # 128 + 3,072 + 1,536 + 2,048 = 18,304
    assert s.decode.flops == 2 * (18_304 + 2 * 11 * 4 * 20) == 40_128
    # over 2 cards the weights split, the latent cache does not (it has no heads to split)
    two = speed(report, Hardware("test", 10**6, 10**7, "bf16", gpus=2,
                                 link=Link("test link", 10**6, "")),
                "bf16", batch=1, context=10, engine="roofline")
    assert two.decode.weight_bytes == s.decode.weight_bytes // 2
    assert two.decode.cache_bytes == 480
    # all-reduce: 2 a layer x 2 layers x 2 (2 - 1) / 2 x 1 token x 32 x 2 bytes = 256 bytes
    assert two.decode.comm_bytes == 2 * 2 * 32 * 2 == 256


def test_expected_is_slower_than_the_roofline() -> None:
    report = nnsize.count("llama-3.1-8b")
    hw = hardware(GPUS["rtx-4090"], "q4_0")
    for engine in ENGINES:
        s = speed(report, hw, "q4_0", context=4096, engine=engine)
        assert s.decode.expected_s >= s.decode.roofline_s
        assert s.prefill.expected_s >= s.prefill.roofline_s
    assert hw.compute == "bf16"  # weight-only formats multiply at 16 bits


def test_a_gguf_mix_is_read_at_the_bytes_memory_counts() -> None:
    """One source of truth: speed reads memory.gguf_mix's tensors, less token_embd (a row per
    token; Llama 3.1 8B's head is untied, so output.weight is read whole)."""
    from nnsize.memory.gguf_mix import mix

    report = nnsize.count("llama-3.1-8b")
    m = mix(report, "Q4_K_M")
    embd = next(t.bytes for t in m.tensors if t.name == "token_embd.weight")
    # token_embd: 128,256 rows x 4,096 / 256 blocks x 144 bytes (Q4_K) = 295,501,824
    assert embd == 128_256 * 16 * 144 == 295_501_824
    s = speed(report, hardware(GPUS["rtx-4090"], "q4_k_m"), "q4_k_m", context=4096)
    assert s.decode.weight_bytes == m.tensor_bytes - embd
    assert s.dtype == "Q4_K_M" and s.gguf_mix and s.hardware.compute == "bf16"
    moe = nnsize.count("qwen3-30b-a3b")
    w = weights_read(moe, "q4_k_m")
    m = mix(moe, "Q4_K_M")
    embd = next(t.bytes for t in m.tensors if t.name == "token_embd.weight")
    assert w.all == m.tensor_bytes - embd
    # 8 of 128 experts a token: one token reads 1/16 of the expert bytes
    assert w.experts[0][1] == Fraction(8, 128)


def test_compute_precision() -> None:
    assert compute_precision("fp8", GPUS["h100-80gb"]) == "fp8"
    assert compute_precision("fp8", GPUS["a100-80gb"]) == "bf16"  # no fp8 units: dequantized
    assert compute_precision("q4_0", GPUS["t4"]) == "fp16"  # no bf16 on Turing
    assert compute_precision("fp32", GPUS["h100-80gb"]) == "fp32"


def test_training_time_by_hand() -> None:
    report = nnsize.count(DENSE)
    t = training(report, Hardware("test", 10**6, 10**6, "bf16", gpus=2), tokens=1_000, mfu=0.5,
                 context=10)
    # prefill of 10 tokens: 2 x (17,408 x 10 + causal attention 2 x 55 keys x 4 x 16);
    # training: 3 x that / 10 tokens
    assert t.flops_per_token == 3 * 2 * (17_408 * 10 + 2 * 55 * 4 * 16) // 10 == 108_672
    assert t.six_n == 6 * 17_408
    # 1,000 tokens x 108,672 / (2 x 10^6 FLOP/s) = 54.3 s at the peak, 108.7 s at 50%
    assert t.seconds == pytest.approx((54.336, 108.672))
    # Chinchilla: 20 tokens a parameter, 19,616 parameters
    assert report.total_params == 19_616
    assert t.chinchilla_tokens == 392_320


def test_bad_input_is_an_error() -> None:
    report = nnsize.count(DENSE)
    with pytest.raises(NnsizeError, match="--batch"):
        speed(report, CARD, batch=0)
    with pytest.raises(NnsizeError, match="unknown engine"):
        speed(report, CARD, engine="llamacpp")
    with pytest.raises(NnsizeError, match="no fp8 peak"):
        hardware(GPUS["a100-80gb"], "bf16", compute="fp8")
    with pytest.raises(NnsizeError, match="--mfu"):
        training(report, CARD, tokens=10, mfu=1.5)
    with pytest.raises(NnsizeError, match="language models"):
        speed(nnsize.count("10-20-2"), CARD)


def test_every_card_cites_its_figures() -> None:
    for gpu in GPUS.values():
        assert gpu.bandwidth > 0, gpu.name
        # Pascal's fp16 runs at 1/64 of fp32: those cards list fp32 alone, and compute in it
        assert gpu.peak("fp16") or gpu.peak("bf16") or gpu.peak("fp32"), gpu.name
        assert (gpu.spec_source or gpu.source).startswith("https://"), gpu.name


# --- against published measurements --------------------------------------------------------------

DATA = paths.DATA / "speed_measurements.json"


def _measurements() -> list[dict[str, Any]]:
    """The measurements nnsize can size: one card of its catalogue (a card it lacks is null,
    named in gpu_name), an engine it knows (tests/speed/test_measurements.py checks them all)."""
    return [m for m in json.loads(DATA.read_text())["measurements"]
            if m["gpu"] is not None and m.get("gpus", 1) == 1 and m["engine"] in ENGINES]


def _rates(m: dict[str, Any]) -> tuple[float, float]:
    """nnsize's (roofline, expected) tokens per second for a measurement's setup."""
    hw = hardware(GPUS[m["gpu"]], m["dtype"])
    s = speed(nnsize.count(m["model"]), hw, m["dtype"], batch=m["batch"],
              context=m.get("context", 512), prompt=m.get("prompt", 512), engine=m["engine"],
              keep=_keep(m))
    return s.decode_tokens_per_s if m["phase"] == "decode" else s.prefill_tokens_per_s


def test_the_measurements_cover_the_ground() -> None:
    rows = _measurements()
    assert len(rows) >= 20
    assert len({m["gpu"] for m in rows}) >= 4
    assert len({m["dtype"] for m in rows}) >= 3
    assert {m["phase"] for m in rows} == {"decode", "prefill"}
    moe = [m for m in rows if nnsize.count(m["model"]).decoder.experts_per_token]  # type: ignore
    assert moe and len(moe) < len(rows)
    assert all(m["source"].startswith("https://") for m in rows)


def test_roofline_is_never_below_a_measurement() -> None:
    pytest.importorskip("gguf")  # GGUF's q4_0 and q8_0 bits come from the gguf package
    for m in _measurements():
        roofline, _ = _rates(m)
        assert roofline >= m["tokens_per_s"], m


def test_the_engines_are_fitted_to_the_measurements() -> None:
    """src/nnsize/engines.py's figures are `benchmarks/speed_vs_measurements.py --fit`'s: the
    fit (speed.fitting) over the training points, per GPU class and weights."""
    from nnsize.engines import ENGINES as PROFILES
    from nnsize.speed.fitting import fit, points

    pytest.importorskip("gguf")
    pts = points(json.loads(DATA.read_text())["measurements"])
    for name in ("llama.cpp", "mlc", "exllama", "exllamav2", "mlx", "gpt-fast", "vllm",
                 "transformers", "transformers-eager", "sglang", "tensorrt-llm"):
        stored = PROFILES[name].efficiency
        assert stored is not None
        groups = {"": stored, **dict(stored.classes)}
        fitted = fit(pts, name)
        assert set(groups) == set(fitted), name
        for key, f in fitted.items():
            e = groups[key]
            assert e.bandwidth_share == pytest.approx(f.bandwidth_share, abs=1e-3), (name, key)
            assert e.compute_share == pytest.approx(f.compute_share, abs=1e-3), (name, key)
            assert e.layer_overhead_s == pytest.approx(f.layer_overhead_s, abs=1e-9), (name, key)
            assert e.token_overhead_s == pytest.approx(f.token_overhead_s, abs=1e-9), (name, key)
            assert e.call_overhead_s == pytest.approx(f.call_overhead_s, abs=1e-9), (name, key)
            assert e.sequence_overhead_s == pytest.approx(f.sequence_overhead_s, abs=1e-9), \
                (name, key)
            assert f"{f.decode_points} decode and {f.prefill_points} prefill" in e.source


def test_the_fit_never_sees_a_held_out_point() -> None:
    """Changing every held-out measurement leaves the fitted figures as they are."""
    from dataclasses import replace

    from nnsize.speed.fitting import fit, held_out, points

    pytest.importorskip("gguf")
    assert [held_out(i) for i in range(10)] == [False] * 4 + [True] + [False] * 4 + [True]
    pts = points(json.loads(DATA.read_text())["measurements"])
    assert {p.held for p in pts} == {True, False}
    moved = [replace(p, seconds=p.seconds * 10) if p.held else p for p in pts]
    assert fit(moved, "llama.cpp") == fit(pts, "llama.cpp")


def test_the_class_figures_by_hand() -> None:
    """A GeForce card and Q4_K_M weights take llama.cpp's geforce/quantized figures: decode
    = memory / share + layers x cost, prefill adds layers x tokens x cost per token."""
    from nnsize.engines import ENGINES as PROFILES
    from nnsize.speed.engines import find_engine
    from nnsize.speed.hardware import gpu_class, weights_kind

    assert gpu_class(GPUS["rtx-4090"]) == "geforce" and gpu_class(GPUS["m2-ultra"]) == "apple"
    assert gpu_class(GPUS["h100-pcie"]) == "datacenter"
    assert gpu_class(GPUS["rtx-6000-ada"]) == "datacenter"
    assert weights_kind("q4_k_m") == "quantized" and weights_kind("fp16") == "float"
    stored = PROFILES["llama.cpp"].efficiency
    assert stored is not None
    want = dict(stored.classes)["geforce/quantized"]
    e = find_engine("llama.cpp", "geforce", "quantized")
    assert (e.bandwidth_share, e.compute_share, e.layer_overhead_s, e.token_overhead_s) == \
        (want.bandwidth_share, want.compute_share, want.layer_overhead_s, want.token_overhead_s)
    assert e.fitted_on == "geforce/quantized"
    pytest.importorskip("gguf")
    s = speed(nnsize.count("llama-3.1-8b"), hardware(GPUS["rtx-4090"], "q4_k_m"), "q4_k_m",
              context=2048, prompt=512)
    assert s.engine == e
    # decode: 32 layers x the cost per layer on top of memory / share
    assert s.decode.expected_s == pytest.approx(
        s.decode.memory_s / e.bandwidth_share + 32 * e.layer_overhead_s)
    # prefill: compute / share + 32 layers x cost + 32 layers x 512 tokens x cost per token
    assert s.prefill.expected_s == pytest.approx(
        s.prefill.compute_s / e.compute_share + 32 * e.layer_overhead_s +
        32 * 512 * e.token_overhead_s)
    # a card of no class (AMD, Intel, --bandwidth): the figures over all cards
    assert find_engine("llama.cpp", "", "quantized").fitted_on == ""
    # MLC's sources give decode only: its prefill is the roofline's, no other engine's
    mlc = find_engine("mlc", "geforce", "quantized")
    assert (mlc.compute_share, mlc.token_overhead_s) == (1.0, 0.0)
    assert "decode only" in mlc.source


def test_out_of_sample_leave_one_source_out() -> None:
    """Out of sample another way: fit llama.cpp's figures without one source (all its other
    points, held out or not), predict that source's points."""
    from dataclasses import replace

    from nnsize.speed.fitting import fit, points

    pytest.importorskip("gguf")
    rows = json.loads(DATA.read_text())["measurements"]
    pts = points(rows)
    sized = [m for m in rows if m["gpu"] is not None and m.get("gpus", 1) == 1
             and m["engine"] in ENGINES]
    assert len(sized) == len(pts)
    within = total = 0
    for source in {m["source"] for m in sized if m["engine"] == "llama.cpp"}:
        train = [replace(p, held=m["source"] == source) for p, m in zip(pts, sized)]
        figures = fit(train, "llama.cpp")
        for p in (p for p in train if p.held and p.engine == "llama.cpp"):
            decode = figures.get(p.gpu_class) or figures[""]
            if p.phase == "decode":
                seconds = p.memory_s / decode.bandwidth_share + p.layers * decode.layer_overhead_s
            else:
                f = figures.get(f"{p.gpu_class}/{p.weights}") or figures[""]
                seconds = p.compute_s / f.compute_share + p.layers * f.layer_overhead_s + \
                    p.layers * p.tokens * f.token_overhead_s
            within += 0.7 <= p.seconds / seconds <= 1.3
            total += 1
    assert within >= 0.8 * total, (within, total)


def test_expected_is_within_30_percent_for_most() -> None:
    """All points, training and held out (tests/speed/test_measurements.py judges the held-out
    ones alone): 229 of 249 within 30% with the 274 measurements (0.92; 0.74 before the fit
    per GPU class)."""
    pytest.importorskip("gguf")
    ratios = [_rates(m)[1] / m["tokens_per_s"] for m in _measurements()]
    within = sum(1 for r in ratios if 0.7 <= r <= 1.3)
    assert within >= 0.8 * len(ratios), (within, len(ratios))
    assert 0.9 <= statistics.median(ratios) <= 1.1


# --- the commands --------------------------------------------------------------------------------

def test_speed_command_shows_the_arithmetic(tmp_path: Path,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main

    assert main(["speed", "llama-3.1-8b", "--gpu", "rtx-4090", "--dtype", "q4_0-block", "--keep",
                 "none", "--context", "4096"]) == 0
    out = capsys.readouterr().out
    assert "bytes / 1.008 TB/s = " in out and "memory binds" in out
    assert "compute binds ->" in out  # the prefill
    assert main(["speed", "deepseek-v3", "--gpu", "h100-80gb", "--gpus", "8", "--dtype", "fp8",
                 "--batch", "32", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["hardware"]["gpus"] == 8 and data["hardware"]["compute_dtype"] == "fp8"
    assert data["hardware"]["link"]["name"].startswith("NVLink 4")
    assert data["decode"]["allreduce_bytes"] > 0
    path = tmp_path / "mamba.json"
    path.write_text(json.dumps(MAMBA))
    assert main(["speed", str(path), "--gpu", "h100-80gb"]) == 0
    out = capsys.readouterr().out
    # transformers' state: 2 layers x (32 x 4 conv x 2 B + 32 x 4 SSM x 4 B) = 1,536 bytes
    assert "SSM state       1,536 bytes" in out and "in place of a KV cache" in out
    assert main(["speed", "--list-gpus"]) == 0
    assert "m2-ultra" in capsys.readouterr().out
    assert main(["speed", "--list-gpus", "--json"]) == 0
    cards = {g["name"]: g for g in json.loads(capsys.readouterr().out)}
    assert cards["mi300x"]["bandwidth"] == 5_300 * 10**9
    assert cards["h100-80gb"]["link"]["bandwidth"] == 450 * 10**9


def test_train_time_command(capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main

    assert main(["train-time", "llama-3.1-8b", "--tokens", "15T", "--gpu", "h100-80gb",
                 "--gpus", "1024", "--mfu", "0.4", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    # 15T tokens x 48,249,962,496 FLOPs / (1,024 x 989.4 TFLOP/s x 0.4) = 20.7 days
    assert data["flops_per_token"] == 48_249_962_496
    assert data["seconds"]["expected"] / 86400 == pytest.approx(
        15e12 * 48_249_962_496 / (1024 * 989.4e12 * 0.4) / 86400)
    assert main(["train-time", "llama-3.1-8b", "--gpu", "h100-80gb"]) == 0
    assert "Chinchilla-optimal" in capsys.readouterr().out


@pytest.mark.parametrize("argv, message", [
    (["speed", "llama-3.1-8b"], "give --gpu"),
    (["speed", "llama-3.1-8b", "--gpu", "rtx-9090"], "unknown GPU"),
    (["speed", "llama-3.1-8b", "--gpu", "24GiB"], "no memory bandwidth known"),
    (["speed", "llama-3.1-8b", "--bandwidth", "500GB", "--tflops", "5"], "bytes per second"),
    (["speed", "llama-3.1-8b", "--gpu", "t4", "--tflops", "inf"], "--tflops"),
    (["speed", "llama-3.1-8b", "--gpu", "t4", "--context", "99999999999"], "--context"),
    (["speed", "llama-3.1-8b", "--gpu", "t4", "--dtype", "q4_k_q"], "unknown precision"),
    (["train-time", "llama-3.1-8b", "--gpu", "t4", "--tokens", "lots"], "--tokens"),
    (["train-time", "llama-3.1-8b", "--gpu", "t4", "--mfu", "40"], "--mfu"),
])
def test_bad_commands_are_one_line(argv: list[str], message: str,
                                   capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main

    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1, err


GOLDEN = paths.GOLDEN
GOLDEN_CASES = {
    "speed.txt": ["speed", "llama-3.1-8b", "--gpu", "rtx-4090", "--dtype", "q4_0-block", "--keep",
                  "none", "--context", "4096"],
    # a float model's default engine is transformers (issue 23: one default on every surface);
    # these two keep llama.cpp's fitted figures by naming it
    "speed_tp.txt": ["speed", "deepseek-v3", "--gpu", "h100-80gb", "--gpus", "8", "--dtype",
                     "fp8", "--batch", "32", "--engine", "llama.cpp"],
    "speed.json": ["speed", "qwen3-30b-a3b", "--gpu", "m2-ultra", "--json", "--engine",
                   "llama.cpp"],
    "speed_gguf.txt": ["speed", "llama-3.1-8b", "--gpu", "rtx-4090", "--dtype", "q4_k_m",
                       "--context", "4096"],
    "train_time.txt": ["train-time", "llama-3.1-8b", "--tokens", "15T", "--gpu", "h100-80gb",
                       "--gpus", "1024", "--mfu", "0.4"],
}


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_output(name: str, overwrite: bool) -> None:
    from nnsize.cli import run

    out = run(GOLDEN_CASES[name]) + "\n"
    path = GOLDEN / name
    if overwrite:
        path.write_text(out)
    assert out == path.read_text(), f"{name} changed; rerun with --overwrite if intended"


@pytest.mark.parametrize("config", [
    DENSE, MOE, {**DENSE, "tie_word_embeddings": True},
], ids=["llama", "mixtral", "llama-tied"])
def test_weights_read_against_transformers(config: dict[str, Any]) -> None:
    """Every parameter transformers holds but the input embedding, at bf16; a tied head reads
    the embedding matrix, which named_parameters() lists once."""
    import warnings

    torch = pytest.importorskip("torch")
    transformers = pytest.importorskip("transformers")
    from nnsize.speed import weights_read

    family = config["model_type"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING[family](**{k: v for k, v in config.items()
                                                      if k not in ("model_type", "architectures")})
        model = transformers.AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16)
    tied = config.get("tie_word_embeddings", False)
    measured = sum(p.nbytes for name, p in model.named_parameters()
                   if tied or "embed_tokens" not in name)
    assert weights_read(nnsize.count(config), "bf16").all == measured


# --- llama.cpp's -ngl split ----------------------------------------------------------------------

def test_decode_at_a_partial_offload_by_hand() -> None:
    """Llama-3.1-8B Q4_K_M on an RTX 3060 12GB (360 GB/s) with -ngl 20 of 32 layers, RAM at
    the default 89.6 GB/s.  No published -ngl decode figure with its CPU's RAM bandwidth was
    found, so the arithmetic is checked by hand."""
    from nnsize.speed.offload import CPU_BANDWIDTH, split

    pytest.importorskip("gguf")
    s = speed(nnsize.count("llama-3.1-8b"), hardware(GPUS["rtx-3060-12gb"], "q4_k_m"),
              "q4_k_m", context=2048)
    # a step reads 4,617,396,224 bytes of weights + 268,435,456 of KV cache = 4,885,831,680;
    # of them the output layer (output.weight, Q6_K): 128,256 x 4,096 x 6.5625 / 8 =
    # 430,940,160, the 32 repeating layers the other 4,454,891,520 (139,215,360 each)
    assert s.decode.bytes == 4_885_831_680
    assert s.head_bytes == 128_256 * 4_096 * 65_625 // 80_000 == 430_940_160
    assert CPU_BANDWIDTH == 2 * 64 * 5_600_000_000 // 8 == 89_600_000_000
    o = split(s, 20)
    # GPU: 20 x 139,215,360 = 2,784,307,200 bytes; CPU: the rest, 2,101,524,480
    assert (o.gpu_layers, o.output_on_gpu) == (20, False)
    assert o.gpu_bytes == 4_454_891_520 * 20 // 32 == 2_784_307_200
    assert o.cpu_bytes == 4_885_831_680 - 2_784_307_200 == 2_101_524_480
    e = s.engine
    assert o.gpu_s == pytest.approx(2_784_307_200 / (360e9 * e.bandwidth_share))
    assert o.overhead_s == pytest.approx(20 * e.layer_overhead_s)
    assert o.cpu_s == pytest.approx(2_101_524_480 / 89.6e9)  # 23.5 ms
    assert o.expected_s == pytest.approx(o.gpu_s + o.overhead_s + o.cpu_s)
    # -ngl 33 (the layers + 1: the output layer too) is the whole model: the plain expected
    assert split(s, 33).cpu_bytes == 0
    assert split(s, 33).tokens_per_s == pytest.approx(s.decode_tokens_per_s[1])
    assert split(s, 99).gpu_bytes == split(s, 33).gpu_bytes  # llama.cpp takes -ngl 99 too
    # -ngl 0: every byte from RAM, no GPU layer cost
    assert split(s, 0).expected_s == pytest.approx(4_885_831_680 / 89.6e9)
    # fewer layers on the GPU: never faster
    rates = [split(s, n).tokens_per_s for n in range(34)]
    assert rates == sorted(rates)


def test_ngl_in_speed_and_fit() -> None:
    pytest.importorskip("gguf")
    out = json.loads(main_out(["speed", "llama-3.1-8b", "--gpu", "rtx-3060-12gb", "--dtype",
                               "q4_k_m", "--ngl", "20", "--cpu-bandwidth", "51.2GB/s",
                               "--json"]))
    assert out["offload"]["gpu_layers"] == 20
    assert out["offload"]["cpu_bandwidth_bytes_per_s"] == 51_200_000_000
    assert out["offload"]["cpu_bytes"] == 2_101_524_480
    fit = json.loads(main_out(["fit", "llama-3.1-70b", "--gpu", "rtx-4090", "--dtype",
                               "q4_k_m", "--engine", "llama.cpp", "--json"]))
    assert fit["gpu_layers_decode"]["gpu_layers"] == fit["gpu_layers"] < 80
    assert 0 < fit["gpu_layers_decode"]["tokens_per_s"] < 20


@pytest.mark.parametrize("argv, message", [
    (["--ngl", "20", "--engine", "vllm"], "llama.cpp's -ngl"),
    (["--ngl", "20", "--gpus", "2"], "--gpus 1"),
    (["--cpu-bandwidth", "50GB/s"], "give --ngl too"),
    (["--ngl", "20", "--cpu-bandwidth", "50GB"], "--cpu-bandwidth '50GB'"),
])
def test_ngl_errors(argv: list[str], message: str, capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main

    pytest.importorskip("gguf")
    code = main(["speed", "llama-3.1-8b", "--gpu", "rtx-4090", "--dtype", "q4_k_m", *argv])
    assert code == 2
    assert message in capsys.readouterr().err


def main_out(argv: list[str]) -> str:
    import contextlib
    import io

    from nnsize.cli import main

    buffer = io.StringIO()
    with contextlib.redirect_stdout(buffer):
        assert main(argv) == 0
    return buffer.getvalue()


def _synthetic(call: float, per_sequence: float) -> list[Any]:
    """Points of a made-up engine whose times follow the model exactly: bandwidth share 0.8,
    50 us a layer, compute share 0.5, no cost per token, `call` a prefill call and
    `per_sequence` a layer for each sequence beyond the first."""
    from nnsize.speed.fitting import Point

    out = []
    for i, (memory, layers) in enumerate(((0.004, 32), (0.008, 40), (0.016, 80))):
        for batch in (1, 4):  # 32 x 50 us + 0.004 / 0.8 = 6.6 ms at batch 1
            seconds = memory / 0.8 + layers * 50e-6 + layers * (batch - 1) * per_sequence
            out.append(Point("x", "datacenter", "float", "decode", memory, 0.0, layers, batch,
                             seconds, False, batch, f"m{i}"))
        for tokens in (128, 2048):  # the same setup at two prompt lengths shows the call
            compute = memory * tokens / 64
            seconds = compute / 0.5 + layers * 50e-6 + call
            out.append(Point("x", "datacenter", "float", "prefill", memory, compute, layers,
                             tokens, seconds, False, 1, f"m{i}"))
    return out


def test_the_fit_finds_a_cost_per_call_and_per_sequence() -> None:
    """Points made to the model with 20 ms a call and 10 us a layer per extra sequence: the fit
    gives them back (the grid is 1 us), and the shares beside them."""
    from nnsize.speed.fitting import fit

    figures = fit(_synthetic(0.02, 10e-6), "x")
    overall = figures[""]
    assert overall.call_overhead_s == pytest.approx(0.02, abs=2e-6)
    assert overall.sequence_overhead_s == pytest.approx(10e-6, abs=1e-9)
    assert overall.bandwidth_share == pytest.approx(0.8, abs=1e-3)
    assert figures["datacenter/float"].compute_share == pytest.approx(0.5, abs=2e-3)


def test_no_cost_per_call_where_the_points_do_not_need_one() -> None:
    """Without a call in the times the fit adds none (the model without it misses by 0%), and
    prefills at one length each cannot tell a call from a cost per token: 0 too."""
    from dataclasses import replace

    from nnsize.speed.fitting import fit

    assert fit(_synthetic(0.0, 0.0), "x")[""].call_overhead_s == 0
    one_length = [replace(p, setup=f"{p.setup}/{p.tokens}") for p in _synthetic(0.02, 0.0)]
    assert fit(one_length, "x")[""].call_overhead_s == 0


def test_tensorrt_llm_prefill_pays_its_cost_per_call() -> None:
    """TensorRT-LLM's fitted cost per call is in its prefill, once, and in the explanation;
    its decode does not pay it."""
    from nnsize.speed.engines import find_engine

    e = find_engine("tensorrt-llm", "datacenter", "float")
    assert e.call_overhead_s > 0
    s = speed(nnsize.count("llama-2-7b"), hardware(GPUS["a100-80gb"], "fp16"), "fp16",
              prompt=128, engine="tensorrt-llm")
    # 32 layers x the cost per layer + 32 x 128 tokens x the cost per token + one call
    assert s.prefill.overhead_s == pytest.approx(
        32 * e.layer_overhead_s + 32 * 128 * e.token_overhead_s + e.call_overhead_s)
    assert s.decode.overhead_s == pytest.approx(32 * e.layer_overhead_s)
    text = main_out(["speed", "llama-2-7b", "--gpu", "a100-80gb", "--dtype", "fp16",
                     "--engine", "tensorrt-llm", "--prompt", "128"])
    assert " a call" in text


def test_ngl_all_layers_leaves_the_token_embeddings_in_ram() -> None:
    # llama.cpp keeps tok_embd on the CPU even at -ngl 63 (Gemma 3 27B's 62 layers + the
    # output): Q4_K_M stores it Q6_K, 262,144 x 5,376 / 256 blocks x 210 B = 1,156,055,040 B
    pytest.importorskip("gguf")
    text = main_out(["fit", "gemma-3-27b", "--dtype", "q4_k_m", "--gpu", "rtx-4090",
                     "--engine", "llama.cpp", "--context", "8192"])
    line = next(x for x in text.splitlines() if x.startswith("llama.cpp -ngl:"))
    assert line.startswith("llama.cpp -ngl: 63 (all layers and the output on the GPU")
    assert line.endswith(f"; {262_144 * 5_376 // 256 * 210 / 2**30:.2f} GiB of the token "
                         f"embeddings in RAM)")


def test_a_card_wired_x8_all_reduces_over_its_eight_lanes(
        capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main

    # an RTX 4060 Ti is wired PCIe 4.0 x8 (issue 23): 8 lanes x 2 GB/s = 16 GB/s, half an x16's
    assert main(["speed", "llama-3.1-8b", "--gpu", "rtx-4060-ti-16gb", "--gpus", "2",
                 "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["hardware"]["link"] == {"name": "PCIe 4.0 x8", "bandwidth_bytes_per_s": 16 * 10**9}
    # 524,288 bytes / 16 GB/s + 64 all-reduces x (10 us + 6 us x log2 2) of latency
    decode = data["decode"]
    assert decode["allreduce_bytes"] == 524_288
    assert decode["allreduce_s"] == pytest.approx(524_288 / (16 * 10**9) + 64 * 16e-6)
    assert main(["speed", "llama-3.1-8b", "--gpu", "rtx-4060-ti-16gb", "--gpus", "2"]) == 0
    assert "over PCIe 4.0 x8 at 16 GB/s each way" in capsys.readouterr().out


# gpt-oss-20b: 24 layers alternating a window of 128 and global attention, 8 key-value heads
# of 64: K + V = 2 x 8 x 64 = 1,024 values, 2,048 B a token a layer at bf16
GPT_OSS_TOKEN = 2 * 8 * 64 * 2
APPLE = Hardware("test", bandwidth=10**6, peak_flops=10**7, compute="bf16", gpu_class="apple")


def test_llama_cpp_decode_reads_every_cell_of_the_swa_cache() -> None:
    # CUDA's flash_attn_ext_vec reads every cell to n_kv, those the window's mask hides too: the
    # SWA cache is GGML_PAD(128 + n_ubatch 512, 256) = 768 cells, read whole a step
    report = nnsize.count("gpt-oss-20b")
    s = speed(report, CARD, "bf16", context=2048, engine="llama.cpp")
    # 12 x 2,048 x 2,048 + 12 x 768 x 2,048 = 50,331,648 + 18,874,368
    assert s.decode.cache_bytes == 12 * 2048 * GPT_OSS_TOKEN + 12 * 768 * GPT_OSS_TOKEN \
        == 69_206_016
    assert s.swa is not None and (s.swa.layers, s.swa.of, s.swa.window) == (12, 24, 128)
    assert (s.swa.cells, s.swa.otherwise, s.swa.full, s.swa.skips) == (768, 2048, False, False)
    # two sequences, a stream each: twice the bytes
    two = speed(report, CARD, "bf16", batch=2, context=2048, engine="llama.cpp")
    assert two.decode.cache_bytes == 2 * 69_206_016
    # at 300 tokens the cache is not full: n_kv is the cells used padded to 256, 512
    short = speed(report, CARD, "bf16", context=300, engine="llama.cpp")
    assert short.decode.cache_bytes == 12 * 300 * GPT_OSS_TOKEN + 12 * 512 * GPT_OSS_TOKEN
    # other engines read the window's 127 past tokens, as before: 12 x 127 x 2,048 = 3,121,152
    vllm = speed(report, CARD, "bf16", context=2048, engine="vllm")
    assert vllm.swa is None
    assert vllm.decode.cache_bytes == 12 * 2048 * GPT_OSS_TOKEN + 12 * 127 * GPT_OSS_TOKEN


def test_swa_full_decode_reads_the_sliding_layers_as_global_ones() -> None:
    # --swa-full: the SWA cache holds the context's 2,048 cells, and CUDA reads them all:
    # 24 x 2,048 x 2,048 = 100,663,296, the window's mask hiding all but 128 of each
    report = nnsize.count("gpt-oss-20b")
    s = speed(report, CARD, "bf16", context=2048, engine="llama.cpp", swa_full=True)
    assert s.decode.cache_bytes == 24 * 2048 * GPT_OSS_TOKEN == 100_663_296
    assert s.swa is not None and (s.swa.cells, s.swa.otherwise, s.swa.full) == (2048, 768, True)
    off = speed(report, CARD, "bf16", context=2048, engine="llama.cpp")
    # 12 x (2,048 - 768) x 2,048 = 31,457,280 more a step, and the weights the same
    assert s.decode.cache_bytes - off.decode.cache_bytes == 31_457_280
    assert s.decode.weight_bytes == off.decode.weight_bytes
    assert s.decode.memory_s == pytest.approx(
        (off.decode.weight_bytes + 100_663_296) / CARD.bandwidth)
    # the prefill writes the same cache either way
    assert s.prefill.cache_bytes == off.prefill.cache_bytes
    # the crossover batch uses the same cache a sequence
    assert s.compute_bound_batch is None or off.compute_bound_batch is None or \
        s.compute_bound_batch >= off.compute_bound_batch


def test_metal_skips_the_blocks_the_window_masks() -> None:
    # kernel_flash_attn_ext_vec skips a block of cells wholly -inf in the mask: on Apple silicon
    # a step reads the window's 127 past tokens, --swa-full or not: 12 x 2,048 x 2,048 +
    # 12 x 127 x 2,048 = 50,331,648 + 3,121,152
    report = nnsize.count("gpt-oss-20b")
    for full in (False, True):
        s = speed(report, APPLE, "bf16", context=2048, engine="llama.cpp", swa_full=full)
        assert s.decode.cache_bytes == 53_452_800
        assert s.swa is not None and s.swa.skips and s.swa.cells == 127


def test_swa_full_is_refused_for_other_engines() -> None:
    report = nnsize.count("gpt-oss-20b")
    with pytest.raises(NnsizeError, match="vllm has no such setting"):
        speed(report, CARD, "bf16", engine="vllm", swa_full=True)


def test_speed_cli_takes_swa_full(capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main

    argv = ["speed", "gpt-oss-20b", "--gpu", "h100-80gb", "--engine", "llama.cpp",
            "--dtype", "mxfp4", "--json"]
    assert main(argv) == 0
    off = json.loads(capsys.readouterr().out)
    assert main([*argv, "--swa-full"]) == 0
    on = json.loads(capsys.readouterr().out)
    # 12 SWA layers x (2,048 - 768) cells x 2,048 B
    assert on["decode"]["cache_bytes"] - off["decode"]["cache_bytes"] == 12 * 1280 * 2048
    assert any("--swa-full keeps it full-size" in note for note in on["notes"])
    assert any("768 a sequence" in note for note in off["notes"])
    text = main_out(argv[:-1] + ["--swa-full"])
    assert "every cell of their cache, 2,048 a sequence as a global layer's" in text
    assert main(["speed", "gpt-oss-20b", "--gpu", "h100-80gb", "--engine", "vllm",
                 "--swa-full"]) != 0
    assert "--swa-full" in capsys.readouterr().err


def test_fit_split_decodes_with_the_plans_swa_full() -> None:
    # fit --engine llama.cpp --swa-full times its -ngl split with the same full-size cache
    from nnsize.gpus import find_gpu
    from nnsize.memory.setup import Setup
    from nnsize.speed.offload import fit_split

    report = nnsize.count("gpt-oss-20b")
    gpu = find_gpu("rtx-4090")
    base = Setup(engine="llama.cpp", context=2048, dtype="bf16")
    off = fit_split(report, gpu, base, 25)
    on = fit_split(report, gpu, Setup(engine="llama.cpp", context=2048, dtype="bf16",
                                      swa_full=True), 25)
    assert off is not None and on is not None and on.swa is not None and on.swa.full
    assert on.decode.cache_bytes - off.decode.cache_bytes == 12 * 1280 * GPT_OSS_TOKEN


def test_prefill_writes_every_token_and_scores_over_the_cache() -> None:
    # a 4,096-token prompt: every token's K and V is written into the SWA cache too, 24 x 4,096
    # x 2,048 B, with --swa-full or without; the scores of a SWA layer (64 heads x (64 + 64) =
    # 8,192 MACs a key) run over every cell the cache holds: without --swa-full min(t, 768)
    # keys, 768 x 769 / 2 + (4,096 - 768) x 768 = 2,851,200 over t = 1..4,096; with it t keys,
    # 4,096 x 4,097 / 2 = 8,390,656, as a global layer; on Metal its window, min(t, 128):
    # 128 x 129 / 2 + (4,096 - 128) x 128 = 516,160
    report = nnsize.count("gpt-oss-20b")
    off = speed(report, CARD, "bf16", prompt=4096, engine="llama.cpp")
    on = speed(report, CARD, "bf16", prompt=4096, engine="llama.cpp", swa_full=True)
    metal = speed(report, APPLE, "bf16", prompt=4096, engine="llama.cpp", swa_full=True)
    assert off.prefill.cache_bytes == on.prefill.cache_bytes == metal.prefill.cache_bytes \
        == 24 * 4096 * GPT_OSS_TOKEN
    # 2 FLOPs a MAC x 12 SWA layers x 8,192 MACs a key x the keys' difference
    assert on.prefill.flops - off.prefill.flops == 2 * 12 * 8192 * (8_390_656 - 2_851_200)
    assert off.prefill.flops - metal.prefill.flops == 2 * 12 * 8192 * (2_851_200 - 516_160)
    # vLLM runs the window: its scores as Metal's, its cache the window's 127 tokens
    vllm = speed(report, CARD, "bf16", prompt=4096, engine="vllm")
    assert vllm.prefill.flops == metal.prefill.flops


def test_llama_cpp_scores_a_model_windowed_on_every_layer_over_every_token() -> None:
    # Mistral-7B v0.1's 4,096-token window is on all 32 layers: llama.cpp runs it without one
    # (its "llama" architecture reads no window), caching and scoring every token, so at 8,192
    # tokens a step's scores run over 8,192 keys, not 4,096; vLLM keeps the window.
    # Scores and the weighted sum: 32 heads x (128 + 128) = 8,192 MACs a key a layer.
    report = nnsize.count("mistral-7b")
    cpp = speed(report, CARD, "bf16", context=8192, prompt=8192, engine="llama.cpp")
    vllm = speed(report, CARD, "bf16", context=8192, prompt=8192, engine="vllm")
    # a step's token attends to the 8,192 cached and itself, 8,193 keys, against the window's
    # 4,096: 2 FLOPs a MAC x 32 layers x 8,192 MACs a key x (8,193 - 4,096) keys
    assert cpp.decode.flops - vllm.decode.flops == 2 * 32 * 8192 * (8193 - 4096)
    # over the prompt: sum of t for t = 1..8,192 against sum of min(t, 4,096):
    # 8,192 x 8,193 / 2 = 33,558,528; 4,096 x 4,097 / 2 + 4,096 x 4,096 = 25,167,872
    assert cpp.prefill.flops - vllm.prefill.flops == 2 * 32 * 8192 * (33_558_528 - 25_167_872)
    assert cpp.swa is None
