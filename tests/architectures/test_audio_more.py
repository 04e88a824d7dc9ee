"""Wav2Vec2-BERT (audio_more.py) against transformers, tensor by tensor: random configs (the base
model, ForCTC, ForSequenceClassification), transformers' defaults, the published w2v-BERT 2.0."""

from __future__ import annotations

from typing import Any

import pytest
from hf import assert_defaults_are_transformers_own, compare, random_configs_test, transformers
from hypothesis import strategies as st
from published import PUBLISHED

from nnsize.architectures import count_config
from nnsize.errors import SpecError


@st.composite
def config(draw: st.DrawFn, family: str = "wav2vec2-bert") -> dict[str, Any]:
    heads = draw(st.sampled_from([2, 4]))
    h = heads * draw(st.sampled_from([2, 4]))
    adapter = draw(st.booleans())
    arch = draw(st.sampled_from(["Wav2Vec2BertModel", "Wav2Vec2BertForCTC"] +
                                ([] if adapter else ["Wav2Vec2BertForSequenceClassification"])))
    c: dict[str, Any] = {
        "model_type": family, "architectures": [arch], "hidden_size": h,
        "num_attention_heads": heads, "num_hidden_layers": draw(st.integers(1, 2)),
        "intermediate_size": draw(st.integers(4, 12)),
        "feature_projection_input_dim": draw(st.integers(2, 8)),
        "position_embeddings_type": draw(st.sampled_from(["relative", "relative_key", "rotary",
                                                          None])),
        "left_max_position_embeddings": draw(st.integers(0, 4)),
        "right_max_position_embeddings": draw(st.integers(0, 4)),
        "conv_depthwise_kernel_size": draw(st.sampled_from([1, 3, 5])),
        "mask_time_prob": draw(st.sampled_from([0.0, 0.05])),
        "vocab_size": draw(st.integers(4, 20)), "num_labels": draw(st.integers(1, 4)),
        "classifier_proj_size": draw(st.integers(2, 6)),
        "use_weighted_layer_sum": draw(st.booleans()), "add_adapter": adapter,
        "max_source_positions": 16}
    if adapter:
        c.update(output_hidden_size=draw(st.sampled_from([None, heads * 2, h])),
                 num_adapter_layers=draw(st.integers(1, 2)),
                 adapter_kernel_size=draw(st.integers(1, 3)),
                 use_intermediate_ffn_before_adapter=draw(st.booleans()))
    return c


test_random_configs_match_transformers = random_configs_test(["wav2vec2-bert"], config, 12)


def test_defaults_are_transformers_own() -> None:
    assert_defaults_are_transformers_own("wav2vec2-bert")


def test_saved_default_config() -> None:
    # transformers' default config as save_pretrained writes it, every key
    data = transformers.CONFIG_MAPPING["wav2vec2-bert"]().to_dict()
    data.pop("architectures", None)
    assert compare({**data, "model_type": "wav2vec2-bert"}).total_params == 580_493_120


W2V_BERT_2 = PUBLISHED["w2v-bert-2.0"][0]


def test_w2v_bert_2() -> None:
    # model card: "W2v-BERT 2.0 encoder ... with 600M parameters"; transformers builds
    # 580,493,120: a layer is 2 FFNs (2 x (2 x 1,024 x 4,096 + 4,096 + 1,024)), attention
    # (4 x (1,024^2 + 1,024)) + 73 x 64 distances, the convolution module (2,048 x 1,024 +
    # 1,024 x 31 + 1,024^2) and six norms (6 x 2,048)
    layer = 2 * (2 * 1024 * 4096 + 4096 + 1024) + 4 * (1024 * 1024 + 1024) + 73 * 64 + \
        2048 * 1024 + 1024 * 31 + 1024 * 1024 + 6 * 2048
    total = 24 * layer + 2 * 160 + 160 * 1024 + 1024 + 1024  # projection, mask embedding
    assert compare(W2V_BERT_2).total_params == total == 580_493_120
    assert round(total, -8) == 600_000_000


def test_an_unknown_position_kind_is_refused() -> None:
    with pytest.raises(SpecError, match="position_embeddings_type"):
        count_config({**W2V_BERT_2, "position_embeddings_type": "alibi"})


def test_ctc_needs_a_vocabulary() -> None:
    # transformers refuses ForCTC without vocab_size (its default is null)
    with pytest.raises(SpecError, match="vocab_size"):
        count_config({**W2V_BERT_2, "architectures": ["Wav2Vec2BertForCTC"]})


def test_a_sequence_classifier_with_an_adapter_is_refused() -> None:
    # transformers raises on Wav2Vec2BertForSequenceClassification with add_adapter
    with pytest.raises(SpecError, match="add_adapter"):
        count_config({**W2V_BERT_2, "add_adapter": True,
                      "architectures": ["Wav2Vec2BertForSequenceClassification"]})
