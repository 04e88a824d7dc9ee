"""Vision transformers and image-text towers: ViT, DINOv2, CLIP and SigLIP (each tower alone,
and the pair with its projections), as transformers builds their base models.

    patches: a conv of patch x patch over the channels -> [class token] + positions
    -> layers.{i}: attention, MLP, two norms -> final norm [-> pooler / head]

Tokens an image becomes: (image_size / patch_size)^2 patches, plus one class token where the
family has one (vision_tokens gives the count, for the memory planner).
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError
from ..model import Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .registry import IMAGE, register


def _pair(c: Config, key: str) -> tuple[int, int]:
    v = c.value(key)
    if isinstance(v, list) and len(v) == 2 and all(isinstance(x, int) for x in v):
        return v[0], v[1]
    n = c.int(key)
    return n, n


def patches(c: Config) -> int:
    """Patches an image becomes: (height / patch) x (width / patch)."""
    (ih, iw), (ph, pw) = _pair(c, "image_size"), _pair(c, "patch_size")
    return (ih // ph) * (iw // pw)


def conv(name: str, out: int, channels: int, c: Config, bias: bool = True) -> list[Tensor]:
    ph, pw = _pair(c, "patch_size")
    t = [Tensor(f"{name}.weight", (out, channels, ph, pw), "weight")]
    return t + [Tensor(f"{name}.bias", (out,), "bias")] if bias else t


def _tower_layer(h: int, inter: int, k: bool = True) -> Layer:
    """A CLIP / SigLIP encoder layer: self_attn (k, v, q, out), MLP, two pre-norms."""
    return {"attention": linear("self_attn.k_proj", h, h, k) +
            linear("self_attn.v_proj", h, h, True) + linear("self_attn.q_proj", h, h, True) +
            linear("self_attn.out_proj", h, h, True),
            "mlp": linear("mlp.fc1", inter, h, True) + linear("mlp.fc2", h, inter, True),
            "norms": norm("layer_norm1", h, True) + norm("layer_norm2", h, True)}


@register("vit", {"image_size": 224, "patch_size": 16, "num_channels": 3, "qkv_bias": True,
                  "pooler_output_size": None}, causal=False,
          base_class="ViTModel", heads={IMAGE: ("vit", "classifier")})
def vit(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, inter = c.int("hidden_size"), c.int("intermediate_size")
    qkv = c.bool("qkv_bias")
    a = Assembly(name)
    a.add("embeddings", "embedding", [
        Tensor("embeddings.cls_token", (1, 1, h), "embedding"),
        Tensor("embeddings.position_embeddings", (1, patches(c) + 1, h), "embedding")] +
        conv("embeddings.patch_embeddings.projection", h, c.int("num_channels"), c))
    a.stack("layers.", c.int("num_hidden_layers"), lambda i: {
        "attention": linear("attention.q_proj", h, h, qkv) + linear("attention.k_proj", h, h, qkv)
        + linear("attention.v_proj", h, h, qkv) + linear("attention.o_proj", h, h, True),
        "mlp": linear("mlp.fc1", inter, h, True) + linear("mlp.fc2", h, inter, True),
        "norms": norm("layernorm_before", h, True) + norm("layernorm_after", h, True)})
    a.add("final norm", "norm", norm("layernorm", h, True))
    a.add("pooler", "head", linear("pooler.dense", c.int("pooler_output_size", None) or h, h,
                                   True))
    return a


@register("dinov2", {"mlp_ratio": 4, "image_size": 224, "patch_size": 14, "num_channels": 3,
                     "qkv_bias": True, "use_swiglu_ffn": False}, causal=False,
          base_class="Dinov2Model", heads={IMAGE: ("dinov2", "class and mean classifier")})
def dinov2(family: str, c: Config, name: str, base: bool) -> Assembly:
    """DINOv2: pre-norm layers with a learned scale after attention and MLP (LayerScale)."""
    h, qkv = c.int("hidden_size"), c.bool("qkv_bias")
    ratio = c.value("mlp_ratio")
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or ratio <= 0:
        raise SpecError(f"{c.where}: mlp_ratio must be a positive number, got {ratio!r}")
    inter = int(h * ratio)
    if c.bool("use_swiglu_ffn"):  # SwiGLU: two-thirds the width, rounded up to a multiple of 8
        inter = (int(inter * 2 / 3) + 7) // 8 * 8
        mlp = linear("mlp.gate_proj", inter, h, True) + linear("mlp.up_proj", inter, h, True) + \
            linear("mlp.down_proj", h, inter, True)
    else:
        mlp = linear("mlp.fc1", inter, h, True) + linear("mlp.fc2", h, inter, True)
    a = Assembly(name)
    a.add("embeddings", "embedding", [
        Tensor("embeddings.cls_token", (1, 1, h), "embedding"),
        Tensor("embeddings.mask_token", (1, h), "embedding"),
        Tensor("embeddings.position_embeddings", (1, patches(c) + 1, h), "embedding")] +
        conv("embeddings.patch_embeddings.projection", h, c.int("num_channels"), c))
    a.stack("encoder.layer.", c.int("num_hidden_layers"), lambda i: {
        "attention": linear("attention.q_proj", h, h, qkv) + linear("attention.k_proj", h, h, qkv)
        + linear("attention.v_proj", h, h, qkv) + linear("attention.o_proj", h, h, True) +
        [Tensor("layer_scale1.lambda1", (h,), "other")],
        "mlp": mlp + [Tensor("layer_scale2.lambda1", (h,), "other")],
        "norms": norm("norm1", h, True) + norm("norm2", h, True)})
    a.add("final norm", "norm", norm("layernorm", h, True))
    return a


# The towers' config classes fill in every size when a composite config leaves a tower out.
CLIP_TEXT = {"vocab_size": 49408, "hidden_size": 512, "intermediate_size": 2048,
             "num_hidden_layers": 12, "num_attention_heads": 8, "max_position_embeddings": 77,
             "projection_dim": 512}
CLIP_VISION = {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
               "num_attention_heads": 12, "num_channels": 3, "image_size": 224,
               "patch_size": 32, "projection_dim": 512}
SIGLIP_TEXT = {"vocab_size": 32000, "hidden_size": 768, "intermediate_size": 3072,
               "num_hidden_layers": 12, "num_attention_heads": 12,
               "max_position_embeddings": 64, "projection_size": None}
SIGLIP_VISION = {"hidden_size": 768, "intermediate_size": 3072, "num_hidden_layers": 12,
                 "num_attention_heads": 12, "num_channels": 3, "image_size": 224,
                 "patch_size": 16, "vision_use_head": True}


def _text_tower(a: Assembly, c: Config, p: str, siglip: bool) -> int:
    h, inter = c.int("hidden_size"), c.int("intermediate_size")
    a.add("text embeddings", "embedding",
          embedding(f"{p}embeddings.token_embedding", c.int("vocab_size"), h) +
          embedding(f"{p}embeddings.position_embedding", c.int("max_position_embeddings"), h))
    a.stack(f"{p}encoder.layers.", c.int("num_hidden_layers"), lambda i: _tower_layer(h, inter),
            title="text layers")
    a.add("text final norm", "norm", norm(f"{p}final_layer_norm", h, True))
    if siglip:
        a.add("text head", "head",
              linear(f"{p}head", c.int("projection_size", None) or h, h, True))
    return h


def _vision_tower(a: Assembly, c: Config, p: str, siglip: bool) -> int:
    h, inter = c.int("hidden_size"), c.int("intermediate_size")
    n = patches(c)
    if siglip:  # no class token; the patch conv has a bias
        emb = conv(f"{p}embeddings.patch_embedding", h, c.int("num_channels"), c) + \
            embedding(f"{p}embeddings.position_embedding", n, h)
    else:
        emb = [Tensor(f"{p}embeddings.class_embedding", (h,), "embedding")] + \
            conv(f"{p}embeddings.patch_embedding", h, c.int("num_channels"), c, bias=False) + \
            embedding(f"{p}embeddings.position_embedding", n + 1, h) + \
            norm(f"{p}pre_layrnorm", h, True)  # sic: transformers' spelling
    a.add("vision embeddings", "embedding", emb)
    a.stack(f"{p}encoder.layers.", c.int("num_hidden_layers"), lambda i: _tower_layer(h, inter),
            title="vision layers")
    a.add("vision final norm", "norm", norm(f"{p}post_layernorm", h, True))
    if siglip and c.bool("vision_use_head"):  # attention pooling: one learned probe query
        a.add("vision head", "head", [
            Tensor(f"{p}head.probe", (1, 1, h), "other"),
            Tensor(f"{p}head.attention.in_proj_weight", (3 * h, h), "weight"),
            Tensor(f"{p}head.attention.in_proj_bias", (3 * h,), "bias")] +
            linear(f"{p}head.attention.out_proj", h, h, True) +
            norm(f"{p}head.layernorm", h, True) + linear(f"{p}head.mlp.fc1", inter, h, True) +
            linear(f"{p}head.mlp.fc2", h, inter, True))
    return h


def _tower_config(c: Config, key: str, family: str, defaults: dict[str, Any]) -> Config:
    data = c.value(key, None)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise SpecError(f"{c.where}: {key} must be an object, got {data!r}")
    return Config(data, family, defaults, where=f"{c.where}: {key}")


@register("clip_text_model", CLIP_TEXT, causal=False,
          base_class="CLIPTextModel")
def clip_text(family: str, c: Config, name: str, base: bool) -> Assembly:
    a = Assembly(name)
    _text_tower(a, c, "", False)
    return a


@register("clip_vision_model", CLIP_VISION, causal=False,
          base_class="CLIPVisionModel")
def clip_vision(family: str, c: Config, name: str, base: bool) -> Assembly:
    a = Assembly(name)
    _vision_tower(a, c, "", False)
    return a


@register("siglip_text_model", SIGLIP_TEXT, causal=False,
          base_class="SiglipTextModel")
def siglip_text(family: str, c: Config, name: str, base: bool) -> Assembly:
    a = Assembly(name)
    _text_tower(a, c, "", True)
    return a


@register("siglip_vision_model", SIGLIP_VISION, causal=False,
          base_class="SiglipVisionModel")
def siglip_vision(family: str, c: Config, name: str, base: bool) -> Assembly:
    a = Assembly(name)
    _vision_tower(a, c, "", True)
    return a


@register("clip", {"projection_dim": 512, "text_config": None, "vision_config": None},
          causal=False,
          base_class="CLIPModel", heads={IMAGE: ("", "vision classifier")})
def clip(family: str, c: Config, name: str, base: bool) -> Assembly:
    """CLIP: both towers, each projected to projection_dim, and a learned temperature."""
    a = Assembly(name)
    a.add("temperature", "other", [Tensor("logit_scale", (), "other")])
    ht = _text_tower(a, _tower_config(c, "text_config", "clip_text_model", CLIP_TEXT),
                     "text_model.", False)
    hv = _vision_tower(a, _tower_config(c, "vision_config", "clip_vision_model", CLIP_VISION),
                       "vision_model.", False)
    proj = c.int("projection_dim")
    a.add("projections", "head", linear("visual_projection", proj, hv) +
          linear("text_projection", proj, ht))
    return a


@register("siglip", {"text_config": None, "vision_config": None}, causal=False,
          base_class="SiglipModel", heads={IMAGE: ("", "vision classifier")})
def siglip(family: str, c: Config, name: str, base: bool) -> Assembly:
    """SigLIP: both towers (each with its own head) and a learned scale and bias."""
    a = Assembly(name)
    a.add("temperature", "other", [Tensor("logit_scale", (1,), "other"),
                                   Tensor("logit_bias", (1,), "other")])
    _text_tower(a, _tower_config(c, "text_config", "siglip_text_model", SIGLIP_TEXT),
                "text_model.", True)
    _vision_tower(a, _tower_config(c, "vision_config", "siglip_vision_model", SIGLIP_VISION),
                  "vision_model.", True)
    return a
