"""Jamba: Mamba layers and attention layers interleaved, every other feed-forward block a mixture
of experts.

    layer i: attention if i % attn_layer_period == attn_layer_offset, else a Mamba mixer (with
    RMS norms on dt, B and C); experts if i % expert_layer_period == expert_layer_offset
"""

from __future__ import annotations

import math

from ..errors import SpecError
from ..model import AttentionLayer, Decoder, Layers, StateMixer, Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .heads import decoder_heads
from .mamba import selective_scan
from .registry import SEQ, register


@register("jamba", {"vocab_size": 65536, "tie_word_embeddings": False, "num_key_value_heads": 8,
                    "num_experts_per_tok": 2, "num_experts": 16, "expert_layer_period": 2,
                    "expert_layer_offset": 1, "attn_layer_period": 8, "attn_layer_offset": 4,
                    "mamba_d_state": 16, "mamba_d_conv": 4, "mamba_expand": 2,
                    "mamba_dt_rank": "auto", "mamba_conv_bias": True, "mamba_proj_bias": False},
          aliases={"num_local_experts": "num_experts"},
          base_class="JambaModel", heads=decoder_heads(SEQ))
def jamba(family: str, c: Config, name: str, base: bool) -> Assembly:
    from fractions import Fraction

    h, v, inter = c.int("hidden_size"), c.int("vocab_size"), c.int("intermediate_size")
    heads, kv = c.int("num_attention_heads"), c.int("num_key_value_heads")
    layers, experts, top_k = c.int("num_hidden_layers"), c.int("num_experts"), \
        c.int("num_experts_per_tok")
    if experts > 1 and top_k > experts:  # one expert: every layer a dense MLP, no routing
        raise SpecError(f"num_experts_per_tok = {top_k:,} is more than the {experts:,} experts "
                        f"(num_experts): a token cannot be routed to more experts than there are")
    n, k, inner = c.int("mamba_d_state"), c.int("mamba_d_conv"), c.int("mamba_expand") * h
    rank = math.ceil(h / 16) if c.value("mamba_dt_rank") == "auto" else c.int("mamba_dt_rank")
    bias, conv_bias = c.bool("mamba_proj_bias"), c.bool("mamba_conv_bias")
    attn_period, attn_offset = c.int("attn_layer_period"), c.int("attn_layer_offset", least=0)
    moe_period, moe_offset = c.int("expert_layer_period"), c.int("expert_layer_offset", least=0)
    d = h // heads

    def attention(i: int) -> bool:
        return i % attn_period == attn_offset

    def layer(i: int) -> Layer:
        out: Layer = {}
        if attention(i):
            out["attention"] = linear("self_attn.q_proj", heads * d, h) + \
                linear("self_attn.k_proj", kv * d, h) + linear("self_attn.v_proj", kv * d, h) + \
                linear("self_attn.o_proj", h, heads * d)
        else:
            out["mixer"] = selective_scan("mamba", h, inner, n, k, rank, bias, conv_bias) + \
                norm("mamba.dt_layernorm", rank) + norm("mamba.b_layernorm", n) + \
                norm("mamba.c_layernorm", n)
        if i % moe_period == moe_offset and experts > 1:
            out["router"] = linear("feed_forward.router", experts, h)
            out["experts"] = [
                Tensor("feed_forward.experts.gate_up_proj", (experts, 2 * inter, h), "weight"),
                Tensor("feed_forward.experts.down_proj", (experts, h, inter), "weight")]
        else:
            out["mlp"] = linear("feed_forward.gate_proj", inter, h) + \
                linear("feed_forward.up_proj", inter, h) + \
                linear("feed_forward.down_proj", h, inter)
        out["norms"] = norm("input_layernorm", h) + norm("pre_ff_layernorm", h)
        return out

    p = "" if base else "model."
    a = Assembly(name)
    # layers i with i % period == offset: ceil((layers - offset) / period) of them
    attention_layers = -(-(layers - attn_offset) // attn_period) if attn_offset < layers else 0
    sparse = moe_offset < layers and experts > 1
    a.decoder = Decoder(h, inter, v, Layers((((AttentionLayer(heads, kv, d, d),),
                                              attention_layers),) if attention_layers else ()),
                        top_k if sparse else 0, inter if sparse else 0,
                        state_values=(layers - attention_layers) * (inner * k + inner * n),
                        scan_values=(layers - attention_layers) * inner * n,
                        state_layers=layers - attention_layers,
                        mixer=StateMixer("mamba1", layers - attention_layers, inner, k, n)
                        if layers > attention_layers else None)
    a.add("embeddings", "embedding", embedding(f"{p}embed_tokens", v, h))
    # any layer may differ from the one before (stack() refuses past MAX_RUNS runs)
    a.stack(f"{p}layers.", layers, layer, active={"experts": Fraction(top_k, experts)},
            starts=range(layers))
    a.add("final norm", "norm", norm(f"{p}final_layernorm", h))
    if not base:
        tied = c.bool("tie_word_embeddings")
        head = Tensor("lm_head.weight", (v, h), "embedding",
                      shared_with="model.embed_tokens.weight") if tied else \
            Tensor("lm_head.weight", (v, h), "weight")
        a.add("head" + (" (tied to the embeddings)" if tied else ""), "head", [head])
    return a
