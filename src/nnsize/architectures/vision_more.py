"""More image encoders, as transformers builds their base models: DeiT and BEiT (ViT's layout
with a distillation token, or relative position biases and layer scales), and the hierarchical
ConvNeXt and Swin (stages that halve the resolution and double the width).

    DeiT:     embeddings (cls, distillation, positions, patch conv) -> layers.{i} -> layernorm
              [-> pooler]
    BEiT:     embeddings (cls [, positions], patch conv) [-> shared position bias] -> layers.{i}
              (attention [+ its position bias], MLP, two norms, lambda_1 / lambda_2)
              -> layernorm or (mean pooling) pooler.layernorm
    ConvNeXt: patch conv + norm -> stages.{s} (a 2 x 2 downsampling conv after the first;
              layers.{j}: 7 x 7 depthwise conv, norm, 4x MLP, layer scale) -> layernorm
    Swin:     patch conv + norm -> layers.{s}.blocks.{j} (window attention with a relative
              position table, MLP, two norms) -> layers.{s}.downsample (but the last) -> layernorm
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError, shown
from ..model import Tensor
from .assembly import Assembly, Layer, linear, norm
from .config import Config
from .registry import IMAGE, TEACHER, register
from .vision import _pair, conv, patches


def _sizes(c: Config, key: str, count: int | None = None) -> list[int]:
    """A list of positive whole numbers (a JSON list, or the class's tuple default)."""
    v = c.value(key)
    if not isinstance(v, (list, tuple)) or not v or \
            not all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in v):
        raise SpecError(f"{c.where}: {key} must be a list of positive whole numbers, got "
                        f"{shown(v)}")
    if count is not None and len(v) < count:
        raise SpecError(f"{c.where}: {key} must give at least {count} values (one a stage), got "
                        f"{len(v)}")
    return list(v)


