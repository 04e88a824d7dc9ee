"""Gemma 3n's language model (gemma3n_text) against transformers, tensor by tensor: random
configs, transformers' default config as save_pretrained writes it, and the planner's KV cache
(the layers that share keys and values cache none) against transformers' cache."""

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
        "intermediate_size": draw(st.one_of(
            st.integers(2, 12), st.lists(st.integers(2, 12), min_size=layers,
                                         max_size=layers))),
        "tie_word_embeddings": draw(st.booleans()), "sliding_window": 4,
        "vocab_size_per_layer_input": draw(st.integers(4, 20)),
        "hidden_size_per_layer_input": draw(st.integers(1, 4)),
        "altup_num_inputs": draw(st.integers(1, 4)), "laurel_rank": draw(st.integers(1, 4)),
        "num_kv_shared_layers": draw(st.integers(0, layers)), **TOKENS}
    types = ["full_attention" if (i + 1) % 5 == 0 else "sliding_attention" for i in range(layers)]
    if draw(st.booleans()):
        types = draw(st.lists(st.sampled_from(["full_attention", "sliding_attention"]),
                              min_size=layers, max_size=layers))
        c["layer_types"] = types
    first = layers - c["num_kv_shared_layers"]
    assume(not c["num_kv_shared_layers"] or set(types[:first]) == set(types))
    if draw(st.booleans()):
        c["architectures"] = [lm_class(family)]
    return c


test_random_configs_match_transformers = random_configs_test(["gemma3n_text"], config, 15)


def test_defaults_are_transformers_own() -> None:
    assert_defaults_are_transformers_own("gemma3n_text")


def test_saved_default_config() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING["gemma3n_text"]()
        with torch.device("meta"):
            model = transformers.AutoModel.from_config(cfg)
    data = json.loads(cfg.to_json_string())
    assert count_config(data, base=True).total_params == sum(p.numel() for p in model.parameters())
    assert base_class("gemma3n_text") == type(model).__name__


def test_per_layer_lists_are_checked() -> None:
    # transformers refuses a list that does not give each layer its value
    for key in ("intermediate_size", "activation_sparsity_pattern"):
        with pytest.raises(SpecError, match=key):
            count_config({"model_type": "gemma3n_text", "num_hidden_layers": 4, key: [8, 8]})


def test_shared_layers_need_a_producer() -> None:
    # the last 2 layers share keys and values; no earlier full-attention layer makes them
    with pytest.raises(SpecError, match="num_kv_shared_layers"):
        count_config({"model_type": "gemma3n_text", "num_hidden_layers": 4,
                      "num_kv_shared_layers": 2,
                      "layer_types": ["sliding_attention"] * 3 + ["full_attention"]})


@pytest.mark.parametrize("shared", [0, 2])
def test_the_cache_transformers_keeps(shared: int) -> None:
    # batch 3 x 13 tokens, windows of 4 on the sliding layers; the shared layers cache nothing
    assert_cache_is_planned({"model_type": "gemma3n_text", "hidden_size": 8,
                             "num_hidden_layers": 5, "num_attention_heads": 2,
                             "num_key_value_heads": 1, "head_dim": 4, "intermediate_size": 8,
                             "vocab_size": 32, "vocab_size_per_layer_input": 32,
                             "hidden_size_per_layer_input": 2, "sliding_window": 4,
                             "layer_types": ["sliding_attention", "full_attention"] * 2 +
                             ["sliding_attention"], "num_kv_shared_layers": shared, **TOKENS})


def test_shared_layers_attend_but_cache_nothing() -> None:
    # 5 layers, the last 2 reading earlier keys and values: 3 cache, all 5 attend
    from nnsize.memory.compute import compute

    base = {"model_type": "gemma3n_text", "hidden_size": 8, "num_hidden_layers": 5,
            "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 4,
            "layer_types": ["full_attention"] * 5, "vocab_size": 32,
            "vocab_size_per_layer_input": 32, "hidden_size_per_layer_input": 2}
    import nnsize

    shared = nnsize.count({**base, "num_kv_shared_layers": 2})
    alone = nnsize.count({**base, "num_kv_shared_layers": 0})
    # attention over 16 tokens, causal: 16 x 17 / 2 keys x 5 layers x 2 heads x (4 + 4)
    assert compute(shared, 16).attention_macs_prefill == \
        compute(alone, 16).attention_macs_prefill == 16 * 17 // 2 * 5 * 2 * 8
    from nnsize.memory import kv_cache
    from nnsize.precision import find

    # 3 of 5 layers x 16 tokens x 1 kv head x (4 + 4) values x 4 bytes
    assert kv_cache(shared, 1, 16, find("fp32"))[0] == 3 * 16 * 8 * 4
