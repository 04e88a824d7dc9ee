"""Gemma 4's language model (gemma4_text) against transformers, tensor by tensor: random
configs (per-layer head sizes, shared keys and values, experts), transformers' default config as
save_pretrained writes it, and the planner's KV cache against transformers' cache."""

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
from hypothesis import assume
from hypothesis import strategies as st

from nnsize.architectures import base_class, count_config
from nnsize.errors import SpecError

TOKENS = {"pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    heads = draw(st.sampled_from([1, 2]))
    layers = draw(st.integers(1, 6))
    c: dict[str, Any] = {
        "model_type": family, "hidden_size": 8, "vocab_size": draw(st.integers(10, 40)),
        "num_hidden_layers": layers, "num_attention_heads": heads,
        "num_key_value_heads": draw(st.sampled_from([1, heads])),
        "head_dim": draw(st.sampled_from([2, 4])), "attention_bias": draw(st.booleans()),
        "intermediate_size": draw(st.integers(2, 12)),
        "tie_word_embeddings": draw(st.booleans()), "sliding_window": 4,
        "vocab_size_per_layer_input": draw(st.integers(4, 20)),
        "hidden_size_per_layer_input": draw(st.integers(0, 4)),
        "attention_k_eq_v": draw(st.booleans()),
        "use_double_wide_mlp": draw(st.booleans()),
        "num_kv_shared_layers": draw(st.integers(0, layers)),
        "global_head_dim": draw(st.sampled_from([2, 6])),
        "num_global_key_value_heads": draw(st.sampled_from([None, 1])), **TOKENS}
    types = ["full_attention" if (i + 1) % 6 == 0 else "sliding_attention" for i in range(layers)]
    if draw(st.booleans()):
        types = draw(st.lists(st.sampled_from(["full_attention", "sliding_attention"]),
                              min_size=layers, max_size=layers))
        c["layer_types"] = types
    types = types[:-1] + ["full_attention"]
    shared = c["num_kv_shared_layers"]
    assume(shared in (0, layers) or set(types[:layers - shared]) == set(types))
    if draw(st.booleans()):
        c.update(enable_moe_block=True, num_experts=draw(st.integers(1, 4)), top_k_experts=1,
                 moe_intermediate_size=draw(st.integers(1, 6)))
    if draw(st.booleans()):
        c["architectures"] = [lm_class(family)]
    return c


test_random_configs_match_transformers = random_configs_test(["gemma4_text"], config, 20)


def test_defaults_are_transformers_own() -> None:
    assert_defaults_are_transformers_own("gemma4_text")


def test_saved_default_config() -> None:
    # as save_pretrained writes it: the full-attention layers' sizes in per_layer_config
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING["gemma4_text"](num_global_key_value_heads=2,
                                                         attention_k_eq_v=True)
        with torch.device("meta"):
            model = transformers.AutoModel.from_config(cfg)
    data = json.loads(cfg.to_json_string())
    assert "per_layer_config" in data
    assert count_config(data, base=True).total_params == sum(p.numel() for p in model.parameters())
    assert base_class("gemma4_text") == type(model).__name__


def test_per_layer_config_is_checked() -> None:
    with pytest.raises(SpecError, match="per_layer_config"):
        count_config({"model_type": "gemma4_text", "num_hidden_layers": 2,
                      "per_layer_config": {"1": {"intermediate_size": 8}}})


@pytest.mark.parametrize(("shared", "k_eq_v"), [(0, False), (2, True)])
def test_the_cache_transformers_keeps(shared: int, k_eq_v: bool) -> None:
    # batch 3 x 13 tokens, windows of 4 on the sliding layers, the full ones 6 wide heads
    assert_cache_is_planned({"model_type": "gemma4_text", "hidden_size": 8,
                             "num_hidden_layers": 5, "num_attention_heads": 2,
                             "num_key_value_heads": 1, "head_dim": 4, "global_head_dim": 6,
                             "num_global_key_value_heads": 2, "attention_k_eq_v": k_eq_v,
                             "intermediate_size": 8, "vocab_size": 32,
                             "vocab_size_per_layer_input": 32, "hidden_size_per_layer_input": 2,
                             "sliding_window": 4, "num_kv_shared_layers": shared,
                             "layer_types": ["sliding_attention", "full_attention"] * 2 +
                             ["full_attention"], **TOKENS})