def _positive(c: Config, key: str) -> float:
    v = c.value(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise SpecError(f"{c.where}: {key} must be a number, got {shown(v)}")
    return float(v)


def _vit_layer(h: int, inter: int, qkv: bool, k_bias: bool = True) -> Layer:
    return {"attention": linear("attention.q_proj", h, h, qkv) +
            linear("attention.k_proj", h, h, qkv and k_bias) +
            linear("attention.v_proj", h, h, qkv) + linear("attention.o_proj", h, h, True),
            "mlp": linear("mlp.fc1", inter, h, True) + linear("mlp.fc2", h, inter, True),
            "norms": norm("layernorm_before", h, True) + norm("layernorm_after", h, True)}


VIT_SIZES: dict[str, Any] = {"hidden_size": 768, "num_hidden_layers": 12,
                             "num_attention_heads": 12, "intermediate_size": 3072,
                             "image_size": 224, "patch_size": 16, "num_channels": 3}


@register("deit", {**VIT_SIZES, "qkv_bias": True, "pooler_output_size": None}, causal=False,
          base_class="DeiTModel",
          heads={IMAGE: ("deit", "classifier"), TEACHER: ("deit", "teacher")})
def deit(family: str, c: Config, name: str, base: bool) -> Assembly:
    """DeiT: ViT with a second learned token (distillation), so patches + 2 positions."""
    h, inter = c.int("hidden_size"), c.int("intermediate_size")
    a = Assembly(name)
    a.add("embeddings", "embedding", [
        Tensor("embeddings.cls_token", (1, 1, h), "embedding"),
        Tensor("embeddings.distillation_token", (1, 1, h), "embedding"),
        Tensor("embeddings.position_embeddings", (1, patches(c) + 2, h), "embedding")] +
        conv("embeddings.patch_embeddings.projection", h, c.int("num_channels"), c))
    qkv = c.bool("qkv_bias")
    a.stack("layers.", c.int("num_hidden_layers"), lambda i: _vit_layer(h, inter, qkv))
    a.add("final norm", "norm", norm("layernorm", h, True))
    a.add("pooler", "head", linear("pooler.dense", c.int("pooler_output_size", None) or h, h,
                                   True))
    return a


@register("beit", {**VIT_SIZES, "vocab_size": 8192, "use_mask_token": False,
                   "use_absolute_position_embeddings": False,
                   "use_relative_position_bias": False,
                   "use_shared_relative_position_bias": False, "layer_scale_init_value": 0.1,
                   "use_mean_pooling": True}, causal=False, base_class="BeitModel",
          heads={IMAGE: ("beit", "pooled classifier")})
def beit(family: str, c: Config, name: str, base: bool) -> Assembly:
    """BEiT: a relative position table of (2 Wh - 1)(2 Ww - 1) + 3 entries (the class token's
    three) per head, shared or in each layer; query and value biased, key not."""
    h, inter = c.int("hidden_size"), c.int("intermediate_size")
    heads = c.int("num_attention_heads")
    (ih, iw), patch = _pair(c, "image_size"), c.int("patch_size")  # BEiT's table reads an int
    table = (2 * (ih // patch) - 1) * (2 * (iw // patch) - 1) + 3

    def bias(prefix: str) -> list[Tensor]:
        return [Tensor(f"{prefix}relative_position_bias.relative_position_bias_table",
                       (table, heads), "embedding")]

    a = Assembly(name)
    emb = [Tensor("embeddings.cls_token", (1, 1, h), "embedding")]
    if c.bool("use_mask_token"):
        emb.append(Tensor("embeddings.mask_token", (1, 1, h), "embedding"))
    if c.bool("use_absolute_position_embeddings"):
        emb.append(Tensor("embeddings.position_embeddings", (1, patches(c) + 1, h), "embedding"))
    a.add("embeddings", "embedding",
          emb + conv("embeddings.patch_embeddings.projection", h, c.int("num_channels"), c))
    if c.bool("use_shared_relative_position_bias"):
        a.add("shared position bias", "embedding", [
            Tensor("shared_position_bias.relative_position_bias_table", (table, heads),
                   "embedding")])
    scale = _positive(c, "layer_scale_init_value") > 0
    own = c.bool("use_relative_position_bias")

    def layer(i: int) -> Layer:
        out = _vit_layer(h, inter, True, k_bias=False)
        if own:
            out["attention"] = out["attention"] + bias("")
        if scale:
            out["scales"] = [Tensor("lambda_1", (h,), "other"), Tensor("lambda_2", (h,), "other")]
        return out

    a.stack("layers.", c.int("num_hidden_layers"), layer)
    if c.bool("use_mean_pooling"):  # the mean of the patch tokens, normed
        a.add("pooler", "head", norm("pooler.layernorm", h, True))
    else:
        a.add("final norm", "norm", norm("layernorm", h, True))
    return a


@register("convnext", {"num_channels": 3, "patch_size": 4, "num_stages": 4,
                       "hidden_sizes": (96, 192, 384, 768), "depths": (3, 3, 9, 3),
                       "layer_scale_init_value": 1e-6, "image_size": 224}, causal=False,
          aliases={"num_hidden_layers": "num_stages"}, base_class="ConvNextModel",
          heads={IMAGE: ("convnext", "classifier")})
def convnext(family: str, c: Config, name: str, base: bool) -> Assembly:
    stages = c.int("num_stages")
    widths, depths = _sizes(c, "hidden_sizes", stages), _sizes(c, "depths", stages)
    ph, pw = _pair(c, "patch_size")
    scale = _positive(c, "layer_scale_init_value") > 0
    a = Assembly(name)
    a.add("embeddings", "embedding", [
        Tensor("embeddings.patch_embeddings.weight", (widths[0], c.int("num_channels"), ph, pw),
               "weight"), Tensor("embeddings.patch_embeddings.bias", (widths[0],), "bias")] +
        norm("embeddings.layernorm", widths[0], True))
    for s in range(stages):
        d = widths[s]
        p = f"encoder.stages.{s}."
        if s > 0:  # a norm, then a 2 x 2 stride-2 conv to the next width
            prev = widths[s - 1]
            a.add(f"stage {s} downsampling", "weight",
                  norm(f"{p}downsampling_layer.0", prev, True) +
                  [Tensor(f"{p}downsampling_layer.1.weight", (d, prev, 2, 2), "weight"),
                   Tensor(f"{p}downsampling_layer.1.bias", (d,), "bias")])

        def layer(i: int, d: int = d) -> Layer:
            out: Layer = {
                "conv": [Tensor("dwconv.weight", (d, 1, 7, 7), "weight"),
                         Tensor("dwconv.bias", (d,), "bias")] + norm("layernorm", d, True),
                "mlp": linear("pwconv1", 4 * d, d, True) + linear("pwconv2", d, 4 * d, True)}
            if scale:
                out["mlp"] = out["mlp"] + [Tensor("layer_scale_parameter", (d,), "other")]
            return out

        a.stack(f"{p}layers.", depths[s], layer, title=f"stage {s} layers")
    a.add("final norm", "norm", norm("layernorm", widths[stages - 1], True))
    return a


@register("swin", {"image_size": 224, "patch_size": 4, "num_channels": 3, "embed_dim": 96,
                   "depths": (2, 2, 6, 2), "num_heads": (3, 6, 12, 24), "window_size": 7,
                   "mlp_ratio": 4.0, "qkv_bias": True, "use_absolute_embeddings": False},
          causal=False, aliases={"num_attention_heads": "num_heads",
                                 "num_hidden_layers": "num_layers"}, base_class="SwinModel",
          heads={IMAGE: ("swin", "classifier")})
def swin(family: str, c: Config, name: str, base: bool) -> Assembly:
    """Swin: stage s is embed_dim x 2^s wide; a window of w x w tokens attends with a table of
    (2w - 1)^2 relative positions per head; patch merging concatenates 2 x 2 neighbours (4d)
    and projects them to 2d."""
    depths = _sizes(c, "depths")
    heads = _sizes(c, "num_heads", len(depths))
    e, w = c.int("embed_dim"), c.int("window_size")
    ratio = _positive(c, "mlp_ratio")
    qkv = c.bool("qkv_bias")
    a = Assembly(name)
    emb = conv("embeddings.patch_embeddings.projection", e, c.int("num_channels"), c) + \
        norm("embeddings.norm", e, True)
    if c.bool("use_absolute_embeddings"):
        emb.append(Tensor("embeddings.position_embeddings", (1, patches(c), e), "embedding"))
    a.add("embeddings", "embedding", emb)
    for s, depth in enumerate(depths):
        d, n = e * 2**s, heads[s]
        inter = int(ratio * d)

        def block(i: int, d: int = d, n: int = n, inter: int = inter) -> Layer:
            return {"attention": linear("attention.q_proj", d, d, qkv) +
                    linear("attention.k_proj", d, d, qkv) + linear("attention.v_proj", d, d, qkv)
                    + linear("attention.o_proj", d, d, True) +
                    [Tensor("attention.relative_position_bias.relative_position_bias_table",
                            ((2 * w - 1) ** 2, n), "embedding")],
                    "mlp": linear("mlp.fc1", inter, d, True) + linear("mlp.fc2", d, inter, True),
                    "norms": norm("layernorm_before", d, True) + norm("layernorm_after", d, True)}

        a.stack(f"encoder.layers.{s}.blocks.", depth, block, title=f"stage {s} blocks")
        if s < len(depths) - 1:
            a.add(f"stage {s} patch merging", "weight",
                  linear(f"encoder.layers.{s}.downsample.reduction", 2 * d, 4 * d) +
                  norm(f"encoder.layers.{s}.downsample.norm", 4 * d, True))
    a.add("final norm", "norm", norm("layernorm", width(family, c), True))
    return a


def width(family: str, c: Config) -> int:
    """The width a classifier reads: ConvNeXt's last stage, Swin's embed_dim x 2^(stages - 1)."""
    if family == "convnext":
        stages = c.int("num_stages")
        return _sizes(c, "hidden_sizes", stages)[stages - 1]
    if family == "swin":
        return c.int("embed_dim") << (len(_sizes(c, "depths")) - 1)  # x 2^(stages - 1)
    return c.int("hidden_size")
