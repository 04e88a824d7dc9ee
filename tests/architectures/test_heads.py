"""Task heads on the native families, each class against the one transformers builds; a
'...Model' class is counted as the base model only when it is the base model."""

from __future__ import annotations

from typing import Any

import pytest
from hf import compare
from hypothesis import given, settings
from hypothesis import strategies as st
from test_decoder import FAMILIES as DECODERS
from test_decoder import decoder_config
from test_families import config as other_config

from nnsize.architectures import count_config, families

# the families issue 14 added have their heads tested in test_heads_more.py (and every class of
# every family, once, in test_classes.py)
CASES = sorted((f, suffix) for f in [*DECODERS, "gpt2", "gpt_neox", "gptj", "opt", "bloom",
                                     "falcon", "bert", "roberta", "distilbert", "t5"]
               for suffix in families()[f].heads)


def class_name(family: str, suffix: str) -> str:
    """The class transformers names: the family's prefix ('Llama') and the head's suffix."""
    return f"{families()[family].class_prefix}{suffix}"


def head_config(draw: st.DrawFn, family: str, suffix: str) -> dict[str, Any]:
    strategy = decoder_config(family) if family in DECODERS else other_config(family)
    c = draw(strategy)
    c["architectures"] = [class_name(family, suffix)]
    labels = 2 if (family, suffix) == ("distilbert", "ForQuestionAnswering") else \
        draw(st.integers(1, 5))
    draw_labels(draw, c, labels)
    return c


def draw_labels(draw: st.DrawFn, c: dict[str, Any], labels: int) -> None:
    """Give config c its labels either way transformers reads them."""
    if draw(st.booleans()):  # as save_pretrained writes it: id2label, no num_labels
        c["id2label"] = {str(i): f"L{i}" for i in range(labels)}
    else:
        c["num_labels"] = labels


@pytest.mark.parametrize(("family", "suffix"), CASES)
@settings(max_examples=3, deadline=None)
@given(data=st.data())
def test_task_heads_match_transformers(family: str, suffix: str, data: st.DataObject) -> None:
    report = compare(data.draw(st.composite(lambda d: head_config(d, family, suffix))()),
                     fallback=False)
    assert "stored" not in report.to_dict() or "counted_with" not in report.stored


def test_labels_come_from_id2label() -> None:
    # BERT-base for 3 labels: the classifier is 3 x 768 + 3 = 2,307 over BertModel's 109,482,240
    config = {"model_type": "bert", "architectures": ["BertForSequenceClassification"],
              "hidden_size": 768, "num_hidden_layers": 12, "num_attention_heads": 12,
              "intermediate_size": 3072, "id2label": {"0": "neg", "1": "neu", "2": "pos"}}
    assert count_config(config).total_params == 109_482_240 + 2_307


def test_model_classes_that_are_not_the_base_model() -> None:
    # T5EncoderModel (t5-small): the shared embedding 32,128 x 512 and the encoder alone
    t5 = {"model_type": "t5", "architectures": ["T5EncoderModel"], "d_model": 512, "d_ff": 2048,
          "num_layers": 6, "num_heads": 8, "vocab_size": 32128}
    encoder = count_config(t5)
    assert encoder.total_params == 35_330_816
    assert count_config({**t5, "architectures": ["T5Model"]}).total_params == 60_506_624
    # GPT2DoubleHeadsModel: GPT-2 small, its tied LM head, and a 1 x 768 + 1 choice score
    gpt2 = {"model_type": "gpt2", "architectures": ["GPT2DoubleHeadsModel"], "n_embd": 768,
            "n_layer": 12, "n_head": 12}
    assert count_config(gpt2).total_params == 124_439_808 + 769


def test_t5_task_heads() -> None:
    # t5-small (60,506,624 as T5Model, 35,330,816 its encoder alone), 3 labels, d_model 512
    t5 = {"model_type": "t5", "d_model": 512, "d_ff": 2048, "num_layers": 6, "num_heads": 8,
          "vocab_size": 32128, "num_labels": 3}
    heads = {"T5ForSequenceClassification": 60_506_624 + 512 * 512 + 512 + 3 * 512 + 3,
             "T5ForTokenClassification": 35_330_816 + 3 * 512 + 3,
             "T5ForQuestionAnswering": 60_506_624 + 3 * 512 + 3}
    for arch, expected in heads.items():
        report = compare({**t5, "architectures": [arch]})
        assert report.total_params == expected, arch
        assert "counted_with" not in report.stored  # natively, not by transformers
