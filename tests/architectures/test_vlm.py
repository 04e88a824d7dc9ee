"""The image-text models of vlm.py against transformers, tensor by tensor: PaliGemma, Idefics3,
SmolVLM, InternVL and GLM-4.1V (the base model and ForConditionalGeneration), their vision towers
alone, LLaVA with a Pixtral tower; random configs, transformers' defaults, published configs."""

from __future__ import annotations

from typing import Any

import pytest
from hf import assert_defaults_are_transformers_own, compare, random_configs_test, transformers
from hypothesis import strategies as st
from published import PUBLISHED

import nnsize
from nnsize.architectures import count_config
from nnsize.errors import SpecError

CLASSES = {"paligemma": "PaliGemmaForConditionalGeneration",
           "idefics3": "Idefics3ForConditionalGeneration",
           "smolvlm": "SmolVLMForConditionalGeneration",
           "internvl": "InternVLForConditionalGeneration",
           "glm4v": "Glm4vForConditionalGeneration", "llava": "LlavaForConditionalGeneration"}
TOWERS = ["idefics3_vision", "smolvlm_vision", "internvl_vision", "glm4v_vision", "glm4v_text",
          "pixtral"]
TEXT = {"paligemma": "gemma", "idefics3": "llama", "smolvlm": "llama", "internvl": "qwen2",
        "llava": "mistral"}


