"""Wav2Vec2-BERT (w2v-BERT 2.0): a Conformer encoder over log-mel features, as transformers
builds its base model (Wav2Vec2BertModel).

    feature_projection (norm, linear to hidden) -> encoder.layers.{i}: half-step FFN, self
    attention (with relative, relative_key or rotary positions), a convolution module
    (pointwise -> GLU -> depthwise -> norm -> pointwise), half-step FFN, final norm
    [-> intermediate_ffn] [-> adapter.layers.{i}: strided convolutions and attention]
"""

from __future__ import annotations

from ..errors import SpecError, shown
from ..model import Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .registry import CTC, SEQ, register

POSITIONS = ("relative", "relative_key", "rotary", None)


def _ffn(name: str, inter: int, h: int) -> list[Tensor]:
    return linear(f"{name}.intermediate_dense", inter, h, True) + \
        linear(f"{name}.output_dense", h, inter, True)


def _attention(h: int, heads: int, positions: str | None, c: Config) -> list[Tensor]:
    """linear_q, k, v, out; relative: linear_pos and two biases a head; relative_key: a table
    of left + right + 1 distances, head_size wide."""
    t = linear("self_attn.linear_q", h, h, True) + linear("self_attn.linear_k", h, h, True) + \
        linear("self_attn.linear_v", h, h, True) + linear("self_attn.linear_out", h, h, True)
    if positions == "relative":
        t += linear("self_attn.linear_pos", h, h) + [
            Tensor("self_attn.pos_bias_u", (heads, h // heads), "other"),
            Tensor("self_attn.pos_bias_v", (heads, h // heads), "other")]
    if positions == "relative_key":
        distances = c.int("left_max_position_embeddings", least=0) + \
            c.int("right_max_position_embeddings", least=0) + 1
        t += embedding("self_attn.distance_embedding", distances, h // heads)
    return t


@register("wav2vec2-bert", {
    "vocab_size": None, "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
    "intermediate_size": 4096, "feature_projection_input_dim": 160, "mask_time_prob": 0.05,
    "mask_feature_prob": 0.0, "use_weighted_layer_sum": False, "classifier_proj_size": 768,
    "add_adapter": False, "adapter_kernel_size": 3, "num_adapter_layers": 1,
    "use_intermediate_ffn_before_adapter": False, "output_hidden_size": None,
    "position_embeddings_type": "relative_key", "left_max_position_embeddings": 64,
    "right_max_position_embeddings": 8, "conv_depthwise_kernel_size": 31},
    causal=False, base_class="Wav2Vec2BertModel",
    heads={CTC: ("wav2vec2_bert", "ctc"), SEQ: ("wav2vec2_bert", "projected classifier")})
def wav2vec2_bert(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, inter = c.int("hidden_size"), c.int("intermediate_size")
    heads, k = c.int("num_attention_heads"), c.int("conv_depthwise_kernel_size")
    positions = c.value("position_embeddings_type")
    if positions not in POSITIONS:
        raise SpecError(f"{c.where}: position_embeddings_type must be 'relative', "
                        f"'relative_key', 'rotary' or null, got {shown(positions)}")
    a = Assembly(name)
    d = c.int("feature_projection_input_dim")
    a.add("feature projection", "weight", norm("feature_projection.layer_norm", d, True) +
          linear("feature_projection.projection", h, d, True))
    masked = [c.value("mask_time_prob"), c.value("mask_feature_prob")]
    if any(isinstance(p, bool) or not isinstance(p, (int, float)) for p in masked):
        raise SpecError(f"{c.where}: mask_time_prob and mask_feature_prob must be numbers, got "
                        f"{shown(masked)}")
    if any(p > 0 for p in masked):
        a.add("mask embedding", "embedding", [Tensor("masked_spec_embed", (h,), "embedding")])

    def layer(i: int) -> Layer:
        return {"mlp": norm("ffn1_layer_norm", h, True) + _ffn("ffn1", inter, h) +
                norm("ffn2_layer_norm", h, True) + _ffn("ffn2", inter, h),
                "attention": norm("self_attn_layer_norm", h, True) +
                _attention(h, heads, positions, c),
                "conv": norm("conv_module.layer_norm", h, True) + [
                    Tensor("conv_module.pointwise_conv1.weight", (2 * h, h, 1), "weight"),
                    Tensor("conv_module.depthwise_conv.weight", (h, 1, k), "weight")] +
                norm("conv_module.depthwise_layer_norm", h, True) +
                [Tensor("conv_module.pointwise_conv2.weight", (h, h, 1), "weight")],
                "norms": norm("final_layer_norm", h, True)}

    a.stack("encoder.layers.", c.int("num_hidden_layers"), layer)
    adapter = c.bool("add_adapter")
    if c.bool("use_intermediate_ffn_before_adapter"):
        if not adapter:
            raise SpecError(f"{c.where}: use_intermediate_ffn_before_adapter is true but "
                            f"add_adapter is false, which transformers refuses")
        a.add("intermediate FFN", "mlp", _ffn("intermediate_ffn", inter, h))
    if adapter:
        o, ak = width(c), c.int("adapter_kernel_size")
        if o != h:
            a.add("adapter projection", "weight", linear("adapter.proj", o, h, True) +
                  norm("adapter.proj_layer_norm", o, True))

        def adapter_layer(i: int) -> Layer:
            def strided(name: str) -> list[Tensor]:
                return [Tensor(f"{name}.weight", (2 * o, o, ak), "weight"),
                        Tensor(f"{name}.bias", (2 * o,), "bias")]

            return {"conv": norm("residual_layer_norm", o, True) + strided("residual_conv") +
                    norm("self_attn_layer_norm", o, True) + strided("self_attn_conv"),
                    "attention": _attention(o, heads, None, c),
                    "mlp": norm("ffn_layer_norm", o, True) + _ffn("ffn", inter, o)}

        a.stack("adapter.layers.", c.int("num_adapter_layers"), adapter_layer,
                title="adapter layers")
    return a


def width(c: Config) -> int:
    """The width the encoder's output has: output_hidden_size after an adapter (null: the
    hidden size), else the hidden size."""
    if c.bool("add_adapter"):
        return c.int("output_hidden_size", None) or c.int("hidden_size")
    return c.int("hidden_size")
