"""Zamba and Zamba2: Mamba layers, and a transformer block shared by the hybrid layers.

    layer i, by layers_block_type: a Mamba layer (mamba, input_layernorm), or a hybrid layer:
    shared_transformer (Zamba: shared_transf) over [hidden, input] (2 x hidden wide), a linear
    map (hidden x hidden) and a Mamba layer (mamba_decoder)

Zamba ties every hybrid layer's block to the first one's; Zamba2 keeps num_mem_blocks blocks and
cycles through them, each with LoRA adapters (adapter_rank) for the hybrid layers it serves.
transformers 5 ties them only where tie_word_embeddings is true (its tie_weights() ties nothing
else otherwise): with false, each hybrid layer holds its own copy, and so it is counted.
Every layer keeps a Mamba state; every hybrid layer's attention keeps its own KV cache.
"""

from __future__ import annotations

import math

from ..errors import SpecError
from ..model import AttentionLayer, Decoder, Layers, StateMixer, Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .gpt import lm_head
from .heads import decoder_heads
from .hybrid import Mixer, inner_size, layer_types
from .mamba import depthwise_conv
from .registry import SEQ, register


def _types(c: Config, default: list[str]) -> list[str]:
    """layers_block_type, 'linear_attention' (Mamba) or 'hybrid' a layer, as long as
    num_hidden_layers (the config class checks it, its default list too)."""
    layers = c.int("num_hidden_layers")
    if c.value("layers_block_type") is not None:
        return layer_types(c, "layers_block_type", layers, ("linear_attention", "hybrid"))
    if len(default) != layers:
        raise SpecError(f"{c.where}: num_hidden_layers is {layers}, and {c.family}'s default "
                        f"layers_block_type has {len(default)} layers (transformers requires "
                        f"them equal): give layers_block_type")
    return default


def _tied(tensors: list[Tensor], prefix: str, source: str | None) -> list[Tensor]:
    """A shared block's tensors under prefix; tied to the same names under source (None: its
    own)."""
    if source is None:
        return [t.prefixed(prefix) for t in tensors]
    return [Tensor(f"{prefix}{t.name}", t.shape, t.role,
                   shared_with=f"{source}{t.name}") for t in tensors]


def _attention(h: int, wide: int, heads: int, kv: int, d: int) -> list[Tensor]:
    """q, k and v read the wide input (2 x hidden); o writes hidden."""
    return linear("self_attn.q_proj", heads * d, wide) + linear("self_attn.k_proj", kv * d, wide) \
        + linear("self_attn.v_proj", kv * d, wide) + linear("self_attn.o_proj", h, heads * d)


def _decoder(c: Config, inter: int, types: list[str], attention: AttentionLayer,
             state: int, scan: int, mixer: StateMixer | None = None) -> Decoder:
    hybrid = types.count("hybrid")
    return Decoder(c.int("hidden_size"), inter, c.int("vocab_size"),
                   Layers((((attention,), hybrid),) if hybrid else ()),
                   state_values=len(types) * state, scan_values=len(types) * scan,
                   state_layers=types.count("linear_attention"),  # a hybrid block attends too
                   mixer=mixer)


def _head(a: Assembly, c: Config, base: bool) -> None:
    if not base:
        lm_head(a, c, c.int("vocab_size"), c.int("hidden_size"), "model.embed_tokens.weight")


@register("zamba", {
    "vocab_size": 32000, "tie_word_embeddings": True, "hidden_size": 3712,
    "attention_hidden_size": None, "intermediate_size": 14848, "num_hidden_layers": 76,
    "num_attention_heads": 16, "attention_head_dim": None, "num_key_value_heads": 16,
    "n_mamba_heads": 2, "attn_layer_period": 6, "attn_layer_offset": 4, "mamba_d_state": 16,
    "mamba_d_conv": 4, "mamba_expand": 2, "mamba_dt_rank": "auto", "mamba_conv_bias": True,
    "mamba_proj_bias": False, "layers_block_type": None},
    aliases={"layer_types": "layers_block_type", "head_dim": "attention_head_dim"},
    base_class="ZambaModel", heads=decoder_heads(SEQ))
