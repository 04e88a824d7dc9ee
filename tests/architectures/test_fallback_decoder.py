"""The planner's view of a language model transformers built (fallback_decoder.py), here its
cross-attention layers (Llama 3.2 Vision): their cache, of the image's vision tokens, against
the cache transformers fills after a forward pass over real images, and the published 11B and
90B configs' arithmetic."""

from __future__ import annotations

import json
import warnings
from pathlib import Path
from typing import Any

import pytest

import nnsize
from nnsize.errors import NnsizeError
from nnsize.memory import Setup, kv_cache, plan
from nnsize.memory.lines import CrossAttentionNote, KvTerms
from nnsize.precision import find
from nnsize.render.plan import note_words

torch = pytest.importorskip("torch")
transformers = pytest.importorskip("transformers")

PUBLISHED = Path(__file__).parent.parent / "data" / "published_configs"

# 5 layers, 1 and 3 cross-attending; 2 KV heads of 16; tiles of 28 px in patches of 14 px
TEXT = {"vocab_size": 300, "hidden_size": 64, "intermediate_size": 128, "num_hidden_layers": 5,
        "num_attention_heads": 4, "num_key_value_heads": 2, "cross_attention_layers": [1, 3],
        "max_position_embeddings": 512, "rope_scaling": None, "pad_token_id": 0,
        "bos_token_id": 1, "eos_token_id": 2}
VISION = {"hidden_size": 32, "intermediate_size": 64, "num_hidden_layers": 2,
          "num_global_layers": 1, "attention_heads": 2, "image_size": 28, "patch_size": 14,
          "max_num_tiles": 2, "intermediate_layers_indices": [0, 1], "vision_output_dim": 96,
          "supported_aspect_ratios": [[1, 1], [1, 2], [2, 1]]}
IMAGE = 299  # the <|image|> token


def tiny() -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return transformers.MllamaConfig(text_config=TEXT, vision_config=VISION,
                                         image_token_index=IMAGE)


def images() -> list[Any]:
    """Two real images of a sequence, as the processor tiles them: a wide one (two tiles of
    28 x 28) and a square one (one tile, padded to max_image_tiles = 2)."""
    import numpy as np
    from PIL import Image

    wide = Image.fromarray((np.arange(20 * 40 * 3).reshape(20, 40, 3) % 251).astype("uint8"))
    square = Image.fromarray((np.arange(20 * 20 * 3).reshape(20, 20, 3) % 241).astype("uint8"))
    return [wide, square]


def measured(batch: int, tokens: int, pictures: int) -> tuple[int, int]:
    """(self-attention layers', cross-attention layers') bytes of transformers' cache after one
    forward pass of batch sequences of tokens ids, pictures images each (fp32)."""
    from transformers.models.mllama.image_processing_pil_mllama import MllamaImageProcessorPil

    config = tiny()
    torch.manual_seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = transformers.MllamaForConditionalGeneration(config).eval()
    ids = torch.randint(3, 290, (batch, tokens))
    ids[:, :pictures] = IMAGE  # each image is one <|image|> token of the text
    inputs: dict[str, Any] = {}
    if pictures:
        processor = MllamaImageProcessorPil(size={"height": 28, "width": 28}, max_image_tiles=2)
        pixels = processor(images=[images()[:pictures]] * batch, return_tensors="pt")
        inputs = {k: pixels[k] for k in ("pixel_values", "aspect_ratio_ids",
                                         "aspect_ratio_mask")}
        # pixel_values: (batch, images, max_image_tiles, 3, 28, 28), the square one padded
        assert tuple(inputs["pixel_values"].shape) == (batch, pictures, 2, 3, 28, 28)
        inputs["cross_attention_mask"] = torch.ones(batch, tokens, pictures, 2,
                                                    dtype=torch.long)
    with torch.no_grad():
        cache = model(input_ids=ids, use_cache=True, **inputs).past_key_values
    sizes = [(layer.keys.nbytes + layer.values.nbytes) if layer.keys is not None and
             layer.keys.numel() else 0 for layer in cache.layers]
    cross = set(TEXT["cross_attention_layers"])
    return (sum(b for i, b in enumerate(sizes) if i not in cross),
            sum(b for i, b in enumerate(sizes) if i in cross))


