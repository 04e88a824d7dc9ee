"""Qwen2-VL and Qwen2.5-VL against transformers, tensor by tensor: the vision transformer and
its merger, the language model, the head; text keys at the top level (as published) or under
text_config; random configs."""

from __future__ import annotations

from typing import Any

import pytest
from hf import field_defaults, random_configs_test, transformers
from hypothesis import strategies as st

from nnsize.architectures.qwen_vl import TEXT, VISION

CLASSES = {"qwen2_vl": "Qwen2VLForConditionalGeneration",
           "qwen2_5_vl": "Qwen2_5_VLForConditionalGeneration"}


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    th = draw(st.sampled_from([8, 16]))
    text = {"hidden_size": th, "num_attention_heads": 2, "num_key_value_heads": 1,
            "num_hidden_layers": draw(st.integers(1, 2)),
            "intermediate_size": draw(st.integers(4, 8)), "vocab_size": draw(st.integers(10, 40)),
            "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
    heads = 2
    e = heads * draw(st.sampled_from([2, 4]))
    vision: dict[str, Any] = {"depth": draw(st.integers(1, 2)), "num_heads": heads,
                              "patch_size": 2, "temporal_patch_size": 2, "spatial_merge_size": 2,
                              "in_channels": 3}
    if family == "qwen2_vl":
        vision.update(embed_dim=e, hidden_size=th, mlp_ratio=draw(st.sampled_from([1, 2])))
    else:
        vision.update(hidden_size=e, out_hidden_size=th, intermediate_size=draw(st.integers(4, 8)),
                      fullatt_block_indexes=[0])
    c: dict[str, Any] = {"model_type": family, "vision_config": vision,
                         "tie_word_embeddings": draw(st.booleans())}
    if draw(st.booleans()):
        c["text_config"] = text
    else:  # as the published configs are: the language model's keys at the top level
        c.update(text)
    if draw(st.booleans()):
        c["architectures"] = [CLASSES[family]]
    return c


test_random_configs_match_transformers = random_configs_test(sorted(CLASSES), config, 6)


@pytest.mark.parametrize("family", sorted(CLASSES))
def test_sub_config_defaults_are_transformers_own(family: str) -> None:
    sub = transformers.CONFIG_MAPPING[family].sub_configs
    text = field_defaults(sub["text_config"])
    vision = field_defaults(sub["vision_config"])
    assert all(text[k] == v for k, v in TEXT.items())
    # the rest of the language model's defaults are Qwen2's, but for what TEXT overrides
    from nnsize.architectures.decoder import DEFAULTS

    assert all(text[k] == v for k, v in DEFAULTS["qwen2"].items() if k not in TEXT and k in text)
    assert all(vision[k] == v for k, v in VISION[family].items())
