"""LFM2 and LFM2-MoE (Liquid AI): short gated convolutions and attention layers, as transformers
builds them.

    layer i, by layer_types: 'conv' (conv: in_proj 3 x hidden, a depthwise conv conv_L_cache
    wide, out_proj) or attention (q, k, v, out_proj, q/k RMS norms); then a SwiGLU feed-forward
    block (w1, w3, w2), or on LFM2-MoE past num_dense_layers its experts; operator_norm, ffn_norm;
    the final norm is named embedding_norm

Only the attention layers keep a KV cache; each conv layer keeps its window, hidden x
conv_L_cache values a sequence.
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import SpecError
from ..model import AttentionLayer, Decoder, Layers, StateMixer, Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .gpt import lm_head
from .hybrid import layer_types, legacy_first
from .mamba import depthwise_conv
from .registry import register

# older names the config classes still read (the older one wins)
LEGACY = {"tie_embedding": "tie_word_embeddings", "block_ff_dim": "intermediate_size"}
COMMON = {"vocab_size": 65536, "num_hidden_layers": 32, "num_attention_heads": 32,
          "num_key_value_heads": 8, "tie_word_embeddings": True, "conv_bias": False,
          "conv_L_cache": 3, "layer_types": None}


def _lfm2_width(c: Config) -> int:
    """LFM2's feed-forward width: with block_auto_adjust_ff_dim, int(2/3 x intermediate_size)
    times block_ffn_dim_multiplier, rounded up to block_multiple_of."""
    width = c.int("intermediate_size")
    if not c.bool("block_auto_adjust_ff_dim"):
        return width
    width = int(2 * width / 3)
    multiplier = c.value("block_ffn_dim_multiplier")
    if isinstance(multiplier, bool) or not isinstance(multiplier, (int, float)):
        raise SpecError(f"{c.where}: block_ffn_dim_multiplier must be a number, got "
                        f"{multiplier!r}")
    step = c.int("block_multiple_of")
    return step * ((int(multiplier * width) + step - 1) // step)


def _build(c: Config, name: str, base: bool, moe: bool) -> Assembly:
    c = legacy_first(c, LEGACY if not moe else {"tie_embedding": "tie_word_embeddings"})
    h, layers = c.int("hidden_size"), c.int("num_hidden_layers")
    heads = c.int("num_attention_heads")
    kv, d = c.int("num_key_value_heads"), c.int("head_dim", h // heads)
    if c.value("layer_types") is not None:
        types = layer_types(c, "layer_types", layers, ("full_attention", "conv"))
    elif moe:
        raise SpecError(f"{c.where}: missing 'layer_types', which an lfm2_moe model needs (its "
                        f"config class has no default, and transformers fails without)")
    else:  # full_attn_idxs, else attention everywhere
        listed = c.value("full_attn_idxs", None)
        attention = range(layers) if listed is None else set(c.ints("full_attn_idxs"))
        types = ["full_attention" if i in attention else "conv" for i in range(layers)]
    bias, window = c.bool("conv_bias"), c.int("conv_L_cache")
    dense = c.int("num_dense_layers", least=0) if moe else layers
    inter = c.int("intermediate_size") if moe else _lfm2_width(c)
    experts = c.int("num_experts") if moe else 0
    top_k = c.int("num_experts_per_tok") if moe else 0

    def layer(i: int) -> Layer:
        out: Layer = {}
        if types[i] == "conv":
            out["mixer"] = linear("conv.in_proj", 3 * h, h, bias) + \
                depthwise_conv("conv.conv", h, window, bias) + linear("conv.out_proj", h, h, bias)
        else:
            out["attention"] = linear("self_attn.q_proj", heads * d, h) + \
                linear("self_attn.k_proj", kv * d, h) + linear("self_attn.v_proj", kv * d, h) + \
                linear("self_attn.out_proj", h, heads * d) + \
                norm("self_attn.q_layernorm", d) + norm("self_attn.k_layernorm", d)
        if i < dense:
            out["mlp"] = linear("feed_forward.w1", inter, h) + \
                linear("feed_forward.w3", inter, h) + linear("feed_forward.w2", h, inter)
        else:
            width = c.int("moe_intermediate_size")
            out["router"] = [Tensor("feed_forward.gate.weight", (experts, h), "weight")]
            if c.bool("use_expert_bias"):
                out["router"].append(Tensor("feed_forward.expert_bias", (experts,), "other",
                                            buffer=True))
            out["experts"] = [
                Tensor("feed_forward.experts.gate_up_proj", (experts, 2 * width, h), "weight"),
                Tensor("feed_forward.experts.down_proj", (experts, h, width), "weight")]
        out["norms"] = norm("operator_norm", h) + norm("ffn_norm", h)
        return out

    p = "" if base else "model."
    v = c.int("vocab_size")
    a = Assembly(name)
    attention_layers, conv_layers = types.count("full_attention"), types.count("conv")
    sparse = moe and dense < layers
    a.decoder = Decoder(h, inter if dense else 0, v,
                        Layers((((AttentionLayer(heads, kv, d, d),), attention_layers),)
                               if attention_layers else ()),
                        top_k if sparse else 0, c.int("moe_intermediate_size") if sparse else 0,
                        state_values=conv_layers * h * window,
                        mixer=StateMixer("short_conv", conv_layers, h, window)
                        if conv_layers else None)
    a.add("embeddings", "embedding", embedding(f"{p}embed_tokens", v, h))
    a.stack(f"{p}layers.", layers, layer, starts=range(layers),
            active={"experts": Fraction(top_k, experts) if experts else Fraction(0)})
    a.add("final norm", "norm", norm(f"{p}embedding_norm", h))
    if not base:
        lm_head(a, c, v, h, "model.embed_tokens.weight")
    return a


@register("lfm2", {**COMMON, "hidden_size": 2560, "intermediate_size": 12288,
                   "block_multiple_of": 256, "block_ffn_dim_multiplier": 1.0,
                   "block_auto_adjust_ff_dim": True, "full_attn_idxs": None},
          base_class="Lfm2Model")
def lfm2(family: str, c: Config, name: str, base: bool) -> Assembly:
    return _build(c, name, base, moe=False)


@register("lfm2_moe", {**COMMON, "hidden_size": 2048, "intermediate_size": 7168,
                       "moe_intermediate_size": 1792, "num_dense_layers": 2,
                       "num_experts_per_tok": 4, "num_experts": 32, "use_expert_bias": True},
          base_class="Lfm2MoeModel")
def lfm2_moe(family: str, c: Config, name: str, base: bool) -> Assembly:
    return _build(c, name, base, moe=True)
