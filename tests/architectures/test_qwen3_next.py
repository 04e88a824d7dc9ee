"""Qwen3-Next and Qwen3.5's language models (qwen3_5_text, qwen3_5_moe_text: the same builder,
a table of differences) against transformers, tensor by tensor: random configs, transformers'
default config as save_pretrained writes it, the published Qwen3-Next-80B-A3B, and the planner's
view (a KV cache for the attention layers, each gated DeltaNet layer's conv window and state)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from hf import (
    assert_cache_is_planned,
    assert_defaults_are_transformers_own,
    lm_class,
    random_configs_test,
    torch,
    transformers,
)
from hypothesis import strategies as st

import nnsize
from nnsize.architectures import base_class, count_config
from nnsize.errors import NnsizeError, SpecError


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    h = draw(st.sampled_from([8, 16]))
    heads = draw(st.sampled_from([1, 2]))
    layers = draw(st.integers(1, 5))
    c: dict[str, Any] = {
        "model_type": family, "hidden_size": h, "vocab_size": draw(st.integers(10, 40)),
        "num_hidden_layers": layers, "num_attention_heads": heads,
        "num_key_value_heads": draw(st.sampled_from([1, heads])),
        "head_dim": draw(st.sampled_from([2, 4])), "attention_bias": draw(st.booleans()),
        "intermediate_size": draw(st.integers(2, 12)), "tie_word_embeddings": draw(st.booleans()),
        "linear_conv_kernel_dim": draw(st.integers(2, 4)),
        "linear_key_head_dim": draw(st.integers(1, 4)),
        "linear_value_head_dim": draw(st.integers(1, 4)),
        "linear_num_key_heads": draw(st.integers(1, 2)),
        "linear_num_value_heads": draw(st.integers(1, 4)),
        "decoder_sparse_step": draw(st.integers(1, 2)),
        "moe_intermediate_size": draw(st.integers(1, 6)),
        "shared_expert_intermediate_size": draw(st.integers(1, 6)),
        "num_experts": draw(st.integers(0, 4)), "num_experts_per_tok": 1,
        "mlp_only_layers": draw(st.lists(st.integers(0, 6), max_size=2)),
        "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
    if family == "qwen3_5_text":  # no experts: the keys its config class has not
        for key in ("decoder_sparse_step", "moe_intermediate_size", "num_experts",
                    "shared_expert_intermediate_size", "num_experts_per_tok", "mlp_only_layers"):
            del c[key]
    elif family == "qwen3_5_moe_text":  # experts in every layer: no step, no dense layers
        del c["decoder_sparse_step"], c["mlp_only_layers"], c["intermediate_size"]
        c["num_experts"] = draw(st.integers(1, 4))
    if draw(st.booleans()):
        c["layer_types"] = draw(st.lists(st.sampled_from(["linear_attention", "full_attention"]),
                                         min_size=layers, max_size=layers))
    else:
        c["full_attention_interval"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        c["architectures"] = [lm_class(family)]
    return c


FAMILIES = ["qwen3_next", "qwen3_5_text", "qwen3_5_moe_text"]
test_random_configs_match_transformers = random_configs_test(FAMILIES, config, 12)


@pytest.mark.parametrize("family", FAMILIES)
def test_defaults_are_transformers_own(family: str) -> None:
    assert_defaults_are_transformers_own(family)


@pytest.mark.parametrize("family", FAMILIES)
def test_saved_default_config(family: str) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING[family]()
        with torch.device("meta"):
            model = transformers.AutoModel.from_config(cfg)
    data = json.loads(cfg.to_json_string())
    assert count_config(data, base=True).total_params == sum(p.numel() for p in model.parameters())
    assert base_class(family) == type(model).__name__


@pytest.mark.parametrize(("config", "key"), [
    # transformers always builds the attention's output gate (q_proj twice as wide)
    ({"model_type": "qwen3_5_text", "attn_output_gate": False}, "attn_output_gate = False"),
    # Qwen3.5-MoE's config class drops these: experts in every layer
    ({"model_type": "qwen3_5_moe_text", "mlp_only_layers": [0]}, "mlp_only_layers = [0]"),
    ({"model_type": "qwen3_5_moe_text", "decoder_sparse_step": 2}, "decoder_sparse_step = 2"),
])
def test_qwen3_5_keys_it_does_not_model_are_refused(config: dict[str, Any], key: str) -> None:
    with pytest.raises(SpecError) as e:
        count_config(config)
    assert key in str(e.value)


def test_qwen3_5_state_and_cache() -> None:
    # Qwen3.5-35B-A3B's language model (its published text_config's shape): 40 layers, every
    # 4th full attention: 10 attention layers x 2 KV heads x 256 x 2 (keys, values) x 2 bytes
    # = 20,480 bytes a token; 30 DeltaNet layers of 16 key heads x 128, 32 value heads x 128,
    # kernel 4: conv (2 x 2,048 + 4,096) x 4 = 32,768, state 32 x 128 x 128 = 524,288;
    # 30 x 557,056 = 16,711,680 values a sequence
    from nnsize.memory import kv_cache
    from nnsize.precision import find

    report = nnsize.count({"model_type": "qwen3_5_moe_text", "full_attention_interval": 4})
    d = report.decoder
    assert d is not None and d.state_values == 30 * (8192 * 4 + 32 * 128 * 128) == 16_711_680
    per_token = 10 * 2 * 256 * 2 * 2
    assert per_token == 20_480
    # the state as transformers keeps it: the conv window at 2 bytes, the recurrent state at 4
    assert kv_cache(report, 1, 8192, find("bf16"))[0] == \
        8192 * per_token + 30 * (8192 * 4 * 2 + 32 * 128 * 128 * 4) == 232_652_800


def test_the_state_and_the_cache() -> None:
    # 4 layers, attention every 2nd: 2 DeltaNet layers of 2 key heads x 4, 4 value heads x 4,
    # kernel 4: conv (2 x 8 + 16) x 4 = 128, state 4 x 4 x 4 = 64; 2 x 192 = 384 a sequence
    report = nnsize.count({"model_type": "qwen3_next", "hidden_size": 16, "num_hidden_layers": 4,
                           "full_attention_interval": 2, "num_attention_heads": 2,
                           "linear_num_key_heads": 2, "linear_key_head_dim": 4,
                           "linear_num_value_heads": 4, "linear_value_head_dim": 4,
                           "vocab_size": 32, "num_experts": 4, "num_experts_per_tok": 1})
    d = report.decoder
    assert d is not None and d.state_values == 384 and len(d.layers) == 2
    with pytest.raises(NnsizeError, match="not modelled"):
        from nnsize.memory.compute import compute

        compute(report, 128)


def test_layer_types_are_checked() -> None:
    with pytest.raises(SpecError, match="layer_types"):
        count_config({"model_type": "qwen3_next", "num_hidden_layers": 2,
                      "layer_types": ["linear_attention", "sliding_attention"]})


@pytest.mark.parametrize("family", FAMILIES)
def test_the_planner_commands(tmp_path: Any, family: str) -> None:
    from nnsize.cli import main

    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": family, "hidden_size": 64,
                                "num_hidden_layers": 4, "vocab_size": 100, "num_experts": 8}))
    assert main(["memory", str(path)]) == 0
    assert main(["fit", str(path), "--gpu", "24GiB"]) == 0
    assert main(["fit", str(path), "--gpu", "h100-80gb", "--engine", "vllm", "--json"]) == 0
    assert main(["memory", str(path), "--train"]) == 2


@pytest.mark.parametrize("family", FAMILIES)
def test_the_cache_transformers_keeps(family: str) -> None:
    # batch 3 x 13 tokens: the attention layer's keys and values, the DeltaNet layer's conv
    # window and recurrent state
    assert_cache_is_planned({"model_type": family, "hidden_size": 16, "intermediate_size": 8,
                             "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8,
                             "num_hidden_layers": 2, "full_attention_interval": 2,
                             "linear_num_key_heads": 1, "linear_key_head_dim": 4,
                             "linear_num_value_heads": 2, "linear_value_head_dim": 4,
                             "num_experts": 2, "num_experts_per_tok": 1, "vocab_size": 32,
                             "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0})
