"""The encoder-decoders of seq2seq.py and whisper.py against transformers, tensor by tensor:
the generation classes and base models, random configs."""

from __future__ import annotations

import warnings
from typing import Any

import pytest
from hf import field_defaults, random_configs_test, transformers
from hypothesis import strategies as st

from nnsize.architectures import families
from nnsize.architectures.seq2seq import LAYOUTS

FAMILIES = sorted(LAYOUTS) + ["whisper"]
CLASSES = {"marian": "MarianMTModel"}


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    heads = draw(st.sampled_from([2, 4]))
    d = heads * draw(st.sampled_from([2, 4]))
    c: dict[str, Any] = {
        "model_type": family, "d_model": d, "encoder_attention_heads": heads,
        "decoder_attention_heads": heads, "encoder_layers": draw(st.integers(1, 2)),
        "decoder_layers": draw(st.integers(1, 2)), "encoder_ffn_dim": draw(st.integers(4, 16)),
        "decoder_ffn_dim": draw(st.integers(4, 16)), "vocab_size": draw(st.integers(10, 40)),
        "tie_word_embeddings": draw(st.booleans()),
        "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0, "decoder_start_token_id": 0,
    }
    if family == "whisper":
        c.update(num_mel_bins=draw(st.integers(2, 6)),
                 max_source_positions=draw(st.integers(2, 12)),
                 max_target_positions=draw(st.integers(2, 12)))
    else:
        c["max_position_embeddings"] = draw(st.sampled_from([12, 20]))
    if family == "marian":
        c["share_encoder_decoder_embeddings"] = draw(st.booleans())
        if draw(st.booleans()):
            c["decoder_vocab_size"] = draw(st.integers(10, 40))
    if draw(st.booleans()):  # the generation class; without one, the base model
        c["architectures"] = [CLASSES.get(family, transformers.CONFIG_MAPPING[family].__name__
                                          .replace("Config", "ForConditionalGeneration"))]
    return c


test_random_configs_match_transformers = random_configs_test(FAMILIES, config, 6)


@pytest.mark.parametrize("family", FAMILIES)
def test_defaults_and_aliases_are_transformers_own(family: str) -> None:
    cls = transformers.CONFIG_MAPPING[family]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        labels = cls().num_labels  # not a field: BartConfig sets 3 in __post_init__
    theirs = {**field_defaults(cls), "num_labels": labels}
    found = families()[family]
    for key, value in found.defaults.items():
        assert theirs[key] == value, key
    assert found.aliases == dict(cls.attribute_map)
