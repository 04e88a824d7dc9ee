"""LFM2 and LFM2-MoE against transformers, tensor by tensor: random configs, transformers'
default config as save_pretrained writes it, and the planner's view (a KV cache for the
attention layers, each conv layer's window)."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from hf import (
    assert_cache_is_planned,
    assert_defaults_are_transformers_own,
    compare,
    lm_class,
    random_configs_test,
    torch,
    transformers,
)
from hypothesis import strategies as st

import nnsize
from nnsize.architectures import base_class, count_config
from nnsize.errors import SpecError

FAMILIES = ["lfm2", "lfm2_moe"]


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    h = draw(st.sampled_from([8, 16]))
    heads = draw(st.sampled_from([1, 2]))
    layers = draw(st.integers(1, 4))
    c: dict[str, Any] = {
        "model_type": family, "hidden_size": h, "vocab_size": draw(st.integers(10, 40)),
        "num_hidden_layers": layers, "num_attention_heads": heads,
        "num_key_value_heads": draw(st.sampled_from([1, heads])),
        "intermediate_size": draw(st.integers(2, 40)), "conv_bias": draw(st.booleans()),
        "conv_L_cache": draw(st.integers(2, 4)), "tie_word_embeddings": draw(st.booleans()),
        "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
    types = draw(st.lists(st.sampled_from(["full_attention", "conv"]), min_size=layers,
                          max_size=layers))
    if family == "lfm2":
        how = draw(st.sampled_from(["types", "indices", "none"]))
        if how == "types":
            c["layer_types"] = types
        elif how == "indices":
            c["full_attn_idxs"] = [i for i, x in enumerate(types) if x == "full_attention"]
        c.update(block_auto_adjust_ff_dim=draw(st.booleans()),
                 block_ffn_dim_multiplier=draw(st.sampled_from([1, 1.0, 1.5])),
                 block_multiple_of=draw(st.sampled_from([1, 4, 8])))
    else:
        c.update(layer_types=types, num_dense_layers=draw(st.integers(0, 3)),
                 num_experts=draw(st.integers(1, 4)), num_experts_per_tok=1,
                 moe_intermediate_size=draw(st.integers(1, 6)),
                 use_expert_bias=draw(st.booleans()))
    if draw(st.booleans()):
        c["architectures"] = [lm_class(family)]
    return c


test_random_configs_match_transformers = random_configs_test(FAMILIES, config, 10)


@pytest.mark.parametrize("family", FAMILIES)
def test_defaults_are_transformers_own(family: str) -> None:
    assert_defaults_are_transformers_own(family)


def test_saved_default_config() -> None:
    # LFM2's default config as save_pretrained writes it (lfm2_moe's has no layer_types, which
    # transformers cannot build: it is refused below)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING["lfm2"]()
        with torch.device("meta"):
            model = transformers.AutoModel.from_config(cfg)
    data = json.loads(cfg.to_json_string())
    assert count_config(data, base=True).total_params == sum(p.numel() for p in model.parameters())
    assert base_class("lfm2") == type(model).__name__
    assert base_class("lfm2_moe") == "Lfm2MoeModel"


def test_legacy_keys_win() -> None:
    # Lfm2Config reads block_ff_dim and tie_embedding over the newer names
    compare({"model_type": "lfm2", "hidden_size": 8, "num_hidden_layers": 2,
             "num_attention_heads": 2, "vocab_size": 16, "intermediate_size": 12,
             "block_ff_dim": 24, "tie_word_embeddings": True, "tie_embedding": False,
             "full_attn_idxs": [1], "architectures": ["Lfm2ForCausalLM"], "pad_token_id": 0,
             "bos_token_id": 0, "eos_token_id": 0})


def test_the_conv_window_is_the_state() -> None:
    # 3 conv layers of hidden 16, window 3: 3 x 16 x 3 = 144 values a sequence; one cached layer
    report = nnsize.count({"model_type": "lfm2", "hidden_size": 16, "num_hidden_layers": 4,
                           "num_attention_heads": 2, "vocab_size": 32, "full_attn_idxs": [2]})
    d = report.decoder
    assert d is not None and d.state_values == 144 and len(d.layers) == 1


@pytest.mark.parametrize(("family", "change", "needle"), [
    ("lfm2_moe", {}, "layer_types"),
    ("lfm2", {"layer_types": ["conv", "sliding_attention"]}, "layer_types"),
    ("lfm2", {"layer_types": ["conv"]}, "num_hidden_layers"),
])
def test_structural_keys_are_refused_by_name(family: str, change: dict[str, Any],
                                            needle: str) -> None:
    with pytest.raises(SpecError, match=needle):
        count_config({"model_type": family, "hidden_size": 16, "num_hidden_layers": 2,
                      "num_attention_heads": 2, **change})


@pytest.mark.parametrize("family", FAMILIES)
def test_the_planner_commands(family: str, tmp_path: Any) -> None:
    from nnsize.cli import main

    path = tmp_path / "config.json"
    path.write_text(json.dumps({"model_type": family, "hidden_size": 64,
                                "num_attention_heads": 4, "num_hidden_layers": 4,
                                "vocab_size": 100, "layer_types": ["conv", "full_attention"] * 2}))
    assert main(["memory", str(path)]) == 0
    assert main(["fit", str(path), "--gpu", "24GiB"]) == 0
    assert main(["memory", str(path), "--train"]) == 2


def test_the_cache_transformers_keeps() -> None:
    # batch 3 x 13 tokens: the attention layer's keys and values, each conv layer's window
    assert_cache_is_planned({"model_type": "lfm2", "hidden_size": 16, "num_attention_heads": 2,
                             "num_key_value_heads": 1, "num_hidden_layers": 3,
                             "layer_types": ["conv", "full_attention", "conv"],
                             "intermediate_size": 8, "vocab_size": 32, "pad_token_id": 0,
                             "bos_token_id": 0, "eos_token_id": 0})
