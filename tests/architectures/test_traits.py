"""The decoder families described by traits against transformers, tensor by tensor, with random
configs: every config key a trait reads is drawn, or left to the default.  The families are the
registry's (every register_traits call, in decoder_families.py or any other module), less
decoder.py's, which test_decoder.py draws; their traits, defaults and aliases are read from their
registration."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from hf import lm_class, random_configs_test, transformers
from hypothesis import strategies as st

import nnsize
from nnsize.architectures import families
from nnsize.architectures.decoder import DEFAULTS as DECODER_PY
from nnsize.architectures.traits import Traits
from nnsize.errors import SpecError
from nnsize.records import fields

# each family transformers has a class for (one built from its publisher's code, Family.code,
# is checked against that code's checkpoints: test_real_configs.py)
TRAITS: dict[str, Traits] = {name: f.traits for name, f in families().items()
                             if f.traits is not None and name not in DECODER_PY
                             and f.code is None}
DEFAULTS = {name: families()[name].defaults for name in TRAITS}
ALIASES = {name: families()[name].aliases for name in TRAITS if families()[name].aliases}
FAMILIES = sorted(TRAITS)
# transformers' auto tables name no language-model class for these
LM_CLASSES = {"mistral4": "Mistral4ForCausalLM"}
# no language-model class of their own
BASE_ONLY = {"qwen2_vl_text", "qwen2_5_vl_text", "qwen3_vl_text", "qwen3_vl_moe_text",
             "glm4v_text"}


def flag_keys(t: Traits) -> list[str]:
    """The config keys holding a trait's yes or no."""
    keys = [v for f in fields(t) if f.name.endswith(("bias", "_when"))
            for v in [getattr(t, f.name)] if isinstance(v, str)]
    keys += [n[1] for n in t.norms if isinstance(n, tuple)]
    if t.moe is not None and isinstance(t.moe.router_bias, str):
        keys.append(t.moe.router_bias)
    return [k.lstrip("!") for k in keys]


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    t = TRAITS[family]
    heads = draw(st.sampled_from([2, 4]))
    kv = draw(st.sampled_from([k for k in (1, 2, 4) if heads % k == 0]))
    head_dim = draw(st.sampled_from([4, 8]))
    layers = draw(st.integers(1, 3))
    c: dict[str, Any] = {
        "model_type": family, "vocab_size": draw(st.integers(10, 50)),
        "hidden_size": heads * head_dim, "num_attention_heads": heads,
        "intermediate_size": draw(st.integers(4, 24)), "num_hidden_layers": layers,
        "tie_word_embeddings": draw(st.booleans()),
        "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0,
    }
    required = set(DEFAULTS[family]) | set(t.requires)  # transformers' default may not fit
    if draw(st.booleans()) or "num_key_value_heads" in required:
        c["num_key_value_heads"] = kv
    if t.head_dim and (draw(st.booleans()) or "head_dim" in required):
        c["head_dim"] = head_dim
    for key in flag_keys(t):
        if draw(st.booleans()):
            c[key] = draw(st.booleans())
    if t.dense_width != "intermediate_size":
        c[t.dense_width] = draw(st.integers(4, 24))
    m = t.moe
    if m is not None:
        c[m.experts] = draw(st.integers(1, 4))
        c[m.top_k] = 1
        if m.width != "intermediate_size":
            c[m.width] = draw(st.integers(2, 8))
        if m.shared_width and m.shared_width != "intermediate_size":
            # Kolibri-1 builds its shared expert whatever its width (0: empty tensors), as
            # Qwen2-MoE does (test_decoder.py draws 2 to 8 for it)
            c[m.shared_width] = draw(st.integers(family == "kolibri1", 8))
        if m.shared_count:
            c[m.shared_count] = draw(st.integers(1, 2))
        if "first_k_dense" in (m.layers, m.types_else):
            c.update(first_k_dense_replace=draw(st.integers(0, 2)), n_group=1, topk_group=1)
        if m.layers == "interleave":
            c["interleave_moe_layer_step"] = draw(st.integers(1, 2))
        if m.layers == "range":
            c.update(moe_layer_start_index=draw(st.integers(0, 2)),
                     moe_layer_end_index=draw(st.sampled_from([-1, 0, 1])),
                     moe_layer_interval=draw(st.integers(1, 2)))
        if m.layers == "sparse_step":
            c.update(decoder_sparse_step=draw(st.integers(1, 2)),
                     mlp_only_layers=draw(st.lists(st.integers(0, layers - 1), max_size=1)))
    if family == "diffllama":  # its attention splits the values in two along the KV heads
        c["num_attention_heads"], c["num_key_value_heads"] = 4, 2
        c["hidden_size"] = 4 * c.get("head_dim", head_dim)
    if family == "internlm3":  # its config refuses different biases for attention and MLP
        c["attention_bias"] = c["mlp_bias"] = draw(st.booleans())
    if family == "llama4_text":
        c["no_rope_layers"] = [1] * layers
    if family not in BASE_ONLY and draw(st.booleans()):  # else the base model
        c["architectures"] = [LM_CLASSES.get(family) or lm_class(family)]
    return c