def planned(report: nnsize.Report, batch: int, tokens: int, pictures: int) -> tuple[int, int]:
    """(self-attention layers', cross-attention layers') bytes of nnsize's KV line (fp32)."""
    _, terms, _ = kv_cache(report, batch, tokens, find("fp32"), images=pictures)
    assert isinstance(terms, KvTerms)
    per_image = next(layer.cross_tokens for layer in report.decoder.layers  # type: ignore
                     if layer.cross_tokens)
    cross = sum(batch * n * t * v * 4 for n, t, v in terms.groups if t and t % per_image == 0
                and t // per_image == pictures)
    whole = sum(batch * n * t * v * 4 for n, t, v in terms.groups)
    return whole - cross, cross


@pytest.fixture(scope="module")
def report() -> nnsize.Report:
    """The tiny model as transformers builds it (nnsize builds mllama itself: mllama.py; its
    plan is checked to equal this one in test_mllama.py)."""
    from nnsize.architectures.fallback import count_with_transformers

    data = tiny().to_dict()
    return count_with_transformers(data, "mllama", None, "config.json", False, "forced")


def test_the_layers_as_the_planner_reads_them(report: nnsize.Report) -> None:
    d = report.decoder
    assert d is not None and "counted_with" in report.stored  # built by transformers
    # an image: 2 tiles x ((28 / 14)^2 patches + a class token) = 2 x 5 = 10 vision tokens
    assert [layer.cross_tokens for layer in d.layers] == [None, 2 * (2 * 2 + 1), None, 10, None]
    assert {(layer.kv_heads, layer.key_dim) for layer in d.layers} == {(2, 16)}
    assert d.image_tiles == 2
    assert d.image_tokens == 1  # the <|image|> token: the processor does not expand it


@pytest.mark.parametrize("batch, tokens, pictures", [(1, 7, 1), (2, 9, 2), (1, 6, 0)])
def test_cache_against_transformers(report: nnsize.Report, batch: int, tokens: int,
                                    pictures: int) -> None:
    self_bytes, cross_bytes = measured(batch, tokens, pictures)
    assert planned(report, batch, tokens, pictures) == (self_bytes, cross_bytes)
    # self-attention: batch x 3 layers x tokens x 2 KV heads x (16 + 16) x 4 B
    assert self_bytes == batch * 3 * tokens * 2 * (16 + 16) * 4
    # cross-attention: batch x 2 layers x images x 10 vision tokens x 2 x (16 + 16) x 4 B,
    # whatever the tokens (none without an image: transformers skips the layers)
    assert cross_bytes == batch * 2 * pictures * 10 * 2 * (16 + 16) * 4


def test_plan_assumes_one_image_and_takes_none(report: nnsize.Report) -> None:
    def kv(p: Any) -> int:
        return next(line.bytes for line in p.lines if line.part == "kv_cache")

    default, text, two = (plan(report, Setup(dtype="fp32", context=7, images=i))
                          for i in (-1, 0, 2))
    # one image: its <|image|> token joins the 7 text tokens; 2 layers cache its 10 tokens
    assert kv(default) == (3 * (7 + 1) + 2 * 10) * 2 * 32 * 4
    assert kv(text) == 3 * 7 * 2 * 32 * 4
    assert kv(two) == (3 * (7 + 2) + 2 * 2 * 10) * 2 * 32 * 4
    notes = [n.terms for n in default.notes if isinstance(n.terms, CrossAttentionNote)]
    assert notes == [CrossAttentionNote(2, 5, 1, 2, 5, False)]
    words = note_words(notes[0])
    assert "1 image a sequence (assumed; --images 0 plans text alone) x 2 tiles" in words


def test_engines_without_its_cross_attention_cache_and_training_refuse(
        report: nnsize.Report) -> None:
    with pytest.raises(NnsizeError, match="vLLM serves no MllamaForConditionalGeneration"):
        plan(report, Setup(engine="vllm"))
    with pytest.raises(NnsizeError, match="not as llama.cpp does"):
        plan(report, Setup(engine="llama.cpp"))
    with pytest.raises(NnsizeError, match="cannot plan its training"):
        plan(report, Setup(train=True))


def load(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PUBLISHED / name).read_text())
    return data


