"""The GPT-style decoders of gpt_more.py against transformers, tensor by tensor: language-model
classes and base models, random configs."""

from __future__ import annotations

from typing import Any

import pytest
from hf import field_defaults, lm_class, random_configs_test, transformers
from hypothesis import strategies as st

from nnsize.architectures import families

FAMILIES = ["biogpt", "codegen", "gpt_bigcode", "gpt_neo", "mpt", "openai-gpt", "xglm"]


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    heads = draw(st.sampled_from([2, 4]))
    h = heads * draw(st.sampled_from([2, 4]))
    layers, vocab, inter = draw(st.integers(1, 3)), draw(st.integers(10, 40)), \
        draw(st.integers(4, 16))
    c: dict[str, Any] = {"vocab_size": vocab, "tie_word_embeddings": draw(st.booleans()),
                         "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
    if family in ("gpt_bigcode", "codegen", "openai-gpt"):
        c.update(n_embd=h, n_layer=layers, n_head=heads, n_positions=draw(st.integers(4, 32)))
        if family != "openai-gpt":
            c["n_inner"] = draw(st.sampled_from([None, inter]))
        if family == "gpt_bigcode":
            c["multi_query"] = draw(st.booleans())
        if family == "codegen":
            c.update(rotary_dim=2, n_ctx=c["n_positions"])
    elif family == "gpt_neo":
        c.update(hidden_size=h, num_layers=layers, num_heads=heads,
                 intermediate_size=draw(st.sampled_from([None, inter])),
                 max_position_embeddings=draw(st.integers(4, 32)), window_size=4,
                 attention_types=[[["global"], layers]] if draw(st.booleans())
                 else [[["local"], layers]])
    elif family == "xglm":
        c.update(d_model=h, num_layers=layers, attention_heads=heads, ffn_dim=inter)
    elif family == "biogpt":
        c.update(hidden_size=h, num_hidden_layers=layers, num_attention_heads=heads,
                 intermediate_size=inter, max_position_embeddings=draw(st.integers(4, 32)))
    else:  # mpt
        c.update(d_model=h, n_layers=layers, n_heads=heads,
                 expansion_ratio=draw(st.integers(1, 4)))
    if draw(st.booleans()):  # the language-model class; without one, the base model
        c["architectures"] = [lm_class(family)]
    return {"model_type": family, **{k: v for k, v in c.items() if v is not None}}


test_random_configs_match_transformers = random_configs_test(FAMILIES, config, 6)


@pytest.mark.parametrize("family", FAMILIES)
def test_defaults_and_aliases_are_transformers_own(family: str) -> None:
    cls = transformers.CONFIG_MAPPING[family]
    theirs = field_defaults(cls)
    found = families()[family]
    names = dict(getattr(cls, "attribute_map", {}))  # alias -> the field that holds it
    for key, value in found.defaults.items():
        assert theirs[names.get(key, key)] == value, key
    # nnsize reads either the field, the alias standing for it, or the reverse
    assert found.aliases in (names, {real: alias for alias, real in names.items()})
