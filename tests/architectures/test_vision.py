"""The vision and image-text models of vision.py against transformers, tensor by tensor, with
random configs: ViT, DINOv2, CLIP and SigLIP (each tower, and the pair)."""

from __future__ import annotations

from typing import Any

import pytest
from hf import assert_defaults_are_transformers_own, random_configs_test
from hypothesis import strategies as st

from nnsize.architectures import count_config

CLASSES = {"vit": "ViTModel", "dinov2": "Dinov2Model", "clip": "CLIPModel",
           "clip_text_model": "CLIPTextModel", "clip_vision_model": "CLIPVisionModel",
           "siglip": "SiglipModel", "siglip_text_model": "SiglipTextModel",
           "siglip_vision_model": "SiglipVisionModel"}
FAMILIES = sorted(CLASSES)


def tower(draw: st.DrawFn, text: bool) -> dict[str, Any]:
    heads = draw(st.sampled_from([2, 4]))
    c = {"hidden_size": heads * draw(st.sampled_from([2, 4])), "num_attention_heads": heads,
         "num_hidden_layers": draw(st.integers(1, 2)),
         "intermediate_size": draw(st.integers(4, 12))}
    if text:
        c.update(vocab_size=draw(st.integers(10, 40)),
                 max_position_embeddings=draw(st.integers(4, 12)),
                 pad_token_id=0, bos_token_id=0, eos_token_id=0)
    else:
        patch = draw(st.sampled_from([2, 4]))
        c.update(patch_size=patch, image_size=patch * draw(st.integers(1, 3)),
                 num_channels=draw(st.integers(1, 3)))
    return c


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    if family in ("clip", "siglip"):
        c: dict[str, Any] = {"text_config": tower(draw, True), "vision_config": tower(draw, False)}
        if family == "clip":
            c["projection_dim"] = draw(st.integers(2, 8))
        else:
            c["vision_config"]["vision_use_head"] = draw(st.booleans())
            c["text_config"]["projection_size"] = draw(st.sampled_from([None, 6]))
    else:
        c = tower(draw, family.endswith("text_model"))
    if family == "vit":
        c.update(qkv_bias=draw(st.booleans()), pooler_output_size=draw(st.sampled_from([None, 6])))
    if family == "dinov2":
        c.update(qkv_bias=draw(st.booleans()), use_swiglu_ffn=draw(st.booleans()),
                 mlp_ratio=draw(st.sampled_from([1, 2, 4])))
        del c["intermediate_size"]
    if family == "siglip_vision_model":
        c["vision_use_head"] = draw(st.booleans())
    return {"model_type": family, "architectures": [CLASSES[family]], **c}


test_random_configs_match_transformers = random_configs_test(FAMILIES, config, 5)


@pytest.mark.parametrize("family", FAMILIES)
def test_defaults_are_transformers_own(family: str) -> None:
    assert_defaults_are_transformers_own(family)


def test_clip_without_tower_configs_is_the_default_clip() -> None:
    # transformers fills each tower left out with its config class's defaults
    from hf import build

    config = {"model_type": "clip", "architectures": ["CLIPModel"]}
    model = build(config)
    assert count_config(config).total_params == sum(p.numel() for p in model.parameters())