def vision(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    heads = draw(st.sampled_from([2, 4]))
    patch = draw(st.sampled_from([2, 4]))
    c: dict[str, Any] = {"hidden_size": heads * draw(st.sampled_from([2, 4])),
                         "num_attention_heads": heads, "num_hidden_layers": draw(st.integers(1, 2)),
                         "intermediate_size": draw(st.integers(4, 8)), "patch_size": patch,
                         "image_size": patch * 4, "num_channels": draw(st.integers(1, 3))}
    if kind == "siglip_vision_model":
        c["vision_use_head"] = draw(st.booleans())
    if kind == "internvl_vision":
        c.update(attention_bias=draw(st.booleans()), use_qk_norm=draw(st.booleans()),
                 norm_type=draw(st.sampled_from(["layer_norm", "rms_norm"])),
                 use_mask_token=draw(st.booleans()),
                 use_absolute_position_embeddings=draw(st.booleans()),
                 use_mean_pooling=draw(st.booleans()))
    if kind == "glm4v_vision":
        c = {"hidden_size": c["hidden_size"], "num_heads": heads, "depth": c["num_hidden_layers"],
             "intermediate_size": c["intermediate_size"], "patch_size": patch,
             "image_size": patch * 4, "in_channels": c["num_channels"], "spatial_merge_size": 2,
             "temporal_patch_size": draw(st.integers(1, 2)),
             "out_hidden_size": draw(st.integers(4, 12)),
             "attention_bias": draw(st.booleans())}
    if kind == "pixtral":
        c["head_dim"] = c["hidden_size"] // heads
    return c


def text(draw: st.DrawFn, kind: str) -> dict[str, Any]:
    c: dict[str, Any] = {"hidden_size": draw(st.sampled_from([8, 16])), "num_attention_heads": 2,
                         "num_key_value_heads": draw(st.sampled_from([1, 2])),
                         "num_hidden_layers": draw(st.integers(1, 2)),
                         "intermediate_size": draw(st.integers(4, 8)),
                         "vocab_size": draw(st.integers(10, 40)),
                         "tie_word_embeddings": draw(st.booleans()),
                         "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
    if kind != "glm4v_text":
        c.update(model_type=kind, head_dim=4)
    return c


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    if family in TOWERS:
        c = text(draw, family) if family == "glm4v_text" else vision(draw, family)
        return {"model_type": family, **c}
    vkind = {"paligemma": "siglip_vision_model", "internvl": "internvl_vision",
             "glm4v": "glm4v_vision", "llava": "pixtral"}.get(family, "idefics3_vision")
    vc = vision(draw, vkind)
    if family in ("paligemma", "llava"):
        vc["model_type"] = vkind
    c: dict[str, Any] = {"model_type": family, "vision_config": vc,
                         "text_config": text(draw, TEXT.get(family, "glm4v_text")),
                         "tie_word_embeddings": draw(st.booleans())}
    if family == "paligemma":
        c["projection_dim"] = draw(st.integers(4, 12))
    if family in ("idefics3", "smolvlm"):
        c["scale_factor"] = draw(st.sampled_from([1, 2]))
    if family == "internvl":
        c["downsample_ratio"] = draw(st.sampled_from([0.5, 1.0]))
    if family == "llava":
        c.update(vision_feature_select_strategy="full", vision_feature_layer=-1,
                 multimodal_projector_bias=draw(st.booleans()))
    if draw(st.booleans()):  # the generation class; without one, the base model
        c["architectures"] = [CLASSES[family]]
    return c


test_random_configs_match_transformers = random_configs_test(sorted(CLASSES) + TOWERS, config, 5)


@pytest.mark.parametrize("family", sorted(set(CLASSES) - {"llava"}) + TOWERS)
def test_defaults_are_transformers_own(family: str) -> None:
    assert_defaults_are_transformers_own(family)


@pytest.mark.parametrize("family", sorted(set(CLASSES) - {"llava"}) + TOWERS)
def test_aliases_are_transformers_attribute_map(family: str) -> None:
    from nnsize.architectures import families

    assert families()[family].aliases == transformers.CONFIG_MAPPING[family].attribute_map


@pytest.mark.parametrize("family", sorted(set(CLASSES) - {"llava"}) + TOWERS)
def test_saved_default_config(family: str) -> None:
    # transformers' default config, every key as save_pretrained writes it
    data = transformers.CONFIG_MAPPING[family]().to_dict()
    data.pop("architectures", None)
    compare({**data, "model_type": family})


HF = "https://huggingface.co/{}/blob/main/config.json"
# Published configs without a count their publisher states (published.py holds those with one):
# the keys that change the count, compared with transformers.
# pixtral-12b: its text_config checked against the Pixtral-12B MistralConfig written out in
# transformers' src/transformers/models/pixtral/convert_pixtral_weights_to_hf.py (5,120 / head_dim
# 128 / 14,336 / 32 heads / 40 layers / 8 KV heads / 131,072 tokens, no sliding window, untied),
# the script that wrote this file; its vision_config comes from the original params.json and is
# PixtralVisionConfig's defaults: values from memory, not checked against the published file.
# GLM-4.1V-9B-Thinking (now zai-org/GLM-4.1V-9B-Thinking): checked against the table a public
# "Transformers family audit: glm4v" (DinoML) copies from that repository's raw config.json:
# text 4,096 / 40 layers / 32 heads / 2 KV heads / 13,696 / 151,552 tokens,
# tie_word_embeddings false; vision 1,536 / depth 24 / 12 heads / 13,696 / out 4,096 / patch
# 14 / temporal patch 2 / merge 2.  image_size 336 (Glm4vVisionConfig's default, which sets
# the position table) is not in that table: not checked against the published file.
PUBLISHED_HERE: dict[str, tuple[dict[str, Any], str]] = {
    "mistral-community/pixtral-12b": ({
        "model_type": "llava", "architectures": ["LlavaForConditionalGeneration"],
        "vision_feature_layer": -1, "vision_feature_select_strategy": "full",
        "text_config": {"model_type": "mistral", "hidden_size": 5120, "head_dim": 128,
                        "intermediate_size": 14336, "num_attention_heads": 32,
                        "num_hidden_layers": 40, "num_key_value_heads": 8, "vocab_size": 131072,
                        "sliding_window": None},
        "vision_config": {"model_type": "pixtral", "hidden_size": 1024, "image_size": 1024,
                          "intermediate_size": 4096, "num_attention_heads": 16,
                          "num_hidden_layers": 24, "patch_size": 16, "head_dim": 64}},
        HF.format("mistral-community/pixtral-12b")),
    "THUDM/GLM-4.1V-9B-Thinking": ({
        "model_type": "glm4v", "architectures": ["Glm4vForConditionalGeneration"],
        "tie_word_embeddings": False,
        "text_config": {"vocab_size": 151552, "hidden_size": 4096, "intermediate_size": 13696,
                        "num_hidden_layers": 40, "num_attention_heads": 32,
                        "num_key_value_heads": 2},
        "vision_config": {"depth": 24, "hidden_size": 1536, "num_heads": 12,
                          "intermediate_size": 13696, "out_hidden_size": 4096, "patch_size": 14,
                          "image_size": 336, "spatial_merge_size": 2, "temporal_patch_size": 2}},
        HF.format("THUDM/GLM-4.1V-9B-Thinking")),
}


@pytest.mark.parametrize("name", sorted(PUBLISHED_HERE))
def test_published_configs_match_transformers(name: str) -> None:
    compare(PUBLISHED_HERE[name][0])


def test_paligemma_by_hand() -> None:
    # SigLIP So400m/14 at 224 px: 16 x 16 = 256 patches, the head left out; Gemma-2B with
    # 257,216 tokens; the projector 1,152 -> 2,048 with a bias; the LM head tied
    siglip = 1152 * 3 * 14 * 14 + 1152 + 256 * 1152 + 27 * (
        4 * (1152 * 1152 + 1152) + 2 * 1152 * 4304 + 4304 + 1152 + 4 * 1152) + 2 * 1152
    # Gemma layer: q 2,048 x 2,048 (8 heads of 256), k and v 256 x 2,048, o back, MLP
    # 3 x 2,048 x 16,384, two norms
    gemma = 257216 * 2048 + 18 * (2 * 2048 * 2048 + 2 * 256 * 2048 + 3 * 2048 * 16384 +
                                  2 * 2048) + 2048
    total = siglip + 1152 * 2048 + 2048 + gemma
    assert count_config(PUBLISHED["paligemma-3b"][0]).total_params == total == 2_923_466_480


def test_image_tokens() -> None:
    # PaliGemma: (224 / 14)^2 = 256; Idefics3: (364 / 14)^2 / 2^2 = 169 an image tile,
    # SmolVLM (384 / 14 = 27)^2 / 3^2 = 81; Pixtral: (1,024 / 16)^2 = 4,096 patches, no class
    # token; InternVL: image_seq_length; GLM-4.1V: (336 / 14 / 2)^2 = 144
    configs = {**{name: c for name, (c, *_) in PUBLISHED.items()},
               **{name: c for name, (c, _) in PUBLISHED_HERE.items()}}
    expected = {"paligemma-3b": 256, "idefics3-8b": 169, "smolvlm-instruct": 81,
                "smolvlm2-2.2b": 81, "mistral-community/pixtral-12b": 4096, "internvl3-1b": 256,
                "THUDM/GLM-4.1V-9B-Thinking": 144}
    for name, tokens in expected.items():
        decoder = nnsize.count(configs[name]).decoder
        assert decoder is not None and decoder.image_tokens == tokens, name


def test_a_tower_left_out_is_refused() -> None:
    with pytest.raises(SpecError, match="missing 'vision_config'"):
        count_config({"model_type": "idefics3", "text_config": {"model_type": "llama"}})


def test_an_unknown_norm_type_is_refused() -> None:
    with pytest.raises(SpecError, match="norm_type"):
        count_config({"model_type": "internvl_vision", "norm_type": "batch_norm"})


@pytest.mark.parametrize("config", [
    {"model_type": "internvl_vision", "patch_size": [0, 0]},
    {"model_type": "paligemma", "text_config": {"model_type": []}, "vision_config": {}},
])
def test_bad_values_are_refused_by_name(config: dict[str, Any]) -> None:
    # before, a division by zero and an unhashable model_type escaped as tracebacks
    with pytest.raises(SpecError, match="patch_size|model_type"):
        count_config(config)
