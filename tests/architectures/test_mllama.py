"""Llama 3.2 Vision built natively (mllama.py) against transformers, tensor by tensor: random
configs, transformers' defaults and the published 11B and 90B configs; and its planner view
(the cross-attention layers' image cache) against the one the transformers fallback gives."""

from __future__ import annotations

import contextlib
import io
import json
from pathlib import Path
from typing import Any

import pytest
from hf import compare, field_defaults, random_configs_test, transformers
from hypothesis import strategies as st

import nnsize
import nnsize.architectures
from nnsize.architectures import count_config
from nnsize.architectures.mllama import TEXT, VISION
from nnsize.errors import SpecError

PUBLISHED = Path(__file__).parent.parent / "data" / "published_configs"
CONFIGS = ["ome--llama3_2_11b_vision.json", "ome--llama3_2_90b_vision.json"]


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PUBLISHED / name).read_text())
    return data


@st.composite
def config(draw: st.DrawFn, family: str) -> dict[str, Any]:
    heads = draw(st.sampled_from([1, 2, 4]))
    patch = draw(st.sampled_from([2, 4]))
    tiles = draw(st.integers(1, 3))
    layers = draw(st.integers(1, 4))
    vision: dict[str, Any] = {
        "hidden_size": heads * draw(st.sampled_from([2, 4])) + draw(st.sampled_from([0, 1])),
        "attention_heads": heads, "num_hidden_layers": draw(st.integers(1, 2)),
        "num_global_layers": draw(st.integers(0, 2)), "intermediate_size": draw(st.integers(4, 8)),
        "patch_size": patch, "image_size": patch * draw(st.integers(1, 3)),
        "num_channels": draw(st.integers(1, 3)), "max_num_tiles": tiles,
        "vision_output_dim": draw(st.integers(4, 12)), "intermediate_layers_indices": [0],
        # transformers refuses other tile counts without their aspect ratios
        "supported_aspect_ratios": [[1, t] for t in range(1, tiles + 1)]}
    text: dict[str, Any] = {
        "hidden_size": draw(st.sampled_from([8, 16])), "num_attention_heads": 2,
        "num_key_value_heads": draw(st.sampled_from([1, 2])), "num_hidden_layers": layers,
        "intermediate_size": draw(st.integers(4, 8)), "vocab_size": draw(st.integers(10, 40)),
        "cross_attention_layers": draw(st.lists(st.integers(0, layers - 1), unique=True)),
        "pad_token_id": 0, "bos_token_id": 0, "eos_token_id": 0}
    c: dict[str, Any] = {"model_type": family, "vision_config": vision, "text_config": text}
    arch = draw(st.sampled_from([None, "MllamaForConditionalGeneration", "MllamaForCausalLM"]))
    if arch:  # without one, the base model
        c["architectures"] = [arch]
    return c


test_random_configs_match_transformers = random_configs_test(["mllama"], config, 20)


def test_defaults_are_transformers_own() -> None:
    # cross_attention_layers and supported_aspect_ratios are None as fields, filled in by
    # __post_init__: an instance holds them
    text, vision = transformers.MllamaTextConfig(), transformers.MllamaVisionConfig()
    assert {k: getattr(text, k) for k in TEXT} == TEXT
    assert {k: getattr(vision, k) for k in VISION} == VISION
    assert set(TEXT) <= set(field_defaults(transformers.MllamaTextConfig))


def test_saved_default_config() -> None:
    data = transformers.MllamaConfig().to_dict()
    data.pop("architectures", None)
    compare(data, fallback=False)


@pytest.mark.parametrize("name", CONFIGS)
@pytest.mark.parametrize("base", [False, True])
def test_published_configs_match_transformers(name: str, base: bool) -> None:
    report = compare(load(name), base=base, fallback=False)
    assert "counted_with" not in report.stored  # nnsize's own count


def test_the_11b_tensors() -> None:
    rows = {t.name: t.shape for row in count_config(load(CONFIGS[0])).rows for t in row.tensors}
    # the vocabulary and its 8 image-token rows; the head: the vocabulary alone
    assert rows["model.language_model.embed_tokens.weight"] == (128256 + 8, 4096)
    assert rows["lm_head.weight"] == (128256, 4096)
    # a tile table row: 4 tiles x ((560 / 14)^2 + 1) positions x 1,280 values = 8,197,120;
    # 8 aspect ratios + 1 rows
    tiles = "model.vision_model.gated_positional_embedding.tile_embedding.weight"
    assert rows[tiles] == (8 + 1, 4 * ((560 // 14) ** 2 + 1) * 1280) == (9, 8_197_120)
    # cross-attention layer 3: q/k norms of head_dim 4,096 / 32 = 128, its tanh gates
    assert rows["model.language_model.layers.3.cross_attn.k_norm.weight"] == (4096 // 32,)
    assert rows["model.language_model.layers.3.cross_attn_attn_gate"] == (1,)
    # the projector: 1,280 x (5 intermediate layers + the last) = 7,680 in
    assert rows["model.multi_modal_projector.weight"] == (4096, 7680)


def cli(args: list[str]) -> str:
    from nnsize.cli import main

    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.suppress(SystemExit):
        main(args)
    return out.getvalue()


@pytest.mark.parametrize("name", CONFIGS)
def test_planned_as_the_fallback_plans_it(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    path = str(PUBLISHED / name)
    native = nnsize.count(load(name))
    lines = cli(["memory", path]), cli(["memory", path, "--images", "2", "--context", "8192"])
    known = nnsize.architectures.family_of
    monkeypatch.setattr(nnsize.architectures, "family_of",
                        lambda t: None if t == "mllama" else known(t))
    fallback = nnsize.count(load(name))
    assert "counted_with" in fallback.stored and "counted_with" not in native.stored
    assert native.decoder == fallback.decoder
    assert native.total_params == fallback.total_params
    assert (cli(["memory", path]),
            cli(["memory", path, "--images", "2", "--context", "8192"])) == lines
    assert "6,404 tokens" in lines[0]  # 4 tiles x 1,601 vision tokens


def test_unknown_key_is_refused() -> None:
    data = load(CONFIGS[0])
    data["text_config"] = {**data["text_config"], "num_cross_heads": 4}
    with pytest.raises(SpecError, match="num_cross_heads: nnsize does not read"):
        count_config(data)
    data = load(CONFIGS[0])
    data["vision_config"] = {**data["vision_config"], "pruned_heads": {"0": [1]}}
    with pytest.raises(SpecError, match="pruned heads"):
        count_config(data)
