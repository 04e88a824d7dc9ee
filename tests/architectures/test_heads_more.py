"""Task heads of the families issue 14 added (BERT-shaped encoders, ViT, DINOv2, CLIP, SigLIP,
wav2vec 2.0, HuBERT, Whisper, the BART-shaped encoder-decoders), each class against the one
transformers builds on the meta device, tensor by tensor, with random configs."""

from __future__ import annotations

from typing import Any

import pytest
from hf import compare
from hypothesis import given, settings
from hypothesis import strategies as st
from test_audio import config as audio_config
from test_bert_like import config as encoder_config
from test_heads import class_name, draw_labels
from test_seq2seq import FAMILIES as SEQ2SEQ
from test_seq2seq import config as seq2seq_config
from test_vision import config as vision_config

from nnsize.architectures import count_config, families
from nnsize.architectures.bert_like import CLASSES as BERT_LIKE

ENCODERS_MORE = [*BERT_LIKE, "albert", "deberta-v2", "modernbert"]
NEW = [*ENCODERS_MORE, "vit", "dinov2", "clip", "siglip", "wav2vec2", "hubert", *SEQ2SEQ]
CASES = sorted((f, suffix) for f in NEW for suffix in families()[f].heads)


@st.composite
def head_config(draw: st.DrawFn, family: str, suffix: str) -> dict[str, Any]:
    if family in ENCODERS_MORE:
        c = draw(encoder_config(family))
    elif family in ("vit", "dinov2", "clip", "siglip"):
        c = draw(vision_config(family))
    elif family in ("wav2vec2", "hubert"):
        c = draw(audio_config(family))
        c.update(vocab_size=draw(st.integers(4, 40)), classifier_proj_size=draw(st.integers(2, 8)),
                 use_weighted_layer_sum=draw(st.booleans()))
    else:
        c = draw(seq2seq_config(family))
        if family == "whisper":
            c.update(classifier_proj_size=draw(st.integers(2, 8)),
                     use_weighted_layer_sum=draw(st.booleans()))
    if family == "deberta-v2" and draw(st.booleans()):
        c["pooler_hidden_size"] = c["hidden_size"]  # transformers' classifier reads it as well
    c["architectures"] = [class_name(family, suffix)]
    draw_labels(draw, c, draw(st.integers(1, 5)))
    return c


@pytest.mark.parametrize(("family", "suffix"), CASES)
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_task_heads_match_transformers(family: str, suffix: str, data: st.DataObject) -> None:
    compare(data.draw(head_config(family, suffix)), fallback=False)


def test_hand_counts() -> None:
    # xlm-roberta-base for 3 labels: a dense 768 x 768 + 768 and out_proj 3 x 768 + 3 on top of
    # XLMRobertaModel without its pooler: 278,043,648 - (768 x 768 + 768) = 277,453,056
    xlmr = {"model_type": "xlm-roberta", "architectures": ["XLMRobertaForSequenceClassification"],
            "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
            "intermediate_size": 3072, "vocab_size": 250002, "max_position_embeddings": 514,
            "type_vocab_size": 1, "num_labels": 3}
    assert count_config(xlmr).total_params == 277_453_056 + 590_592 + 2_307
    # wav2vec2-base ForCTC, 32 letters: the base 94,371,712 + lm_head 32 x 768 + 32 = 24,608
    w2v = {"model_type": "wav2vec2", "architectures": ["Wav2Vec2ForCTC"], "vocab_size": 32,
           "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
           "intermediate_size": 3072}
    base = count_config({**w2v, "architectures": ["Wav2Vec2Model"]}).total_params
    assert count_config(w2v).total_params == base + 24_608
