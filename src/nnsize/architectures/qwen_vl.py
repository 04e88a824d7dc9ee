"""Qwen2-VL and Qwen2.5-VL: a vision transformer over 3-D patches (two frames at a time), a
merger of each 2 x 2 block of patches into one token of the language model's width, and Qwen2.

    model.visual: patch_embed.proj (C x t x p x p conv), blocks.{i}, merger (ln_q, mlp.0, mlp.2)
    -> model.language_model (Qwen2) -> lm_head

Published configs keep the language model's keys at the top level; newer ones under text_config.
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from ..model import Tensor
from .assembly import Assembly, Layer, linear, norm
from .config import Config
from .decoder import DEFAULTS, TRAITS, build_traits
from .multimodal import absorb
from .registry import register

# the sub-config classes' defaults (checked in the tests)
TEXT = {"vocab_size": 152064, "hidden_size": 8192, "intermediate_size": 29568,
        "num_hidden_layers": 80, "num_attention_heads": 64, "num_key_value_heads": 8}
VISION = {
    "qwen2_vl": {"depth": 32, "embed_dim": 1280, "hidden_size": 3584, "mlp_ratio": 4,
                 "num_heads": 16, "in_channels": 3, "patch_size": 14, "spatial_merge_size": 2,
                 "temporal_patch_size": 2},
    "qwen2_5_vl": {"depth": 32, "hidden_size": 3584, "intermediate_size": 3420, "num_heads": 16,
                   "in_channels": 3, "patch_size": 14, "spatial_merge_size": 2,
                   "temporal_patch_size": 2, "out_hidden_size": 3584},
}
SUB_CONFIGS = ("text_config", "vision_config")


def _text(c: Config) -> Config:
    data = c.value("text_config", None)
    if data is None:  # the language model's keys at the top level, as published
        data = {k: v for k, v in c.data.items() if k not in SUB_CONFIGS}
    if not isinstance(data, dict):
        raise SpecError(f"{c.where}: text_config must be an object, got {data!r}")
    return Config(data, "qwen2", {**DEFAULTS["qwen2"], **TEXT}, where=f"{c.where}: text_config")


def _vision(family: str, c: Config) -> Assembly:
    data = c.value("vision_config", None)
    if not isinstance(data, dict):
        raise SpecError(f"{c.where}: vision_config must be an object, got {data!r}")
    v = Config(data, f"{family} vision", VISION[family], where=f"{c.where}: vision_config")
    old = family == "qwen2_vl"
    e = v.int("embed_dim") if old else v.int("hidden_size")
    p, t, s = v.int("patch_size"), v.int("temporal_patch_size"), v.int("spatial_merge_size")
    a = Assembly(family)
    a.add("patches", "embedding",
          [Tensor("patch_embed.proj.weight", (e, v.int("in_channels"), t, p, p), "weight")])
    if old:  # LayerNorms, a GELU MLP mlp_ratio wide
        inter = int(e * v.value("mlp_ratio"))
        mlp = linear("mlp.fc1", inter, e, True) + linear("mlp.fc2", e, inter, True)
    else:  # RMSNorms, a gated MLP with biases
        inter = v.int("intermediate_size")
        mlp = linear("mlp.gate_proj", inter, e, True) + linear("mlp.up_proj", inter, e, True) + \
            linear("mlp.down_proj", e, inter, True)

    def block(i: int) -> Layer:
        return {"attention": linear("attn.qkv", 3 * e, e, True) + linear("attn.proj", e, e, True),
                "mlp": mlp, "norms": norm("norm1", e, old) + norm("norm2", e, old)}

    a.stack("blocks.", v.int("depth"), block, title="vision blocks")
    merged = e * s * s
    out = v.int("hidden_size") if old else v.int("out_hidden_size")
    a.add("merger", "vision", norm("merger.ln_q", e, old) +
          linear("merger.mlp.0", merged, merged, True) + linear("merger.mlp.2", out, merged, True))
    return a


def _build(family: str, c: Config, name: str, base: bool) -> Assembly:
    tc = _text(c)
    text = build_traits(TRAITS["qwen2"], tc, name, True)
    p = "" if base else "model."
    a = Assembly(name)
    absorb(a, _vision(family, c), f"{p}visual.", "vision", "vision")
    absorb(a, text, f"{p}language_model.", "language model")
    a.decoder = text.decoder
    if not base:
        v, h = tc.int("vocab_size"), tc.int("hidden_size")
        tied = c.bool("tie_word_embeddings")
        head = Tensor("lm_head.weight", (v, h), "embedding",
                      shared_with="model.language_model.embed_tokens.weight") if tied else \
            Tensor("lm_head.weight", (v, h), "weight")
        a.add("head" + (" (tied to the embeddings)" if tied else ""), "head", [head])
    return a


DEFAULTS_VL: dict[str, Any] = {"tie_word_embeddings": False}
register("qwen2_vl", DEFAULTS_VL, causal=True, base_class="Qwen2VLModel")(_build)
register("qwen2_5_vl", DEFAULTS_VL, causal=True, base_class="Qwen2_5_VLModel")(_build)