test_random_configs_match_transformers = random_configs_test(FAMILIES, config, 6)


def class_defaults(family: str) -> dict[str, Any]:
    cls = transformers.CONFIG_MAPPING[family]
    out = {}
    for f in dataclasses.fields(cls):
        if f.default is not dataclasses.MISSING:
            out[f.name] = f.default
        elif f.default_factory is not dataclasses.MISSING:
            out[f.name] = f.default_factory()
    return out


@pytest.mark.parametrize("family", FAMILIES)
def test_defaults_and_aliases_are_transformers_own(family: str) -> None:
    # each default nnsize fills in is the field default of transformers' config class
    theirs = class_defaults(family)
    for key, value in DEFAULTS[family].items():
        assert theirs[key] == value, key
    # every key a trait reads has a default where transformers has one
    for key in flag_keys(TRAITS[family]):
        assert key in DEFAULTS[family] or key not in theirs, key
    # attribute_map, other name -> stored name; where nnsize reads the other name, a field, as
    # Qwen3-VL MoE's num_experts (saved as num_local_experts), it maps the stored name to it
    cls = transformers.CONFIG_MAPPING[family]
    expected = {}
    for alias, stored in getattr(cls, "attribute_map", {}).items():
        if alias in DEFAULTS[family] and stored not in theirs:
            expected[stored] = alias
        else:
            expected[alias] = stored
    assert ALIASES.get(family, {}) == expected


def test_deepseek_v32s_indexer_is_counted_its_cache_planned_and_its_compute_refused() -> None:
    from nnsize.architectures import count_config
    from nnsize.errors import NnsizeError
    from nnsize.memory import Setup, compute, kv_cache, plan
    from nnsize.precision import find

    config = {"model_type": "deepseek_v32", "vocab_size": 16, "hidden_size": 8,
              "intermediate_size": 8, "num_hidden_layers": 1, "num_attention_heads": 2,
              "q_lora_rank": 4, "kv_lora_rank": 4, "qk_rope_head_dim": 2, "qk_nope_head_dim": 2,
              "v_head_dim": 2, "index_n_heads": 2, "index_head_dim": 4}
    report = count_config(config)
    # the indexer: wq_b 4 -> 2 heads x 4 (32), wk 8 -> 4 (32), k_norm 4 + 4, weights_proj 8 -> 2
    indexer = [t for row in report.rows for t in row.tensors if ".indexer." in t.name]
    assert sum(t.numel for t in indexer) == 32 + 32 + 8 + 16
    # its cache, a token: the latent (kv_lora_rank 4 + rope 2) and the indexer's key (4), 2 B
    # each at bf16 (test_decoder_builder.py measures transformers' own)
    assert kv_cache(report, 1, 1, find("bf16"))[0] == 1 * (4 + 2 + 4) * 2
    assert plan(report, Setup(context=64)).total > 0
    with pytest.raises(NnsizeError, match="index_topk keys its indexer picks"):
        compute(report, 64)


@pytest.mark.parametrize("model_type", ["stablelm", "persimmon", "internlm2"])
def test_heads_that_do_not_split_hidden_are_refused(model_type: str) -> None:
    # a family that reads no head_dim splits hidden_size into its heads, and its attention
    # refuses a remainder (transformers' StableLmAttention and PersimmonAttention raise
    # "hidden_size must be divisible by num_heads"; InternLM2's code likewise): 100 / 3 is
    # not 33 heads' worth, never a silent 33
    config = {"model_type": model_type, "hidden_size": 100, "num_attention_heads": 3,
              "num_hidden_layers": 1, "intermediate_size": 8, "vocab_size": 10}
    with pytest.raises(SpecError, match="hidden_size 100 is not a whole number of heads"):
        nnsize.count(config)
