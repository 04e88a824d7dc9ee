"""MiMo-V2-Flash (issue 21), built by the decoder builder from its traits in decoder_families.py,
against transformers 5.25's MiMoV2FlashForCausalLM (models/mimo_v2_flash/modeling_mimo_v2_flash.py):
Xiaomi's published config tensor by tensor, a tiny variant's count and its real KV cache after a
forward pass on the CPU, the KV cache by hand at the model's 262,144 tokens, and the refusals of
a config whose Xiaomi keys say another model than transformers builds."""

from __future__ import annotations

import json
from typing import Any

import pytest
from hf import assert_cache_is_planned, built, compare

import nnsize
from nnsize.errors import SpecError

import paths

PUBLISHED = paths.DATA / "published_configs" / "XiaomiMiMo--MiMo-V2-Flash.json"


def published() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PUBLISHED.read_text())
    return data


def tiny(**changes: Any) -> dict[str, Any]:
    """MiMo-V2-Flash in small, with every key of Xiaomi's file: 8 layers (full at 0 and 5, the
    others a window of 4 + 1), 4 query heads of 6 for the keys and 4 for the values, 1 KV head
    in full layers and 2 in sliding ones, layer 0 a dense MLP, the others 4 experts, 2 a token."""
    pattern = [0, 1, 1, 1, 1, 0, 1, 1]
    return {
        "architectures": ["MiMoV2FlashForCausalLM"], "model_type": "mimo_v2_flash",
        "num_hidden_layers": 8, "hidden_size": 16, "num_attention_heads": 4,
        "num_key_value_heads": 1, "head_dim": 6, "v_head_dim": 4, "intermediate_size": 12,
        "vocab_size": 32, "max_position_embeddings": 64, "rope_theta": 5000000,
        "swa_rope_theta": 10000, "partial_rotary_factor": 0.334, "sliding_window": 4,
        "sliding_window_size": 4, "attention_chunk_size": 4, "swa_num_attention_heads": 4,
        "swa_num_key_value_heads": 2, "swa_head_dim": 6, "swa_v_head_dim": 4,
        "hybrid_layer_pattern": pattern, "moe_layer_freq": [0] + [1] * 7,
        "moe_intermediate_size": 8, "n_routed_experts": 4, "n_shared_experts": None,
        "num_experts_per_tok": 2, "norm_topk_prob": True, "scoring_func": "sigmoid",
        "n_group": 1, "topk_group": 1, "topk_method": "noaux_tc", "routed_scaling_factor": None,
        "hidden_act": "silu", "layernorm_epsilon": 1e-05, "attention_dropout": 0.0,
        "attention_bias": False, "attention_value_scale": 0.707,
        "add_swa_attention_sink_bias": True, "add_full_attention_sink_bias": False,
        "tie_word_embeddings": False, "torch_dtype": "bfloat16", "use_cache": True,
        "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0,
        "quantization_config": {"activation_scheme": "dynamic", "fmt": "e4m3",
                                "quant_method": "fp8", "weight_block_size": [128, 128]},
        **changes}


def test_published_config_tensor_by_tensor() -> None:
    report = compare(published())  # every name and shape, and sum(p.numel()) of transformers'
    theirs = built(published()).parameters
    # a full layer (0): 4 KV heads of 192 for the keys, 128 for the values; no sinks
    assert theirs["model.layers.0.self_attn.q_proj.weight"][1] == (64 * 192, 4096)
    assert theirs["model.layers.0.self_attn.k_proj.weight"][1] == (4 * 192, 4096)
    assert theirs["model.layers.0.self_attn.v_proj.weight"][1] == (4 * 128, 4096)
    assert theirs["model.layers.0.self_attn.o_proj.weight"][1] == (4096, 64 * 128)
    assert "model.layers.0.self_attn.sinks" not in theirs
    # a sliding layer (1): 8 KV heads, a sink logit a query head
    assert theirs["model.layers.1.self_attn.k_proj.weight"][1] == (8 * 192, 4096)
    assert theirs["model.layers.1.self_attn.v_proj.weight"][1] == (8 * 128, 4096)
    assert theirs["model.layers.1.self_attn.sinks"][1] == (64,)
    # layer 0 a dense MLP, the others 256 experts of 2,048
    assert theirs["model.layers.0.mlp.gate_proj.weight"][1] == (16384, 4096)
    assert theirs["model.layers.1.mlp.experts.gate_up_proj"][1] == (256, 2 * 2048, 4096)
    assert report.total_params == 308_778_768_832


