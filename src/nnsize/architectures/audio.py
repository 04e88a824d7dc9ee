"""wav2vec 2.0 and HuBERT: a stack of 1-D convolutions over the raw waveform, a projection to the
transformer's width, a convolutional relative position embedding, and a transformer encoder.

    feature_extractor.conv_layers.{i} -> feature_projection -> encoder: pos_conv_embed,
    layer_norm, layers.{i} (attention, feed_forward, two norms)      (the base model, Wav2Vec2Model)
"""

from __future__ import annotations

from ..errors import SpecError
from ..model import Tensor
from .assembly import Assembly, Layer, linear, norm
from .config import Config
from .registry import CTC, SEQ, register


def _sizes(c: Config, key: str) -> list[int]:
    v = c.value(key)
    if not isinstance(v, (list, tuple)) or not v or \
            not all(isinstance(x, int) and not isinstance(x, bool) and x > 0 for x in v):
        raise SpecError(f"{c.where}: {key} must be a list of positive whole numbers, got {v!r}")
    return list(v)


def _probability(c: Config, key: str) -> float:
    v = c.value(key)
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise SpecError(f"{c.where}: {key} must be a number, got {v!r}")
    return float(v)


WAV2VEC2 = {"conv_dim": [512] * 7, "conv_stride": [5, 2, 2, 2, 2, 2, 2],
            "conv_kernel": [10, 3, 3, 3, 3, 2, 2], "conv_bias": False,
            "feat_extract_norm": "group", "num_conv_pos_embeddings": 128,
            "num_conv_pos_embedding_groups": 16, "mask_time_prob": 0.05,
            "mask_feature_prob": 0.0,
            # read by the task heads (ForCTC's lm_head, ForSequenceClassification's projector)
            "vocab_size": 32, "classifier_proj_size": 256, "use_weighted_layer_sum": False}


@register("wav2vec2", {**WAV2VEC2, "add_adapter": False}, causal=False,
          base_class="Wav2Vec2Model",
          heads={CTC: ("wav2vec2", "ctc"), SEQ: ("wav2vec2", "projected classifier")})
@register("hubert", {**WAV2VEC2, "feat_proj_layer_norm": True}, causal=False,
          base_class="HubertModel",
          heads={CTC: ("hubert", "ctc"), SEQ: ("hubert", "projected classifier")})
def wav2vec2(family: str, c: Config, name: str, base: bool) -> Assembly:
    """HuBERT keeps wav2vec 2.0's layout; its projection's norm is optional
    (feat_proj_layer_norm), and it has no adapter."""
    h, inter = c.int("hidden_size"), c.int("intermediate_size")
    dims, kernels = _sizes(c, "conv_dim"), _sizes(c, "conv_kernel")
    if len(kernels) != len(dims) or len(_sizes(c, "conv_stride")) != len(dims):
        raise SpecError(f"{c.where}: conv_dim, conv_kernel and conv_stride must be as long as "
                        f"each other, got {len(dims)}, {len(kernels)}, "
                        f"{len(_sizes(c, 'conv_stride'))}")
    if c.bool("add_adapter", False):
        raise SpecError(f"{c.where}: add_adapter: true (an adapter after the encoder) is not "
                        f"built by nnsize")
    norm_kind = c.value("feat_extract_norm")
    if norm_kind not in ("group", "layer"):
        raise SpecError(f"{c.where}: feat_extract_norm must be 'group' or 'layer', got "
                        f"{norm_kind!r}")
    bias = c.bool("conv_bias")
    a = Assembly(name)
    if _probability(c, "mask_time_prob") > 0 or _probability(c, "mask_feature_prob") > 0:
        a.add("mask embedding", "embedding", [Tensor("masked_spec_embed", (h,), "embedding")])
    convs: list[Tensor] = []
    for i, (out, k) in enumerate(zip(dims, kernels, strict=True)):
        p = f"feature_extractor.conv_layers.{i}"
        convs.append(Tensor(f"{p}.conv.weight", (out, dims[i - 1] if i else 1, k), "weight"))
        if bias:
            convs.append(Tensor(f"{p}.conv.bias", (out,), "bias"))
        # "group": one GroupNorm (a group a channel) after the first conv; "layer": a
        # LayerNorm after each
        if norm_kind == "layer" or i == 0:
            convs += norm(f"{p}.layer_norm", out, True)
    a.add("feature extractor", "weight", convs)
    projection_norm = norm("feature_projection.layer_norm", dims[-1], True) \
        if c.bool("feat_proj_layer_norm", True) else []
    a.add("feature projection", "weight", projection_norm +
          linear("feature_projection.projection", h, dims[-1], True))
    k, groups = c.int("num_conv_pos_embeddings"), c.int("num_conv_pos_embedding_groups")
    # weight normalisation over dim 2: a magnitude per kernel position and the direction
    a.add("position convolution", "weight", [
        Tensor("encoder.pos_conv_embed.conv.bias", (h,), "bias"),
        Tensor("encoder.pos_conv_embed.conv.parametrizations.weight.original0", (1, 1, k),
               "weight"),
        Tensor("encoder.pos_conv_embed.conv.parametrizations.weight.original1",
               (h, h // groups, k), "weight")] + norm("encoder.layer_norm", h, True))

    def layer(i: int) -> Layer:
        return {"attention": linear("attention.k_proj", h, h, True) +
                linear("attention.v_proj", h, h, True) + linear("attention.q_proj", h, h, True) +
                linear("attention.out_proj", h, h, True),
                "mlp": linear("feed_forward.intermediate_dense", inter, h, True) +
                linear("feed_forward.output_dense", h, inter, True),
                "norms": norm("layer_norm", h, True) + norm("final_layer_norm", h, True)}

    a.stack("encoder.layers.", c.int("num_hidden_layers"), layer)
    return a
