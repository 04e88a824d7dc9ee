"""Qwen3-Next against transformers, tensor by tensor: random configs, transformers' default
config as save_pretrained writes it, the published Qwen3-Next-80B-A3B, and the planner's view
(a KV cache for the attention layers, each gated DeltaNet layer's conv window and state)."""

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
    if draw(st.booleans()):
        c["layer_types"] = draw(st.lists(st.sampled_from(["linear_attention", "full_attention"]),
                                         min_size=layers, max_size=layers))
    else:
        c["full_attention_interval"] = draw(st.integers(1, 3))
    if draw(st.booleans()):
        c["architectures"] = [lm_class(family)]
    return c


test_random_configs_match_transformers = random_configs_test(["qwen3_next"], config, 12)


def test_defaults_are_transformers_own() -> None:
    assert_defaults_are_transformers_own("qwen3_next")


def test_saved_default_config() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING["qwen3_next"]()
        with torch.device("meta"):
            model = transformers.AutoModel.from_config(cfg)
    data = json.loads(cfg.to_json_string())
    assert count_config(data, base=True).total_params == sum(p.numel() for p in model.parameters())
    assert base_class("qwen3_next") == type(model).__name__


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


def test_the_planner_commands(tmp_path: Any) -> None:
    from nnsize.cli import main

    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": "qwen3_next", "hidden_size": 64,
                                "num_hidden_layers": 4, "vocab_size": 100, "num_experts": 8}))
    assert main(["memory", str(path)]) == 0
    assert main(["fit", str(path), "--gpu", "24GiB"]) == 0
    assert main(["memory", str(path), "--train"]) == 2


def test_the_cache_transformers_keeps() -> None:
    # batch 3 x 13 tokens: the attention layer's keys and values, the DeltaNet layer's conv
    # window and recurrent state
    assert_cache_is_planned({"model_type": "qwen3_next", "hidden_size": 16,
                             "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8,
                             "num_hidden_layers": 2, "full_attention_interval": 2,
                             "linear_num_key_heads": 1, "linear_key_head_dim": 4,
                             "linear_num_value_heads": 2, "linear_value_head_dim": 4,
                             "num_experts": 2, "num_experts_per_tok": 1, "vocab_size": 32,
                             "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0})