def zamba(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, inter = c.int("hidden_size"), c.int("intermediate_size")
    heads, kv = c.int("num_attention_heads"), c.int("num_key_value_heads")
    wide = c.int("attention_hidden_size", None) or 2 * h
    d = c.int("attention_head_dim", None) or 2 * h // heads
    layers = c.int("num_hidden_layers")
    period, offset = c.int("attn_layer_period"), c.int("attn_layer_offset", least=0)
    types = _types(c, ["linear_attention", "linear_attention", "hybrid"] + [
        "hybrid" if i % period == offset else "linear_attention" for i in range(layers - 3)])
    inner, mamba_heads = c.int("mamba_expand") * h, c.int("n_mamba_heads")
    if inner % mamba_heads:
        raise SpecError(f"{c.where}: n_mamba_heads ({mamba_heads}) must divide mamba_expand x "
                        f"hidden_size ({inner})")
    n, k, hd = c.int("mamba_d_state"), c.int("mamba_d_conv"), inner // mamba_heads
    rank = math.ceil(h / 16) if c.value("mamba_dt_rank") == "auto" else c.int("mamba_dt_rank")
    bias = c.bool("mamba_proj_bias")
    # Mamba with its selective projections split by head: x_proj, dt_proj, A_log, D per head
    mamba = linear("mamba.in_proj", 2 * inner, h, bias) + \
        depthwise_conv("mamba.conv1d", inner, k, c.bool("mamba_conv_bias")) + [
            Tensor("mamba.x_proj_weight", (mamba_heads, rank + 2 * n, hd), "weight"),
            Tensor("mamba.dt_proj_weight", (mamba_heads, hd, rank), "weight"),
            Tensor("mamba.dt_proj_bias", (mamba_heads, hd), "bias"),
            Tensor("mamba.A_log", (mamba_heads, hd, n), "other"),
            Tensor("mamba.D", (mamba_heads, hd), "other")] + \
        linear("mamba.out_proj", h, inner, bias) + norm("input_layernorm", h)
    block = _attention(h, wide, heads, kv, d) + \
        linear("feed_forward.gate_proj", inter, h) + linear("feed_forward.up_proj", inter, h) + \
        linear("feed_forward.down_proj", h, inter) + norm("input_layernorm", wide) + \
        norm("pre_ff_layernorm", h)
    p = "" if base else "model."
    first = types.index("hybrid") if "hybrid" in types else None

    def layer(i: int) -> Layer:
        if types[i] != "hybrid":
            return {"mixer": mamba}
        tied = i != first and c.bool("tie_word_embeddings")
        source = f"{p}layers.{first}.shared_transf." if tied else None
        return {"shared block": _tied(block, "shared_transf.", source),
                "mixer": linear("linear", h, h) + [t.prefixed("mamba_decoder.") for t in mamba]}

    a = Assembly(name)
    a.decoder = _decoder(c, inter, types, AttentionLayer(heads, kv, d, d),
                         inner * k + inner * n, inner * n)
    a.add("embeddings", "embedding", embedding(f"{p}embed_tokens", c.int("vocab_size"), h))
    a.stack(f"{p}layers.", len(types), layer, starts=range(len(types)))
    a.add("final norm", "norm", norm(f"{p}final_layernorm", h))
    _head(a, c, base)
    return a


ZAMBA2_TYPES = ["linear_attention"] + (["linear_attention"] * 5 + ["hybrid"]) * 7 + \
    ["linear_attention"] * 4 + ["hybrid"] + ["linear_attention"] * 3 + ["hybrid"] + \
    ["linear_attention"] * 2


@register("zamba2", {
    "vocab_size": 32000, "hidden_size": 2560, "num_hidden_layers": 54, "layers_block_type": None,
    "mamba_d_state": 64,
    "mamba_d_conv": 4, "mamba_expand": 2, "mamba_ngroups": 1, "n_mamba_heads": 8,
    "add_bias_linear": False, "intermediate_size": None, "num_attention_heads": 32,
    "num_key_value_heads": None, "num_mem_blocks": 1, "use_shared_attention_adapter": False,
    "adapter_rank": 128, "tie_word_embeddings": True},
    aliases={"layer_types": "layers_block_type"}, base_class="Zamba2Model",
    heads=decoder_heads(SEQ))
def zamba2(family: str, c: Config, name: str, base: bool) -> Assembly:
    # the config class works out the attention's sizes (a head_dim given is overwritten)
    h = c.int("hidden_size")
    inter = c.int("intermediate_size", None) or 4 * h
    heads = c.int("num_attention_heads")
    kv, d = c.int("num_key_value_heads", heads), 2 * h // heads
    types = _types(c, ZAMBA2_TYPES)
    hybrid = [i for i, x in enumerate(types) if x == "hybrid"]
    blocks, rank = c.int("num_mem_blocks"), c.int("adapter_rank")
    mixer = Mixer(inner_size(c, "mamba_expand"), c.int("n_mamba_heads"),
                  c.int("mamba_ngroups"), c.int("mamba_d_state"), c.int("mamba_d_conv"))
    bias = c.bool("add_bias_linear")
    mamba = mixer.tensors("mamba", h, bias, bias, True) + norm("input_layernorm", h)
    p = "" if base else "model."

    def block(j: int) -> list[Tensor]:
        """The shared block of the j-th hybrid layer (j < num_mem_blocks): its adapters serve the
        hybrid layers i with i % num_mem_blocks == j."""
        served = [i for i in range(len(hybrid)) if i % blocks == j]
        out = _attention(h, 2 * h, heads, kv, d)
        if c.bool("use_shared_attention_adapter"):
            for x in ("q", "k", "v"):
                for i in served:
                    out += linear(f"self_attn.linear_{x}_adapter_list.{i}.0", rank, 2 * h) + \
                        linear(f"self_attn.linear_{x}_adapter_list.{i}.1", 2 * h, rank)
        out += linear("feed_forward.gate_up_proj", 2 * inter, h, bias) + \
            linear("feed_forward.down_proj", h, inter, bias)
        for i in served:
            out += linear(f"feed_forward.gate_up_proj_adapter_list.{i}.0", rank, h) + \
                linear(f"feed_forward.gate_up_proj_adapter_list.{i}.1", 2 * inter, rank)
        return out + norm("input_layernorm", 2 * h) + norm("pre_ff_layernorm", h)

    def layer(i: int) -> Layer:
        if types[i] != "hybrid":
            return {"mixer": mamba}
        j = hybrid.index(i)
        tied = j >= blocks and c.bool("tie_word_embeddings")
        source = f"{p}layers.{hybrid[j % blocks]}.shared_transformer." if tied else None
        return {"shared block": _tied(block(j % blocks), "shared_transformer.", source),
                "mixer": linear("linear", h, h) + [t.prefixed("mamba_decoder.") for t in mamba]}

    a = Assembly(name)
    # the cache keeps heads x (I // heads) x N of SSM state a layer
    ssm = mixer.heads * (mixer.inner // mixer.heads) * mixer.n
    a.decoder = _decoder(c, inter, types, AttentionLayer(heads, kv, d, d),
                         (mixer.inner + 2 * mixer.groups * mixer.n) * mixer.k + ssm, ssm,
                         StateMixer("mamba2", len(types), mixer.inner, mixer.k, mixer.n,
                                    mixer.heads, mixer.inner // mixer.heads, mixer.groups))
    a.add("embeddings", "embedding", embedding(f"{p}embed_tokens", c.int("vocab_size"), h))
    a.stack(f"{p}layers.", len(types), layer, starts=range(len(types)))
    a.add("final norm", "norm", norm(f"{p}final_layernorm", h))
    _head(a, c, base)
    return a