def test_published_config_active_parameters() -> None:
    report = nnsize.count(published())
    experts = 47 * 256 * 3 * 2048 * 4096  # 47 MoE layers, gate + up + down of 2,048 x 4,096
    # a token uses 8 of the 256 experts: everything else, less 248 / 256 of the experts
    assert report.active_params == report.total_params - experts * 248 // 256
    # "309B total parameters and 15B activated parameters" (SGLang's and Xiaomi's post):
    #   lm-sys/lm-sys.github.io@6ce7873d90e671dcb20bf9f65b94c67d0dae08f9
    #   blog/2025-12-15-mimo-v2-flash.md
    assert report.active_params == 15_445_924_288


def test_published_config_layers() -> None:
    layers = nnsize.count(published()).decoder.layers.counts()
    full = [(a, n) for a, n in layers if a.window is None]
    sliding = [(a, n) for a, n in layers if a.window is not None]
    # hybrid_layer_pattern's 0s: layer 0 and every 6th; 128 tokens attended + the query
    assert [(a.kv_heads, a.key_dim, a.value_dim, n) for a, n in full] == [(4, 192, 128, 9)]
    assert [(a.kv_heads, a.key_dim, a.value_dim, a.window, n) for a, n in sliding] == \
        [(8, 192, 128, 128 + 1, 39)]


def test_kv_cache_at_262144_tokens(capsys: pytest.CaptureFixture[str]) -> None:
    from nnsize.cli import main
    from nnsize.memory import kv_cache
    from nnsize.precision import find

    # a token a layer at bf16: full 4 KV heads x (192 + 128) x 2 B = 2,560; sliding 8 x
    # (192 + 128) x 2 B = 5,120.  Every layer: 9 x 2,560 + 39 x 5,120 = 222,720 bytes a token
    full, sliding = 4 * (192 + 128) * 2, 8 * (192 + 128) * 2
    assert (full, sliding) == (2560, 5120)
    # at 262,144 tokens (max_position_embeddings) the sliding layers keep sliding_window_size
    # = 128 past tokens (transformers' window 129: DynamicSlidingWindowLayer.update keeps "the
    # last `self.sliding_window - 1` tokens", transformers v5.25.0 src/transformers/
    # cache_utils.py; vLLM's groups: tests/memory/test_vllm_kv.py), the full ones all:
    # 9 x 262,144 x 2,560 + 39 x 128 x 5,120 = 6,039,797,760 + 25,559,040 = 6,065,356,800
    at_262144 = 9 * 262144 * full + 39 * 128 * sliding
    assert at_262144 == 6_065_356_800
    report = nnsize.count(published())
    assert kv_cache(report, 1, 262144, find("bf16"))[0] == at_262144
    assert main(["memory", str(PUBLISHED), "--context", "262144"]) == 0
    out = capsys.readouterr().out
    assert f"KV cache per token (every layer): {9 * full + 39 * sliding:,} bytes at bf16" in out
    assert f"{at_262144:,}" in out