def test_llama_3_2_11b_vision() -> None:
    report = nnsize.count(load("ome--llama3_2_11b_vision.json"))
    p = plan(report, Setup(context=8192))
    line = next(line for line in p.lines if line.part == "kv_cache")
    # a token: 32 self-attention layers x 8 KV heads x 128 x 2 (keys, values) x 2 B (bf16)
    per_token = 32 * 8 * 128 * 2 * 2
    assert per_token == 131_072
    # an image: 4 tiles (max_num_tiles) x ((560 / 14)^2 patches + a class token) = 6,404
    # vision tokens in each of the 8 cross-attention layers (3, 8, ..., 38)
    per_image = 8 * (4 * ((560 // 14) ** 2 + 1)) * 8 * 128 * 2 * 2
    assert per_image == 209_846_272
    # one image (assumed): its <|image|> token joins the 8,192 text tokens
    assert line.bytes == (8192 + 1) * per_token + per_image == 1_283_719_168
    text = plan(report, Setup(context=8192, images=0))
    assert next(x.bytes for x in text.lines if x.part == "kv_cache") == 8192 * per_token
    assert [note_words(n.terms) for n in p.notes if n.key == "kv_per_token"] == [
        "KV cache per token (every self-attention layer): 131,072 bytes at bf16"]
    from nnsize.compute import compute

    # a token's linear MACs: the language model and head less the 8 cross-attention layers'
    # k_proj and v_proj (4,096 -> 8 x 128 each), which run over the image's 6,404 vision tokens
    kv = 8 * 4096 * 8 * 128 * 2
    # each of the 40 layers: q, o 4,096 x 4,096, k, v 4,096 x 1,024, gate, up, down 4,096 x
    # 14,336; the head 128,256 x 4,096
    layer = 2 * 4096 * 4096 + 2 * 4096 * 1024 + 3 * 4096 * 14336
    c = compute(report, 8192, images=1)
    assert c.linear_macs == 40 * layer + 128256 * 4096 - kv == 9_182_380_032
    assert c.image_macs == 4 * (40 * 40 + 1) * kv == 429_765_165_056


def test_llama_3_2_90b_vision() -> None:
    report = nnsize.count(load("ome--llama3_2_90b_vision.json"))
    line = next(x for x in plan(report, Setup(context=8192)).lines if x.part == "kv_cache")
    # 80 self-attention layers and 20 cross-attention ones (3, 8, ..., 98), 8 KV heads of 128
    per_token = 80 * 8 * 128 * 2 * 2
    per_image = 20 * (4 * ((560 // 14) ** 2 + 1)) * 8 * 128 * 2 * 2
    assert line.bytes == (8192 + 1) * per_token + per_image == 3_209_297_920


def test_cross_attention_of_another_model_is_refused() -> None:
    from nnsize.architectures.fallback_decoder import _cross
    from nnsize.errors import SpecError

    class Text:
        cross_attention_layers = [1]

    class Outer:
        model_type = "flamingo"

    with pytest.raises(SpecError, match="for mllama only"):
        _cross(Text(), Outer(), "FlamingoTextConfig")


def test_compute_of_its_cross_attention(report: nnsize.Report) -> None:
    from nnsize.compute import compute

    # a layer's MACs a key: 4 heads x (16 + 16); 3 self-attention layers attend causally, the
    # 2 cross-attention ones to the images' 10 vision tokens each, from every position
    per_key = 4 * (16 + 16)
    c = compute(report, 7, images=2)
    assert c.attention_macs_decode == (3 * 8 + 2 * 2 * 10) * per_key
    assert c.attention_macs_prefill == (3 * (7 * 8 // 2) + 2 * 7 * 2 * 10) * per_key
    text = compute(report, 7)  # text alone: transformers skips the cross-attention layers
    assert text.attention_macs_decode == 3 * 8 * per_key


def test_its_cross_attention_keys_and_values_are_computed_once_an_image(
        report: nnsize.Report) -> None:
    """A cross-attention layer's q and o projections run for each text token, its k and v
    projections for each vision token, once a sequence (cached after): transformers' forward
    over real images, its multiplies counted by torch's FlopCounterMode, module by module."""
    from torch.utils.flop_counter import FlopCounterMode

    from nnsize.compute import compute

    # k_proj and v_proj: 64 wide -> 2 KV heads x 16 each, in 2 cross-attention layers
    kv = 2 * 64 * 2 * (16 + 16)
    language = sum(t.numel for r in report.rows if r.type != "embedding" and
                   ("language_model." in r.name or r.type == "head")
                   for t in r.tensors if len(t.shape) >= 2 and not t.buffer)
    c = compute(report, 7, images=2)
    assert c.linear_macs == language - kv
    assert c.image_macs == 2 * 10 * kv  # 2 images x 10 vision tokens (2 tiles x 5)

    config = tiny()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        model = transformers.MllamaForConditionalGeneration(config).eval()
    from transformers.models.mllama.image_processing_pil_mllama import MllamaImageProcessorPil

    processor = MllamaImageProcessorPil(size={"height": 28, "width": 28}, max_image_tiles=2)
    pixels = processor(images=[images()], return_tensors="pt")
    ids = torch.randint(3, 290, (1, 7))
    ids[:, :2] = IMAGE
    inputs = {k: pixels[k] for k in ("pixel_values", "aspect_ratio_ids", "aspect_ratio_mask")}
    with FlopCounterMode(display=False) as counter, torch.no_grad():
        model(input_ids=ids, cross_attention_mask=torch.ones(1, 7, 2, 2, dtype=torch.long),
              **inputs)
    flops = counter.get_flop_counts()
    cross = [f"layers.{i}.cross_attn." for i in TEXT["cross_attention_layers"]]
    measured = {proj: sum(sum(v.values()) for name, v in flops.items()
                          if any(name.endswith(f"{c}{proj}") for c in cross))
                for proj in ("q_proj", "k_proj", "v_proj", "o_proj")}
    # 2 FLOPs a MAC: k and v over the 2 images' 20 vision tokens, q and o over the 7 text ones
    assert measured["k_proj"] + measured["v_proj"] == 2 * c.image_macs
    assert measured["q_proj"] + measured["o_proj"] == 2 * 7 * 2 * (64 * 64 + 64 * 64)
