from __future__ import annotations

from typing import Any

import pytest
from hf import lm_class, random_configs_test, transformers
from hypothesis import strategies as st

from nnsize.architectures import count_config
from nnsize.architectures.decoder import DEFAULTS
from nnsize.errors import SpecError

FAMILIES = sorted(DEFAULTS)


@st.composite
def decoder_config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    heads = draw(st.sampled_from([2, 4]))
    kv = draw(st.sampled_from([k for k in (1, 2, 4) if heads % k == 0]))
    head_dim = draw(st.sampled_from([4, 8]))
    c: dict[str, Any] = {
        "model_type": family, "vocab_size": draw(st.integers(10, 50)),
        "hidden_size": heads * head_dim, "num_attention_heads": heads,
        "intermediate_size": draw(st.integers(4, 24)),
        "num_hidden_layers": draw(st.integers(1, 3)),
        "tie_word_embeddings": draw(st.booleans()),
        "pad_token_id": 0,  # the families' default ids fall outside a tiny vocabulary
        "bos_token_id": 0, "eos_token_id": 0,
    }
    optional = {"num_key_value_heads": kv, "head_dim": head_dim,
                "attention_bias": draw(st.booleans()), "mlp_bias": draw(st.booleans()),
                "qkv_bias": draw(st.booleans()), "use_bias": draw(st.booleans()),
                "qk_layernorm": draw(st.booleans())}
    for key, value in optional.items():  # left out, the family's default applies
        if key in DEFAULTS[family] or key in ("num_key_value_heads", "head_dim"):
            if draw(st.booleans()) or key == "head_dim" and family.startswith("gemma"):
                c[key] = value
    if family == "mixtral":
        c.update(num_local_experts=draw(st.integers(1, 4)), num_experts_per_tok=1)
    if family in ("qwen2_moe", "qwen3_moe"):
        layers = c["num_hidden_layers"]
        c.update(num_experts=draw(st.integers(1, 4)), num_experts_per_tok=1,
                 moe_intermediate_size=draw(st.integers(2, 8)),
                 decoder_sparse_step=draw(st.integers(1, 2)),
                 mlp_only_layers=draw(st.lists(st.integers(0, layers - 1), max_size=1)))
        if family == "qwen2_moe":
            c["shared_expert_intermediate_size"] = draw(st.integers(2, 8))
    if family.startswith("deepseek"):
        c.update(n_routed_experts=draw(st.integers(2, 4)), num_experts_per_tok=1,
                 n_shared_experts=draw(st.integers(1, 2)), n_group=1, topk_group=1,
                 moe_intermediate_size=draw(st.integers(2, 8)),
                 first_k_dense_replace=draw(st.integers(0, 2)),
                 q_lora_rank=draw(st.sampled_from([None, 6])), kv_lora_rank=4,
                 qk_rope_head_dim=2, qk_nope_head_dim=draw(st.sampled_from([2, 4])),
                 v_head_dim=draw(st.sampled_from([2, 4])), num_key_value_heads=heads)
    if draw(st.booleans()):  # the language-model class; without one, the base model
        c["architectures"] = [lm_class(family)]
    return c


test_random_configs_match_transformers = random_configs_test(FAMILIES, decoder_config, 8)


@pytest.mark.parametrize("family", FAMILIES)
def test_defaults_are_transformers_defaults(family: str) -> None:
    # each default nnsize fills in is the one transformers' config class has
    cls = transformers.CONFIG_MAPPING[family]
    config = cls(hidden_size=64, num_attention_heads=4)
    for key, value in DEFAULTS[family].items():
        if key in ("num_key_value_heads", "head_dim") or not hasattr(config, key):
            continue
        assert getattr(config, key) == value, key


def test_llama_3_1_8b() -> None:
    # embeddings 128,256 x 4,096 and an untied head of the same size;
    # per layer: q, o 4,096^2 each, k, v 1,024 x 4,096 each, MLP 3 x 14,336 x 4,096, two norms
    config = {"model_type": "llama", "vocab_size": 128256, "hidden_size": 4096,
              "intermediate_size": 14336, "num_hidden_layers": 32, "num_attention_heads": 32,
              "num_key_value_heads": 8, "architectures": ["LlamaForCausalLM"]}
    per_layer = 2 * 4096**2 + 2 * 1024 * 4096 + 3 * 14336 * 4096 + 2 * 4096
    report = count_config(config)
    assert report.total_params == 2 * 128256 * 4096 + 32 * per_layer + 4096 == 8_030_261_248


def test_unknown_model_type_lists_the_supported_ones() -> None:
    with pytest.raises(SpecError, match="'lama' is not supported \\(did you mean 'llama'\\?\\)"):
        count_config({"model_type": "lama"})
    with pytest.raises(SpecError, match="missing 'model_type'"):
        count_config({"hidden_size": 8})
    with pytest.raises(SpecError, match="missing 'hidden_size'"):
        count_config({"model_type": "llama"})


@pytest.mark.parametrize("window", [1e308, 4096.0, "4096", True, -1, 0, [4096]])
@pytest.mark.parametrize("family", ["mistral", "gemma2", "qwen2"])
def test_a_sliding_window_that_is_not_a_number_of_tokens_is_refused(window: Any,
                                                                     family: str) -> None:
    # transformers reads only null as "no window" (a cache layer of window w keeps w - 1 past
    # tokens): 0, a negative, a float or a string would not be "no window" there either
    config = {"model_type": family, "hidden_size": 16, "num_hidden_layers": 2,
              "num_attention_heads": 2, "intermediate_size": 8, "vocab_size": 10,
              "sliding_window": window, "use_sliding_window": True}
    with pytest.raises(SpecError, match="sliding_window must be a positive whole number"):
        count_config(config)
    # null is no window, and Qwen without use_sliding_window drops it, as its config class does
    assert count_config({**config, "sliding_window": None}).total_params > 0
    if family == "qwen2":
        assert count_config({**config, "use_sliding_window": False}).total_params > 0