def test_tiny_variant_count_and_cache() -> None:
    report = compare(tiny())
    assert report.total_params == built(tiny()).total
    # 3 sequences of 13 tokens, fp32: full layers 1 KV head x (6 + 4) x 4 B a token, all 13;
    # sliding ones 2 x (6 + 4) x 4 B, the last 4 (window 4 + 1, less the query)
    from nnsize.memory import kv_cache
    from nnsize.precision import find

    assert kv_cache(report, 3, 13, find("fp32"))[0] == \
        3 * (2 * 13 * 1 * 10 * 4 + 6 * 4 * 2 * 10 * 4)
    # transformers builds the model in the config's torch_dtype: left out, fp32, as planned
    assert_cache_is_planned({k: v for k, v in tiny().items() if k != "torch_dtype"}, batch=3,
                            tokens=13)


def test_transformers_own_keys_are_read() -> None:
    # a config saved by transformers 5.25: layer_types and mlp_layer_types, no Xiaomi keys
    xiaomi = ("sliding_window_size", "attention_chunk_size", "swa_num_attention_heads",
              "swa_num_key_value_heads", "swa_head_dim", "swa_v_head_dim",
              "hybrid_layer_pattern", "moe_layer_freq", "add_swa_attention_sink_bias",
              "add_full_attention_sink_bias", "n_shared_experts", "torch_dtype")
    own = {k: v for k, v in tiny().items() if k not in xiaomi}
    types = ["full_attention", "sliding_attention"]
    compare({**own, "sliding_window": 5, "layer_types": [types[i % 2] for i in range(8)],
             "mlp_layer_types": ["dense", "dense"] + ["sparse"] * 6})
    assert_cache_is_planned({**own, "sliding_window": 5,
                             "layer_types": [types[i % 2] for i in range(8)]}, tokens=9)


@pytest.mark.parametrize(("change", "message"), [
    # transformers builds twice num_key_value_heads in a sliding layer, Xiaomi's code this key
    ({"swa_num_key_value_heads": 3}, "swa_num_key_value_heads = 3, but transformers builds 2"),
    ({"swa_v_head_dim": 6}, "swa_v_head_dim = 6, but transformers builds 4"),
    ({"swa_num_attention_heads": 8}, "swa_num_attention_heads = 8"),
    ({"hybrid_layer_pattern": [0, 1, 0, 1, 0, 1, 0, 1]}, "hybrid_layer_pattern = [0, 1, 0"),
    ({"moe_layer_freq": [1] * 8}, "moe_layer_freq = [1, 1, 1"),
    ({"add_full_attention_sink_bias": True}, "add_full_attention_sink_bias = True"),
    ({"add_swa_attention_sink_bias": False}, "add_swa_attention_sink_bias = False"),
    ({"n_shared_experts": 1}, "n_shared_experts = 1, but transformers builds 0"),
    # a structural key no MiMo model has: never silently left out
    ({"kv_lora_rank": 512}, "kv_lora_rank: nnsize does not read this key"),
    ({"num_nextn_predict_layers": 1}, "num_nextn_predict_layers: nnsize does not read"),
])
def test_keys_that_say_another_model_are_refused(change: dict[str, Any], message: str) -> None:
    with pytest.raises(SpecError) as e:
        nnsize.count(tiny(**change))
    assert message in str(e.value)


def test_a_null_window_is_refused() -> None:
    # its sliding layers have more KV heads and sinks: which layers slide needs a window
    with pytest.raises(SpecError, match="sliding_window is null"):
        nnsize.count(tiny(sliding_window=None, sliding_window_size=None))


def test_a_config_transformers_saved_is_read_whole() -> None:
    # every key MiMoV2FlashConfig.to_dict() writes (rope_parameters, layer_types, dtype, ...)
    # is read or known to change nothing: none is refused
    from hf import transformers

    saved = transformers.MiMoV2FlashConfig(
        num_hidden_layers=7, hidden_size=16, num_attention_heads=4, num_key_value_heads=1,
        head_dim=6, v_head_dim=4, intermediate_size=12, vocab_size=32, n_routed_experts=4,
        moe_intermediate_size=8, num_experts_per_tok=2).to_dict()
    compare(saved)
