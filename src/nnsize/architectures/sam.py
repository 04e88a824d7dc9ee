"""Segment Anything (SAM), as transformers builds SamModel: a ViT image encoder with windowed
attention and a convolutional neck, a prompt encoder (points, boxes, masks) and a two-way
transformer mask decoder.

    shared_image_embedding (random Fourier features) -> vision_encoder: patch_embed, pos_embed,
    layers.{i} (windowed or global attention with relative positions, MLP), neck
    prompt_encoder: mask_embed (three convs), point and no-mask embeddings
    mask_decoder: iou and mask tokens, transformer.layers.{i} (self attention, cross attention
    both ways at hidden / 2, MLP), a final attention at hidden / attention_downsample_rate,
    upscaling convs, one hypernetwork MLP a mask token, the IoU head
"""

from __future__ import annotations

from typing import Any

from ..errors import SpecError, shown
from ..model import Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .registry import register
from .vision import conv

SAM_VISION = {"hidden_size": 768, "output_channels": 256, "num_hidden_layers": 12,
              "num_attention_heads": 12, "num_channels": 3, "image_size": 1024,
              "patch_size": 16, "qkv_bias": True, "mlp_ratio": 4.0, "use_abs_pos": True,
              "use_rel_pos": True, "window_size": 14, "global_attn_indexes": (2, 5, 8, 11),
              "num_pos_feats": 128, "mlp_dim": None}
PROMPT = {"hidden_size": 256, "mask_input_channels": 16, "num_point_embeddings": 4}
DECODER = {"hidden_size": 256, "mlp_dim": 2048, "num_hidden_layers": 2, "num_attention_heads": 8,
           "attention_downsample_rate": 2, "num_multimask_outputs": 3, "iou_head_depth": 3,
           "iou_head_hidden_dim": 256}


