"""SeamlessM4T v1 and v2 (seamless.py) against transformers, tensor by tensor: random configs of
SeamlessM4TModel and SeamlessM4Tv2Model, transformers' defaults, and the published large models."""

from __future__ import annotations

from typing import Any

import pytest
from hf import assert_defaults_are_transformers_own, compare, random_configs_test, transformers
from hypothesis import strategies as st

from nnsize.architectures import count_config
from nnsize.errors import SpecError

FAMILIES = ["seamless_m4t", "seamless_m4t_v2"]
CLASSES = {"seamless_m4t": "SeamlessM4TModel", "seamless_m4t_v2": "SeamlessM4Tv2Model"}


@st.composite
def config(draw: st.DrawFn, family: str = "seamless_m4t") -> dict[str, Any]:
    heads = draw(st.sampled_from([1, 2]))
    rates = draw(st.integers(1, 3))
    kernels = draw(st.lists(st.sampled_from([1, 3]), min_size=1, max_size=2))
    v2 = {"position_embeddings_type": "relative_key", "char_vocab_size": draw(st.integers(4, 9)),
          "left_max_position_embeddings": draw(st.integers(0, 3)),
          "right_max_position_embeddings": draw(st.integers(0, 3)),
          "t2u_variance_predictor_embed_dim": 4 * heads,
          "t2u_variance_predictor_hidden_dim": draw(st.integers(2, 5)),
          "t2u_variance_predictor_kernel_size": draw(st.sampled_from([1, 3]))} \
        if family == "seamless_m4t_v2" else \
        {"position_embeddings_type": draw(st.sampled_from(["relative", "rotary"]))}
    return {
        "model_type": family, "architectures": [CLASSES[family]], **v2,
        "vocab_size": draw(st.integers(8, 20)), "t2u_vocab_size": draw(st.integers(8, 20)),
        "hidden_size": 4 * heads, "encoder_layers": draw(st.integers(1, 2)),
        "encoder_ffn_dim": draw(st.integers(2, 6)), "encoder_attention_heads": heads,
        "decoder_layers": draw(st.integers(1, 2)), "decoder_ffn_dim": draw(st.integers(2, 6)),
        "decoder_attention_heads": heads, "speech_encoder_layers": draw(st.integers(1, 2)),
        "speech_encoder_attention_heads": heads,
        "speech_encoder_intermediate_size": draw(st.integers(2, 6)),
        "add_adapter": draw(st.booleans()), "num_adapter_layers": draw(st.integers(1, 2)),
        "adaptor_kernel_size": draw(st.integers(1, 3)), "adaptor_stride": 1,
        "feature_projection_input_dim": draw(st.integers(2, 6)),
        "conv_depthwise_kernel_size": draw(st.sampled_from([1, 3])),
        "t2u_encoder_layers": draw(st.integers(1, 2)), "t2u_encoder_ffn_dim": 4,
        "t2u_decoder_layers": draw(st.integers(1, 2)), "t2u_decoder_ffn_dim": 4,
        "t2u_encoder_attention_heads": heads, "t2u_decoder_attention_heads": heads,
        "max_position_embeddings": 16, "t2u_max_position_embeddings": 16,
        "max_source_positions": 16,
        "upsample_initial_channel": 16, "upsample_rates": [2] * rates,
        "upsample_kernel_sizes": [2] * rates, "resblock_kernel_sizes": kernels,
        "resblock_dilation_sizes": [[1, 2][:draw(st.integers(1, 2))] for _ in kernels],
        "unit_hifi_gan_vocab_size": draw(st.integers(4, 10)),
        "unit_embed_dim": draw(st.integers(2, 6)), "lang_embed_dim": draw(st.integers(1, 4)),
        "spkr_embed_dim": draw(st.integers(1, 4)), "vocoder_num_langs": draw(st.integers(1, 4)),
        "vocoder_num_spkrs": draw(st.integers(1, 4)),
        "variance_predictor_kernel_size": draw(st.sampled_from([1, 3])),
        "tie_word_embeddings": draw(st.booleans()),
        "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0, "decoder_start_token_id": 0,
        "t2u_pad_token_id": 0, "t2u_bos_token_id": 0, "t2u_eos_token_id": 0,
        "t2u_decoder_start_token_id": 0}


test_random_configs_match_transformers = random_configs_test(FAMILIES, config, 8)


@pytest.mark.parametrize("family", FAMILIES)
def test_defaults_are_transformers_own(family: str) -> None:
    assert_defaults_are_transformers_own(family)


def test_seamless_m4t_large() -> None:
    # facebook/hf-seamless-m4t-large
    # (https://huggingface.co/facebook/hf-seamless-m4t-large/blob/main/config.json) is
    # transformers' default SeamlessM4TConfig: its conversion script,
    # src/transformers/models/seamless_m4t/convert_fairseq2_to_hf.py, builds the large model's
    # config as SeamlessM4TConfig() (the medium one with overrides; the class docstring's
    # "similar to facebook/hf-seamless-m4t-medium" notwithstanding).  The paper (arXiv
    # 2308.11596) calls it SeamlessM4T-Large, 2.3B parameters; transformers builds 2,359,990,658
    # (its vocoder and text-to-unit model included)
    report = compare({"model_type": "seamless_m4t", "architectures": ["SeamlessM4TModel"]})
    assert report.total_params == 2_359_990_658
    assert report.total_params // 10**8 == 23


def test_seamless_m4t_v2_large() -> None:
    # facebook/seamless-m4t-v2-large
    # (https://huggingface.co/facebook/seamless-m4t-v2-large/blob/main/config.json) is
    # transformers' default SeamlessM4Tv2Config: its conversion script,
    # src/transformers/models/seamless_m4t_v2/convert_fairseq2_to_hf.py, builds the config as
    # SeamlessM4Tv2Config().  The Seamless paper (arXiv 2312.05187): SeamlessM4T v2, 2.3B
    # parameters
    report = compare({"model_type": "seamless_m4t_v2", "architectures": ["SeamlessM4Tv2Model"]})
    assert report.total_params == 2_309_249_669
    assert round(report.total_params, -8) == 2_300_000_000


def test_an_unknown_position_kind_is_refused() -> None:
    with pytest.raises(SpecError, match="position_embeddings_type"):
        count_config({"model_type": "seamless_m4t", "position_embeddings_type": "alibi"})


@pytest.mark.parametrize("family", FAMILIES)
def test_saved_default_config(family: str) -> None:
    # transformers' default config as save_pretrained writes it, every key
    data = transformers.CONFIG_MAPPING[family]().to_dict()
    data.pop("architectures", None)
    compare({**data, "model_type": family})


def test_dilations_must_be_lists() -> None:
    with pytest.raises(SpecError, match="resblock_dilation_sizes"):
        count_config({"model_type": "seamless_m4t", "resblock_dilation_sizes": [1, 3, 5]})
