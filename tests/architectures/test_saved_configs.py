"""Configs as transformers' save_pretrained writes them (its config class, to_json_string: only
what differs from the defaults, under the class's own key names) are counted as transformers
builds them, for every family: the names a config class maps (attribute_map) included."""

from __future__ import annotations

import json
import warnings
from typing import Any

import pytest
from hf import compare, transformers
from hypothesis import given, settings
from hypothesis import strategies as st
from test_bert_like import config as encoder_config
from test_decoder import FAMILIES as DECODERS
from test_decoder import decoder_config
from test_families import FAMILIES as OTHERS
from test_families import config as other_config
from test_traits import config as traits_config

from nnsize.architectures import count_config


def saved(config: dict[str, Any], diff: bool) -> dict[str, Any]:
    """The config.json save_pretrained writes for config."""
    data = dict(config)
    model_type, archs = data.pop("model_type"), data.pop("architectures", None)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        cfg = transformers.CONFIG_MAPPING[model_type](**data)
    if archs:
        cfg.architectures = archs
    out: dict[str, Any] = json.loads(cfg.to_json_string(use_diff=diff))
    out["model_type"] = model_type
    return out


@pytest.mark.parametrize("family", DECODERS + OTHERS)
@settings(max_examples=4, deadline=None)
@given(data=st.data(), diff=st.booleans())
def test_saved_configs_match_transformers(family: str, data: st.DataObject, diff: bool) -> None:
    strategy = decoder_config(family) if family in DECODERS else other_config(family)
    compare(saved(data.draw(strategy), diff))


# issue 20's traits families, and Mellum, whose num_experts is saved as num_local_experts
TRAITS_ADDED = ["diffllama", "jais2", "minicpm3", "nanochat", "flex_olmo", "hy_v3", "mistral4",
                "sarvam_moe", "param2moe", "sarvam_mla", "ernie4_5_moe", "persimmon",
                "qwen2_vl_text", "qwen2_5_vl_text", "deepseek_v32", "qwen3_vl_text",
                "qwen3_vl_moe_text", "mellum", "glm_moe_dsa"]


@pytest.mark.parametrize("family", TRAITS_ADDED)
@settings(max_examples=4, deadline=None)
@given(data=st.data(), diff=st.booleans())
def test_saved_traits_configs_match_transformers(family: str, data: st.DataObject,
                                                 diff: bool) -> None:
    compare(saved(data.draw(traits_config(family)), diff))


@pytest.mark.parametrize("family", ["ibert", "layoutlm", "esm"])
@settings(max_examples=4, deadline=None)
@given(data=st.data(), diff=st.booleans())
def test_saved_encoder_configs_match_transformers(family: str, data: st.DataObject,
                                                  diff: bool) -> None:
    compare(saved(data.draw(encoder_config(family)), diff))


def test_qwen3_moe_reads_num_local_experts() -> None:
    # Qwen3-Coder-480B-A35B as transformers 5 saves it: num_local_experts, not num_experts.
    # Before, nnsize took the default of 128 experts: 386,525,820,416 parameters.
    config = {"model_type": "qwen3_moe", "architectures": ["Qwen3MoeForCausalLM"],
              "hidden_size": 6144, "intermediate_size": 8192, "moe_intermediate_size": 2560,
              "num_hidden_layers": 62, "num_attention_heads": 96, "num_key_value_heads": 8,
              "head_dim": 128, "vocab_size": 151936, "num_local_experts": 160,
              "num_experts_per_tok": 8, "tie_word_embeddings": False}
    # per layer: q 6,144 x 12,288 and o back, k and v 6,144 x 1,024 each, q/k norms 2 x 128,
    # router 160 x 6,144, experts 160 x 3 x 2,560 x 6,144, two norms 2 x 6,144
    per_layer = 2 * 6144 * 12288 + 2 * 6144 * 1024 + 256 + 160 * 6144 \
        + 160 * 3 * 2560 * 6144 + 2 * 6144
    total = 2 * 151936 * 6144 + 62 * per_layer + 6144
    assert count_config(config).total_params == total == 480_154_875_392


def test_a_run_of_one_layer_names_its_index() -> None:
    # in the JSON, '{i}' stands only for a run of several layers (with first_index and copies)
    config = {"model_type": "llama", "hidden_size": 8, "intermediate_size": 8,
              "num_hidden_layers": 1, "num_attention_heads": 2, "vocab_size": 16}
    names = [t["name"] for row in count_config(config).to_dict()["layers"]
             for t in row["tensors"]]
    assert "layers.0.self_attn.q_proj.weight" in names
    assert not any("{i}" in n for n in names)
