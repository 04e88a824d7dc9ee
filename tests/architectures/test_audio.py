"""wav2vec 2.0's base model against transformers, tensor by tensor, random configs."""

from __future__ import annotations

from typing import Any

import pytest
from hf import compare, field_defaults, random_configs_test, transformers
from hypothesis import strategies as st

from nnsize.architectures import count_config, families
from nnsize.errors import SpecError


@st.composite
def config(draw: st.DrawFn, family: str = "wav2vec2") -> dict[str, Any]:
    heads = draw(st.sampled_from([2, 4]))
    h = heads * draw(st.sampled_from([2, 4]))
    n = draw(st.integers(1, 3))
    groups = draw(st.sampled_from([g for g in (1, 2, 4) if h % g == 0]))
    c: dict[str, Any] = {
        "model_type": family,
        "architectures": ["Wav2Vec2Model" if family == "wav2vec2" else "HubertModel"],
        "hidden_size": h,
        "num_attention_heads": heads, "num_hidden_layers": draw(st.integers(1, 2)),
        "intermediate_size": draw(st.integers(4, 12)),
        "conv_dim": draw(st.lists(st.integers(2, 8), min_size=n, max_size=n)),
        "conv_kernel": draw(st.lists(st.integers(2, 5), min_size=n, max_size=n)),
        "conv_stride": draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)),
        "conv_bias": draw(st.booleans()),
        "feat_extract_norm": draw(st.sampled_from(["group", "layer"])),
        "num_conv_pos_embeddings": draw(st.integers(2, 6)),
        "num_conv_pos_embedding_groups": groups,
        "mask_time_prob": draw(st.sampled_from([0.0, 0.05])),
        "do_stable_layer_norm": draw(st.booleans()),
    }
    if family == "hubert":
        c["feat_proj_layer_norm"] = draw(st.booleans())
    return c


test_random_configs_match_transformers = random_configs_test(["hubert", "wav2vec2"], config, 8)


@pytest.mark.parametrize("family", ["hubert", "wav2vec2"])
def test_defaults_are_transformers_own(family: str) -> None:
    cls = transformers.CONFIG_MAPPING[family]
    theirs = field_defaults(cls)
    for key, value in families()[family].defaults.items():
        assert (list(theirs[key]) if isinstance(theirs[key], tuple) else theirs[key]) == value


def test_wav2vec2_base() -> None:
    # facebook/wav2vec2-base (https://huggingface.co/facebook/wav2vec2-base/blob/main/config.json):
    # the paper (arXiv 2006.11477) says BASE has 95M parameters, its quantizer for pre-training
    # included; the base model transformers builds has 94.4M
    config = {"model_type": "wav2vec2", "architectures": ["Wav2Vec2Model"], "hidden_size": 768,
              "num_hidden_layers": 12, "num_attention_heads": 12, "intermediate_size": 3072}
    total = count_config(config).total_params
    assert round(total, -5) == 94_400_000
    compare(config)


def test_an_adapter_is_refused() -> None:
    with pytest.raises(SpecError, match="add_adapter"):
        count_config({"model_type": "wav2vec2", "hidden_size": 8, "num_hidden_layers": 1,
                      "num_attention_heads": 2, "intermediate_size": 4, "add_adapter": True})
