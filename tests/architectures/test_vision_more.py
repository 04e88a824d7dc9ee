"""The image encoders of vision_more.py against transformers, tensor by tensor: DeiT, BEiT,
ConvNeXt and Swin, random configs (base models and image classifiers) and transformers' defaults
(their published configs are in published.py)."""

from __future__ import annotations

from typing import Any

import pytest
from hf import assert_defaults_are_transformers_own, compare, random_configs_test, transformers
from hypothesis import strategies as st
from published import PUBLISHED

from nnsize.architectures import count_config
from nnsize.errors import SpecError

FAMILIES = ["beit", "convnext", "deit", "swin"]
CLASSES = {"deit": ["DeiTModel", "DeiTForImageClassification",
                    "DeiTForImageClassificationWithTeacher"],
           "beit": ["BeitModel", "BeitForImageClassification"],
           "convnext": ["ConvNextModel", "ConvNextForImageClassification"],
           "swin": ["SwinModel", "SwinForImageClassification"]}


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    c: dict[str, Any] = {"model_type": family, "num_channels": draw(st.integers(1, 3)),
                         "architectures": [draw(st.sampled_from(CLASSES[family]))],
                         "num_labels": draw(st.integers(1, 5))}
    if family in ("deit", "beit"):
        heads = draw(st.sampled_from([2, 4]))
        patch = draw(st.sampled_from([2, 4]))
        c.update(hidden_size=heads * draw(st.sampled_from([2, 4])), num_attention_heads=heads,
                 num_hidden_layers=draw(st.integers(1, 2)),
                 intermediate_size=draw(st.integers(4, 12)), patch_size=patch,
                 image_size=patch * draw(st.integers(1, 3)))
    if family == "deit":
        c.update(qkv_bias=draw(st.booleans()),
                 pooler_output_size=draw(st.sampled_from([None, 6])))
    if family == "beit":
        c.update(use_mask_token=draw(st.booleans()),
                 use_absolute_position_embeddings=draw(st.booleans()),
                 use_relative_position_bias=draw(st.booleans()),
                 use_shared_relative_position_bias=draw(st.booleans()),
                 layer_scale_init_value=draw(st.sampled_from([0.0, 0.1])),
                 use_mean_pooling=draw(st.booleans()))
    if family == "convnext":
        stages = draw(st.integers(1, 3))
        c.update(num_stages=stages, patch_size=draw(st.sampled_from([2, 4])),
                 hidden_sizes=draw(st.lists(st.integers(2, 8), min_size=stages,
                                            max_size=stages)),
                 depths=draw(st.lists(st.integers(1, 2), min_size=stages, max_size=stages)),
                 layer_scale_init_value=draw(st.sampled_from([0.0, 1e-6])))
    if family == "swin":
        stages = draw(st.integers(1, 3))
        heads = draw(st.lists(st.sampled_from([1, 2]), min_size=stages, max_size=stages))
        c.update(embed_dim=2 * draw(st.integers(1, 3)), depths=draw(st.lists(
            st.integers(1, 2), min_size=stages, max_size=stages)), num_heads=heads,
            window_size=draw(st.integers(1, 3)), mlp_ratio=draw(st.sampled_from([1.0, 1.5, 4])),
            qkv_bias=draw(st.booleans()), use_absolute_embeddings=draw(st.booleans()),
            patch_size=2, image_size=2 * 2 ** stages)
    return c


test_random_configs_match_transformers = random_configs_test(FAMILIES, config, 8)


@pytest.mark.parametrize("family", FAMILIES)
def test_defaults_are_transformers_own(family: str) -> None:
    assert_defaults_are_transformers_own(family)


@pytest.mark.parametrize("family", FAMILIES)
def test_aliases_are_transformers_attribute_map(family: str) -> None:
    from nnsize.architectures import families

    assert families()[family].aliases == transformers.CONFIG_MAPPING[family].attribute_map


@pytest.mark.parametrize("family", FAMILIES)
@pytest.mark.parametrize("saved", [False, True], ids=["bare", "saved"])
def test_transformers_default_config(family: str, saved: bool) -> None:
    # every size left out takes the config class's default, as transformers builds it; and the
    # default config as save_pretrained writes it, every key
    data = transformers.CONFIG_MAPPING[family]().to_dict() if saved else {}
    data.pop("architectures", None)
    compare({**data, "model_type": family})


def test_swin_tiny_by_hand() -> None:
    # stage s: d = 96 x 2^s, heads n_s; a block: 4 d^2 + 4 d (q, k, v, o), 13^2 x n_s (the
    # position table), 8 d^2 + 5 d (MLP), 4 d (two norms) = 12 d^2 + 13 d + 169 n_s;
    # merging after stages 0-2: 8 d^2 + 8 d; embeddings 96 x 3 x 16 + 96 + 2 x 96; norm 2 x 768
    blocks = sum(depth * (12 * d * d + 13 * d + 169 * n) for depth, d, n in
                 [(2, 96, 3), (2, 192, 6), (6, 384, 12), (2, 768, 24)])
    merging = sum(8 * d * d + 8 * d for d in (96, 192, 384))
    total = blocks + merging + 96 * 3 * 16 + 96 + 2 * 96 + 2 * 768
    # (published.py holds the config; test_published.py compares it with transformers)
    assert count_config(PUBLISHED["swin-tiny"][0], base=True).total_params == total \
        == 27_519_354


def test_stage_lists_shorter_than_the_stages_are_refused() -> None:
    with pytest.raises(SpecError, match="hidden_sizes must give at least 4"):
        count_config({"model_type": "convnext", "hidden_sizes": [8, 16]})
