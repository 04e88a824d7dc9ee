"""A sequence's state at each engine's dtypes (memory.state), against transformers' own cache:
tiny models of every family with a state, built in bf16 on CPU, one forward pass with the
cache, its conv and recurrent tensors summed to the byte."""

from __future__ import annotations

import json
from typing import Any

import pytest

import nnsize
from nnsize.memory import kv_cache
from nnsize.memory.state import state_parts
from nnsize.memory.vllm_kv import state_bytes
from nnsize.precision import find

import paths

BF16, FP8 = find("bf16"), find("fp8")
SMALL = {"vocab_size": 128, "hidden_size": 64, "num_hidden_layers": 2,
         "num_attention_heads": 4, "num_key_value_heads": 2, "intermediate_size": 64}
GDN = {"layer_types": ["linear_attention", "full_attention"], "linear_num_key_heads": 2,
       "linear_num_value_heads": 4, "linear_key_head_dim": 16, "linear_value_head_dim": 16,
       "linear_conv_kernel_dim": 4, "head_dim": 16}
MAMBA2 = {"mamba_n_heads": 8, "mamba_d_head": 16, "mamba_n_groups": 1, "mamba_d_state": 8,
          "mamba_d_conv": 4, "mamba_expand": 2}
# (transformers config class, its arguments)
FAMILIES: dict[str, tuple[str, dict[str, Any]]] = {
    "qwen3_next": ("Qwen3NextConfig", {**SMALL, **GDN, "num_experts": 4,
                                       "num_experts_per_tok": 2, "moe_intermediate_size": 32,
                                       "shared_expert_intermediate_size": 32}),
    "qwen3_5": ("Qwen3_5TextConfig", {**SMALL, **GDN}),
    "mamba": ("MambaConfig", {"vocab_size": 128, "hidden_size": 64, "num_hidden_layers": 2,
                              "state_size": 8, "expand": 2, "conv_kernel": 4}),
    "falcon_mamba": ("FalconMambaConfig", {"vocab_size": 128, "hidden_size": 64,
                                           "num_hidden_layers": 2, "state_size": 8,
                                           "expand": 2, "conv_kernel": 4}),
    "mamba2": ("Mamba2Config", {"vocab_size": 128, "hidden_size": 64, "num_hidden_layers": 2,
                                "state_size": 8, "expand": 2, "conv_kernel": 4,
                                "num_heads": 8, "head_dim": 16, "n_groups": 1}),
    "jamba": ("JambaConfig", {**SMALL, "attn_layer_period": 2, "attn_layer_offset": 1,
                              "expert_layer_period": 2, "expert_layer_offset": 1,
                              "num_experts": 2, "mamba_d_state": 8, "mamba_d_conv": 4,
                              "mamba_expand": 2, "mamba_dt_rank": 8}),
    "bamba": ("BambaConfig", {**SMALL, **MAMBA2, "attn_layer_indices": [1]}),
    "falcon_h1": ("FalconH1Config", {**SMALL, **MAMBA2, "mamba_d_ssm": 128}),
    "granitemoehybrid": ("GraniteMoeHybridConfig", {**SMALL, **MAMBA2,
                                                    "layer_types": ["mamba", "attention"],
                                                    "num_local_experts": 0}),
    "nemotron_h": ("NemotronHConfig", {**SMALL, "hybrid_override_pattern": "M*",
                                       "mamba_num_heads": 8, "mamba_head_dim": 16,
                                       "n_groups": 1, "ssm_state_size": 8, "conv_kernel": 4,
                                       "expand": 2}),
    "zamba2": ("Zamba2Config", {**SMALL, "layers_block_type": ["mamba", "hybrid"],
                                "mamba_d_state": 8, "mamba_d_conv": 4, "mamba_expand": 2,
                                "mamba_ngroups": 1, "mamba_headdim": 16, "n_mamba_heads": 8,
                                "num_mem_blocks": 1, "use_mem_rope": False}),
    "lfm2": ("Lfm2Config", {**SMALL, "layer_types": ["conv", "full_attention"],
                            "conv_L_cache": 3}),
}


def _measured(family: str) -> tuple[Any, dict[str, tuple[int, set[str]]]]:
    """(the config, {"conv": (bytes, dtypes), "SSM": ...}) of one sequence's state in the
    cache transformers fills: two sequences of 5 tokens, then one more token each."""
    import torch
    import transformers

    name, kwargs = FAMILIES[family]
    cfg = getattr(transformers, name)(**kwargs)
    torch.manual_seed(0)
    model = transformers.AutoModelForCausalLM.from_config(cfg, dtype=torch.bfloat16).eval()
    with torch.no_grad():
        out = model(torch.randint(0, 128, (2, 5)), use_cache=True)
        out = model(torch.randint(0, 128, (2, 1)), cache=out.cache, use_cache=True)
    parts: dict[str, tuple[int, set[str]]] = {}
    for layer in out.cache.layers:
        for attr, part in (("conv_states", "conv"), ("recurrent_states", "SSM")):
            for t in getattr(layer, attr, {}).values():
                if t is None:  # (LFM2's convolution keeps no recurrent state)
                    continue
                n, dtypes = parts.get(part, (0, set()))
                parts[part] = (n + t.numel() * t.element_size() // 2,
                               dtypes | {str(t.dtype).removeprefix("torch.")})
    return cfg, parts


