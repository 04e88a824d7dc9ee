"""The BERT-shaped encoders of bert_like.py against transformers, tensor by tensor: masked-LM
classes and base models, random configs."""

from __future__ import annotations

from typing import Any

import pytest
from hf import field_defaults, lm_class, random_configs_test, transformers
from hypothesis import strategies as st

from nnsize.architectures import families
from nnsize.architectures.bert_like import LAYOUTS

OWN = ["albert", "deberta-v2", "modernbert", "esm"]  # builders of their own
FAMILIES = sorted(LAYOUTS) + OWN


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    heads = draw(st.sampled_from([2, 4]))
    h = heads * draw(st.sampled_from([2, 4]))
    c: dict[str, Any] = {
        "model_type": family, "hidden_size": h, "num_attention_heads": heads,
        "num_hidden_layers": draw(st.integers(1, 3)), "vocab_size": draw(st.integers(10, 40)),
        "intermediate_size": draw(st.integers(4, 16)),
        "max_position_embeddings": draw(st.integers(4, 20)),
        "tie_word_embeddings": draw(st.booleans()),
        "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0,
    }
    defaults = families()[family].defaults
    if "type_vocab_size" in defaults:
        c["type_vocab_size"] = draw(st.integers(1, 3))
    if "use_task_id" in defaults:
        c.update(use_task_id=draw(st.booleans()), task_type_vocab_size=draw(st.integers(1, 3)))
    if "embedding_size" in defaults:
        c["embedding_size"] = draw(st.sampled_from([h, h // 2, 6]))
    if "relative_attention_num_buckets" in defaults:
        c["relative_attention_num_buckets"] = draw(st.integers(2, 8))
    if family == "albert":
        c.update(num_hidden_groups=draw(st.integers(1, 2)), inner_group_num=draw(st.integers(1, 2)))
    if family == "deberta-v2":
        c.update(relative_attention=draw(st.booleans()), legacy=draw(st.booleans()),
                 position_biased_input=draw(st.booleans()),
                 type_vocab_size=draw(st.integers(0, 2)),
                 pos_att_type=draw(st.sampled_from([None, ["p2c", "c2p"], "c2p", "p2c|c2p"])),
                 share_att_key=draw(st.booleans()),
                 position_buckets=draw(st.sampled_from([-1, 4])),
                 max_relative_positions=draw(st.sampled_from([-1, 3])),
                 norm_rel_ebd=draw(st.sampled_from(["none", "layer_norm"])),
                 conv_kernel_size=draw(st.sampled_from([0, 3])))
    if family == "modernbert":
        c.update({k: draw(st.booleans()) for k in ("norm_bias", "attention_bias", "mlp_bias",
                                                    "decoder_bias", "classifier_bias")})
        c.update(global_attn_every_n_layers=1, local_attention=4)
    if family == "esm":
        c.update(position_embedding_type=draw(st.sampled_from(["absolute", "rotary"])),
                 emb_layer_norm_before=draw(st.sampled_from([None, False, True])))
    if draw(st.booleans()):  # the masked-LM class; without one, the base model
        c["architectures"] = [lm_class(family)]
    return c


test_random_configs_match_transformers = random_configs_test(FAMILIES, config, 6)


@pytest.mark.parametrize("family", FAMILIES)
def test_defaults_are_transformers_own(family: str) -> None:
    cls = transformers.CONFIG_MAPPING[family]
    theirs = field_defaults(cls)
    for key, value in families()[family].defaults.items():
        if key in GETATTR.get(family, ()):  # not a field: the modeling code's fallback
            assert key not in theirs, key
        else:
            assert theirs[key] == value, key


GETATTR = {"deberta-v2": ("position_buckets", "share_att_key", "norm_rel_ebd",
                          "conv_kernel_size", "conv_groups")}
