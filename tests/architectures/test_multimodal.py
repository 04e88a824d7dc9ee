"""Image-text language models against transformers, tensor by tensor: LLaVA, Mistral 3, Gemma 3
(each tower, the projector, the language model and the head), random configs."""

from __future__ import annotations

from typing import Any

import pytest
from hf import (
    assert_defaults_are_transformers_own,
    compare,
    field_defaults,
    random_configs_test,
    transformers,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from nnsize.architectures import count_config
from nnsize.architectures.multimodal import NESTED, PIXTRAL
from nnsize.errors import SpecError

CLASSES = {"llava": "LlavaForConditionalGeneration",
           "mistral3": "Mistral3ForConditionalGeneration",
           "gemma3": "Gemma3ForConditionalGeneration"}
TOWERS = {"llava": ("clip_vision_model", "llama"), "mistral3": ("pixtral", "mistral"),
          "gemma3": ("siglip_vision_model", "gemma3_text")}


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    vision, text = TOWERS[family]
    heads = draw(st.sampled_from([2, 4]))
    hv = heads * draw(st.sampled_from([2, 4]))
    patch = draw(st.sampled_from([2, 4]))
    vc = {"model_type": vision, "hidden_size": hv, "num_attention_heads": heads,
          "num_hidden_layers": draw(st.integers(1, 2)),
          "intermediate_size": draw(st.integers(4, 8)),
          "patch_size": patch, "image_size": patch * 4, "num_channels": 3}
    th = draw(st.sampled_from([8, 16]))
    tc = {"model_type": text, "hidden_size": th, "num_attention_heads": 2,
          "num_key_value_heads": 1, "head_dim": 4, "num_hidden_layers": draw(st.integers(1, 2)),
          "intermediate_size": draw(st.integers(4, 8)), "vocab_size": draw(st.integers(10, 40)),
          "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
    c: dict[str, Any] = {"model_type": family, "vision_config": vc, "text_config": tc,
                         "tie_word_embeddings": draw(st.booleans())}
    if family == "llava":
        c.update(vision_feature_layer=draw(st.sampled_from([-2, [-2, -1]])),
                 multimodal_projector_bias=draw(st.booleans()))
    if family == "mistral3":
        c.update(multimodal_projector_bias=draw(st.booleans()), spatial_merge_size=2)
    if family == "gemma3":
        c["mm_tokens_per_image"] = 4
        vc["vision_use_head"] = draw(st.booleans())
    if draw(st.booleans()):  # the generation class; without one, the base model
        c["architectures"] = [CLASSES[family]]
    return c


test_random_configs_match_transformers = random_configs_test(sorted(CLASSES), config, 5)


@pytest.mark.parametrize("family", sorted(CLASSES))
def test_defaults_are_transformers_own(family: str) -> None:
    assert_defaults_are_transformers_own(family)


@pytest.mark.parametrize("kind", [*NESTED, "pixtral"])
def test_nested_sizes_are_the_sub_config_defaults(kind: str) -> None:
    cls = transformers.CONFIG_MAPPING[kind]
    theirs = field_defaults(cls)
    for key, value in (PIXTRAL if kind == "pixtral" else NESTED[kind]).items():
        assert theirs[key] == value, key


def test_a_tower_left_out_is_refused() -> None:
    with pytest.raises(SpecError, match="missing 'vision_config'"):
        count_config({"model_type": "llava", "text_config": {"model_type": "llama"}})


def test_image_tokens_and_compute_per_text_token() -> None:
    from published import PUBLISHED

    import nnsize
    from nnsize.memory import compute

    # llava-1.5: (336 / 14)^2 = 576 patches, the class token dropped
    report = nnsize.count(PUBLISHED["llava-1.5-7b"][0])
    assert report.decoder is not None and report.decoder.image_tokens == 576
    # the vision tower and projector run once an image: a text token multiplies only the
    # language model's matrices (its head included)
    vision = sum(r.params for r in report.rows if r.type == "vision")
    language = nnsize.count({**NESTED["llama"], **PUBLISHED["llava-1.5-7b"][0]["text_config"],
                             "architectures": ["LlamaForCausalLM"]})
    assert vision == report.total_params - language.total_params
    assert compute(report, 16).linear_macs == compute(language, 16).linear_macs


@st.composite
def llama4_config(draw: st.DrawFn) -> dict[str, Any]:
    layers = draw(st.integers(1, 2))
    text = {"hidden_size": 16, "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 8,
            "num_hidden_layers": layers, "intermediate_size": draw(st.integers(4, 8)),
            "intermediate_size_mlp": draw(st.integers(4, 12)),
            "vocab_size": draw(st.integers(10, 40)),
            "num_local_experts": draw(st.integers(1, 3)),
            "interleave_moe_layer_step": draw(st.integers(1, 2)), "no_rope_layers": [1] * layers,
            "tie_word_embeddings": draw(st.booleans()),
            "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
    patch = draw(st.sampled_from([2, 4]))
    vision = {"hidden_size": 8, "num_attention_heads": 2, "num_hidden_layers": 1,
              "intermediate_size": draw(st.integers(4, 8)), "patch_size": patch,
              "image_size": patch * draw(st.integers(1, 3)), "num_channels": 3,
              "vision_output_dim": draw(st.integers(4, 8)),
              "projector_input_dim": draw(st.integers(4, 8)),
              "projector_output_dim": draw(st.integers(4, 8))}
    return {"model_type": "llama4", "architectures": ["Llama4ForConditionalGeneration"],
            "text_config": text, "vision_config": vision}


@settings(max_examples=6, deadline=None)
@given(llama4_config())
def test_llama4_matches_transformers(c: dict[str, Any]) -> None:
    compare(c)


def test_llama4_vision_defaults_are_transformers_own() -> None:
    from nnsize.architectures.multimodal import LLAMA4_VISION

    sub = transformers.CONFIG_MAPPING["llama4"].sub_configs["vision_config"]
    theirs = field_defaults(sub)
    assert all(theirs[k] == v for k, v in LLAMA4_VISION.items())