def _vision(a: Assembly, c: Config, p: str) -> None:
    """Layers in global_attn_indexes attend over the whole (image / patch)^2 grid, the others
    over windows of window_size^2; each keeps relative positions for 2 s - 1 offsets a side."""
    h, heads = c.int("hidden_size"), c.int("num_attention_heads")
    ratio = c.value("mlp_ratio")
    if isinstance(ratio, bool) or not isinstance(ratio, (int, float)) or ratio <= 0:
        raise SpecError(f"{c.where}: mlp_ratio must be a positive number, got {shown(ratio)}")
    inter = c.int("mlp_dim", None) or int(h * ratio)
    grid = c.int("image_size") // c.int("patch_size")
    glob = set(_indexes(c))
    window, qkv, rel = c.int("window_size", least=0), c.bool("qkv_bias"), c.bool("use_rel_pos")
    emb = conv(f"{p}patch_embed.projection", h, c.int("num_channels"), c)
    if c.bool("use_abs_pos"):
        emb.append(Tensor(f"{p}pos_embed", (1, grid, grid, h), "embedding"))
    a.add("vision embeddings", "embedding", emb)

    def layer(i: int) -> Layer:
        size = grid if i in glob or window == 0 else window
        attention = linear("attn.qkv", 3 * h, h, qkv) + linear("attn.proj", h, h, True)
        if rel:
            attention += [Tensor("attn.rel_pos_h", (2 * size - 1, h // heads), "embedding"),
                          Tensor("attn.rel_pos_w", (2 * size - 1, h // heads), "embedding")]
        return {"attention": attention,
                "mlp": linear("mlp.lin1", inter, h, True) + linear("mlp.lin2", h, inter, True),
                "norms": norm("layer_norm1", h, True) + norm("layer_norm2", h, True)}

    a.stack(f"{p}layers.", c.int("num_hidden_layers"), layer, title="vision layers",
            starts=sorted({s for g in glob for s in (g, g + 1)}))
    out = c.int("output_channels")
    a.add("vision neck", "weight", [Tensor(f"{p}neck.conv1.weight", (out, h, 1, 1), "weight")] +
          norm(f"{p}neck.layer_norm1", out, True) +
          [Tensor(f"{p}neck.conv2.weight", (out, out, 3, 3), "weight")] +
          norm(f"{p}neck.layer_norm2", out, True))


def _indexes(c: Config) -> list[int]:
    v = c.value("global_attn_indexes")
    if not isinstance(v, (list, tuple)) or \
            not all(isinstance(i, int) and not isinstance(i, bool) for i in v):
        raise SpecError(f"{c.where}: global_attn_indexes must be a list of layer numbers, got "
                        f"{shown(v)}")
    return list(v)


def _sub(c: Config, key: str, family: str, defaults: dict[str, Any]) -> Config:
    data = c.value(key, None)
    if data is None:  # SamConfig fills a sub-config left out with its class's defaults
        data = {}
    if not isinstance(data, dict):
        raise SpecError(f"{c.where}: {key} must be an object, got {shown(data)}")
    return Config(data, family, defaults, where=f"{c.where}: {key}")


def _feed_forward(name: str, width: int, hidden: int, out: int, depth: int) -> list[Tensor]:
    """SamFeedForward: proj_in, depth - 2 square layers, proj_out, all biased."""
    t = linear(f"{name}.proj_in", hidden, width, True) + \
        linear(f"{name}.proj_out", out, hidden, True)
    for k in range(depth - 2):
        t += linear(f"{name}.layers.{k}", hidden, hidden, True)
    return t


def _attention(name: str, h: int, rate: int) -> list[Tensor]:
    inner = h // rate
    return linear(f"{name}.q_proj", inner, h, True) + linear(f"{name}.k_proj", inner, h, True) \
        + linear(f"{name}.v_proj", inner, h, True) + linear(f"{name}.out_proj", h, inner, True)


@register("sam_vision_model", SAM_VISION, causal=False, base_class="SamVisionModel")
def sam_vision(family: str, c: Config, name: str, base: bool) -> Assembly:
    a = Assembly(name)
    _vision(a, c, "vision_encoder.")
    return a


@register("sam", {"vision_config": None, "prompt_encoder_config": None,
                  "mask_decoder_config": None, "tie_word_embeddings": True}, causal=False,
          base_class="SamModel")
def sam(family: str, c: Config, name: str, base: bool) -> Assembly:
    vc = _sub(c, "vision_config", "sam_vision_model", SAM_VISION)
    pc = _sub(c, "prompt_encoder_config", "sam_prompt_encoder", PROMPT)
    dc = _sub(c, "mask_decoder_config", "sam_mask_decoder", DECODER)
    a = Assembly(name)
    feats = vc.int("num_pos_feats")
    a.add("shared image embedding", "embedding",
          [Tensor("shared_image_embedding.positional_embedding", (2, feats), "embedding")])
    _vision(a, vc, "vision_encoder.")
    # the prompt encoder keeps a second positional table, tied to the first (by default)
    shared = "shared_image_embedding.positional_embedding" \
        if c.bool("tie_word_embeddings") else ""
    hp, m = pc.int("hidden_size"), pc.int("mask_input_channels")
    q = "prompt_encoder."
    a.add("prompt encoder", "embedding", [
        Tensor(f"{q}shared_embedding.positional_embedding", (2, feats), "embedding",
               shared_with=shared),
        Tensor(f"{q}mask_embed.conv1.weight", (m // 4, 1, 2, 2), "weight"),
        Tensor(f"{q}mask_embed.conv1.bias", (m // 4,), "bias"),
        Tensor(f"{q}mask_embed.conv2.weight", (m, m // 4, 2, 2), "weight"),
        Tensor(f"{q}mask_embed.conv2.bias", (m,), "bias"),
        Tensor(f"{q}mask_embed.conv3.weight", (hp, m, 1, 1), "weight"),
        Tensor(f"{q}mask_embed.conv3.bias", (hp,), "bias")] +
        norm(f"{q}mask_embed.layer_norm1", m // 4, True) +
        norm(f"{q}mask_embed.layer_norm2", m // 4 * 4, True) +
        embedding(f"{q}no_mask_embed", 1, hp) + embedding(f"{q}not_a_point_embed", 1, hp) +
        [t for i in range(pc.int("num_point_embeddings", least=0))
         for t in embedding(f"{q}point_embed.{i}", 1, hp)])
    h, inter, rate = dc.int("hidden_size"), dc.int("mlp_dim"), \
        dc.int("attention_downsample_rate")
    masks = dc.int("num_multimask_outputs", least=0) + 1
    d = "mask_decoder."
    a.add("mask decoder tokens", "embedding",
          embedding(f"{d}iou_token", 1, h) + embedding(f"{d}mask_tokens", masks, h))
    # the layers' cross attentions halve the width whatever attention_downsample_rate says
    # (transformers passes its own default, 2); the final attention reads the config's
    a.stack(f"{d}transformer.layers.", dc.int("num_hidden_layers"), lambda i: {
        "attention": _attention("self_attn", h, 1) +
        _attention("cross_attn_token_to_image", h, 2) +
        _attention("cross_attn_image_to_token", h, 2),
        "mlp": linear("mlp.lin1", inter, h, True) + linear("mlp.lin2", h, inter, True),
        "norms": [t for k in range(1, 5) for t in norm(f"layer_norm{k}", h, True)]},
        title="mask decoder layers")
    a.add("mask decoder output", "head",
          _attention(f"{d}transformer.final_attn_token_to_image", h, rate) +
          norm(f"{d}transformer.layer_norm_final_attn", h, True) +
          # transposed convolutions keep in x out x k x k
          [Tensor(f"{d}upscale_conv1.weight", (h, h // 4, 2, 2), "weight"),
           Tensor(f"{d}upscale_conv1.bias", (h // 4,), "bias"),
           Tensor(f"{d}upscale_conv2.weight", (h // 4, h // 8, 2, 2), "weight"),
           Tensor(f"{d}upscale_conv2.bias", (h // 8,), "bias")] +
          norm(f"{d}upscale_layer_norm", h // 4, True) +
          [t for j in range(masks)
           for t in _feed_forward(f"{d}output_hypernetworks_mlps.{j}", h, h, h // 8, 3)] +
          _feed_forward(f"{d}iou_prediction_head", h, dc.int("iou_head_hidden_dim"), masks,
                        dc.int("iou_head_depth")))
    return a