@pytest.mark.parametrize("family", list(FAMILIES))
def test_transformers_state_to_the_byte(family: str) -> None:
    # transformers 5.25 keeps the conv window at the model's dtype, kernel columns wide, and
    # the SSM / recurrent state in float32, whatever the cache's precision
    cfg, measured = _measured(family)
    report = nnsize.count(cfg.to_dict())
    assert report.decoder is not None
    parts = state_parts(report.decoder, "transformers", FP8, BF16)
    assert {p.name: (p.state_bytes, {p.precision.name}) for p in parts} == {
        name: (n, {{"bfloat16": "bf16", "float32": "fp32"}[d] for d in dtypes})
        for name, (n, dtypes) in measured.items()}
    # and every value state_values counts is in one part
    assert sum(p.layers * p.values for p in parts) == report.decoder.state_values


def test_the_tiny_qwen3_next_by_hand() -> None:
    # one gated delta net layer: conv (2 x 2 x 16 + 4 x 16) x 4 columns x 2 B = 1,024 B,
    # recurrent 4 heads x 16 x 16 x 4 B = 4,096 B
    _, measured = _measured("qwen3_next")
    assert measured == {"conv": ((2 * 2 * 16 + 4 * 16) * 4 * 2, {"bfloat16"}),
                        "SSM": (4 * 16 * 16 * 4, {"float32"})}


QWEN35_27B = json.loads((paths.DATA / "published_configs" / "Qwen--Qwen3.5-27B.json")
                        .read_text())
QWEN35_27B_CONV = 2 * 16 * 128 + 48 * 128  # 10,240 channels: q and k of 16 heads, v of 48


@pytest.mark.parametrize("engine, conv_bytes, ssm_bytes", [
    # transformers: 4 kernel columns at bf16, the recurrent state in float32
    ("transformers", 48 * 4 * QWEN35_27B_CONV * 2, 48 * 48 * 128 * 128 * 4),
    # vLLM: kernel - 1 columns at the model's dtype, the recurrent state at the config's
    # mamba_ssm_dtype (float32); the 3,207,168 B a layer vllm_kv.state_bytes gives
    ("vllm", 48 * 3 * QWEN35_27B_CONV * 2, 48 * 48 * 128 * 128 * 4),
    # llama.cpp: r_l and s_l in F32
    ("llama.cpp", 48 * 3 * QWEN35_27B_CONV * 4, 48 * 48 * 128 * 128 * 4),
])
def test_qwen35_27b(engine: str, conv_bytes: int, ssm_bytes: int) -> None:
    d = nnsize.count(QWEN35_27B).decoder
    assert d is not None and d.mixer is not None
    parts = state_parts(d, engine, FP8, BF16)
    assert [(p.name, p.state_bytes) for p in parts] == [("conv", conv_bytes), ("SSM", ssm_bytes)]
    if engine == "vllm":
        assert conv_bytes + ssm_bytes == 48 * state_bytes(d.mixer, 1, 2) == 48 * 3_207_168


def test_the_kv_line_prices_the_state_apart_from_the_cache() -> None:
    # Qwen3.5-27B, 2 sequences of 2,048 tokens, an fp8 cache under vLLM: 16 attention layers
    # x 4 KV heads x 256 x 2 at 1 B a value; the state at bf16 and fp32, never fp8
    report = nnsize.count(QWEN35_27B)
    cache, terms, _ = kv_cache(report, 2, 2048, FP8, transformers=False, engine="vllm",
                               model=BF16)
    state = 48 * (3 * QWEN35_27B_CONV * 2 + 48 * 128 * 128 * 4)
    assert cache == 2 * (16 * 2048 * 4 * 256 * 2 * 1 + state)
    assert terms is not None and [p.precision.name for p in terms.state_parts] == ["bf16", "fp32"]


def test_a_state_without_a_mixer_stays_at_the_cache_precision() -> None:
    # Zamba (v1): no StateMixer, so its state values are priced as before, at kv's bits
    report = nnsize.count({"model_type": "zamba", "hidden_size": 16, "num_attention_heads": 2,
                           "vocab_size": 32, "num_hidden_layers": 3})
    d = report.decoder
    assert d is not None and d.mixer is None and d.state_values
    parts = state_parts(d, "transformers", FP8, BF16)
    assert [(p.name, p.values, p.precision.name) for p in parts] == [
        ("state", d.state_values, "fp8")]
