"""The non-Llama families against transformers: GPT-2, GPT-NeoX, GPT-J, OPT, BLOOM, Falcon,
BERT, RoBERTa, DistilBERT, T5; language-model heads and base models."""

from __future__ import annotations

from typing import Any

import pytest
from hf import compare, lm_class
from hypothesis import given, settings
from hypothesis import strategies as st

IDS = {"pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    heads = draw(st.sampled_from([2, 4]))
    h = heads * draw(st.sampled_from([2, 4]))
    layers, vocab, inter = draw(st.integers(1, 3)), draw(st.integers(10, 40)), \
        draw(st.integers(4, 16))
    tie = draw(st.booleans())
    if family in ("gpt2", "gpt-sw3", "gptj"):
        c = {"n_embd": h, "n_layer": layers, "n_head": heads, "vocab_size": vocab,
             "n_positions": draw(st.integers(4, 32)), "tie_word_embeddings": tie,
             "n_inner": draw(st.sampled_from([None, inter]))}
        if family == "gptj":
            c["rotary_dim"] = 2
    elif family == "opt":
        c = {"hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": heads,
             "vocab_size": vocab, "ffn_dim": inter, "max_position_embeddings": 16,
             "word_embed_proj_dim": draw(st.sampled_from([h, h // 2])),
             "enable_bias": draw(st.booleans()), "tie_word_embeddings": tie,
             "do_layer_norm_before": draw(st.booleans()),
             "layer_norm_elementwise_affine": draw(st.booleans())}
    elif family == "bloom":
        c = {"hidden_size": h, "n_layer": layers, "n_head": heads, "vocab_size": vocab,
             "tie_word_embeddings": tie}
    elif family == "falcon":
        new = draw(st.booleans())
        c = {"hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": heads,
             "vocab_size": vocab, "new_decoder_architecture": new,
             "multi_query": draw(st.booleans()), "parallel_attn": draw(st.booleans()) or new,
             "bias": draw(st.booleans()), "tie_word_embeddings": tie,
             "ffn_hidden_size": draw(st.sampled_from([None, inter]))}
        if new:
            c["num_kv_heads"] = draw(st.sampled_from([1, heads]))
            c["num_ln_in_parallel_attn"] = draw(st.sampled_from([None, 1, 2]))
    elif family == "gpt_neox":
        c = {"hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": heads,
             "vocab_size": vocab, "intermediate_size": inter, "tie_word_embeddings": tie,
             "attention_bias": draw(st.booleans())}
    elif family in ("bert", "roberta"):
        c = {"hidden_size": h, "num_hidden_layers": layers, "num_attention_heads": heads,
             "vocab_size": vocab, "intermediate_size": inter, "tie_word_embeddings": tie,
             "max_position_embeddings": draw(st.integers(4, 20)),
             "type_vocab_size": draw(st.integers(1, 2))}
    elif family == "distilbert":
        c = {"dim": h, "n_layers": layers, "n_heads": heads, "vocab_size": vocab,
             "hidden_dim": inter, "tie_word_embeddings": tie,
             "max_position_embeddings": draw(st.integers(4, 20))}
    else:  # t5, mt5, umt5
        c = {"d_model": h, "d_kv": draw(st.sampled_from([2, 4])), "d_ff": inter,
             "num_layers": layers, "num_decoder_layers": draw(st.sampled_from([None, 1, 2])),
             "num_heads": heads, "vocab_size": vocab, "tie_word_embeddings": tie,
             "feed_forward_proj": draw(st.sampled_from(["relu", "gated-gelu"])),
             "relative_attention_num_buckets": draw(st.sampled_from([8, 32]))}
    if draw(st.booleans()):  # the language-model class; without one, the base model
        c["architectures"] = [lm_class(family)]
    return {"model_type": family, **IDS, **{k: v for k, v in c.items() if v is not None}}


FAMILIES = ["gpt2", "gpt-sw3", "gpt_neox", "gptj", "opt", "bloom", "falcon", "bert", "roberta",
            "distilbert", "t5", "mt5", "umt5"]


@pytest.mark.parametrize("family", FAMILIES)
@settings(max_examples=8, deadline=None)
@given(data=st.data(), base=st.booleans())
def test_random_configs_match_transformers(family: str, data: st.DataObject,
                                           base: bool) -> None:
    compare(data.draw(config(family)), base=base)


def test_older_configs_where_the_intent_is_clear() -> None:
    import nnsize

    # Falcon's first config: model_type RefinedWebModel, n_embed / n_head / n_layer
    falcon = {"architectures": ["RWForCausalLM"], "model_type": "RefinedWebModel",
              "hidden_size": 4544, "n_head": 71, "n_layer": 32, "multi_query": True,
              "parallel_attn": True, "bias": False, "vocab_size": 65024}
    assert nnsize.count(falcon).total_params == 6_921_720_704
    # no model_type, but an architecture class to tell it from
    gpt2 = {"architectures": ["GPT2LMHeadModel"], "n_embd": 768, "n_layer": 12, "n_head": 12,
            "vocab_size": 50257, "n_positions": 1024}
    assert nnsize.count(gpt2).total_params == 124_439_808
    with pytest.raises(nnsize.NnsizeError, match="missing 'model_type'"):
        nnsize.count({"architectures": ["MysteryForCausalLM"], "hidden_size": 8})
