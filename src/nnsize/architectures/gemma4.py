"""Gemma 4's language model (gemma4_text), as transformers builds it.

    embed_tokens (and, with hidden_size_per_layer_input, Gemma 3n's per-layer embeddings and
    projection); layer i: attention whose full-attention layers take per_layer_config's head_dim
    and num_key_value_heads (global_head_dim, num_global_key_value_heads in a config written
    by hand), without v_proj there under attention_k_eq_v; the last num_kv_shared_layers layers
    reuse earlier keys and values (no k_proj, v_proj, k_norm; their MLP twice as wide under
    use_double_wide_mlp); a gated MLP, four norms, a layer_scalar buffer; with
    enable_moe_block, a router and experts beside the MLP, and three more norms

The last layer is always a full-attention one (transformers forces it).  Every layer attends
(compute counts them all); only the layers that compute keys and values cache them
(sliding_window long on the sliding layers).
"""

from __future__ import annotations

from fractions import Fraction
from typing import Any

from ..errors import SpecError, shown
from ..model import AttentionLayer, Decoder, Layers, Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .gpt import lm_head
from .hybrid import layer_types
from .registry import register

OVERRIDES = ("head_dim", "num_key_value_heads")  # what per_layer_config may change here


def _per_layer(c: Config, types: list[str]) -> dict[int, dict[str, int]]:
    """Each layer's head_dim and num_key_value_heads overrides."""
    raw = c.value("per_layer_config", None)
    if raw is None:  # the config class fills it in for the full-attention layers
        full: dict[str, int] = {"head_dim": c.int("global_head_dim", 512)}
        if c.bool("attention_k_eq_v") and c.value("num_global_key_value_heads", None) is not None:
            full["num_key_value_heads"] = c.int("num_global_key_value_heads")
        return {i: full for i, t in enumerate(types) if t == "full_attention"}
    if not isinstance(raw, dict):
        raise SpecError(f"{c.where}: per_layer_config maps layer numbers to overrides, got "
                        f"{shown(raw)}")
    out: dict[int, dict[str, int]] = {}
    for key, overrides in raw.items():
        try:
            i = int(key)
        except (TypeError, ValueError):
            raise SpecError(f"{c.where}: per_layer_config's keys are layer numbers, got "
                            f"{shown(key)}") from None
        if not isinstance(overrides, dict) or set(overrides) - set(OVERRIDES) or not all(
                isinstance(x, int) and not isinstance(x, bool) and x > 0
                for x in overrides.values()):
            raise SpecError(f"{c.where}: per_layer_config[{shown(key)}] may set "
                            f"{' and '.join(OVERRIDES)} (positive whole numbers) here, got "
                            f"{shown(overrides)}")
        out[i] = overrides
    return out


def _sharing(c: Config, types: list[str], shared: int) -> int:
    """The first layer that reuses keys and values (as many layers as there are: none)."""
    layers = len(types)
    if shared == 0:
        return layers
    if shared >= layers:
        return 0
    first = layers - shared
    if set(types[:first]) != set(types):
        raise SpecError(f"{c.where}: the last num_kv_shared_layers ({shared}) layers reuse "
                        f"keys and values of an earlier layer of their type, and "
                        f"{shown(sorted(set(types) - set(types[:first])))} has none")
    return first


@register("gemma4_text", {
    "vocab_size": 262_144, "hidden_size": 2304, "intermediate_size": 9216,
    "num_hidden_layers": 30, "num_attention_heads": 8, "num_key_value_heads": 4, "head_dim": 256,
    "tie_word_embeddings": True, "attention_bias": False, "sliding_window": 512,
    "layer_types": None, "vocab_size_per_layer_input": 262_144,
    "hidden_size_per_layer_input": 256, "attention_k_eq_v": False, "num_kv_shared_layers": 0,
    "enable_moe_block": False, "use_double_wide_mlp": False, "num_experts": None,
    "top_k_experts": None, "moe_intermediate_size": None}, base_class="Gemma4TextModel")
def gemma4_text(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, v, layers = c.int("hidden_size"), c.int("vocab_size"), c.int("num_hidden_layers")
    heads, bias = c.int("num_attention_heads"), c.bool("attention_bias")
    types = ["full_attention" if (i + 1) % 6 == 0 else "sliding_attention"
             for i in range(layers)] if c.value("layer_types") is None else \
        layer_types(c, "layer_types", layers, ("full_attention", "sliding_attention"))
    types = types[:-1] + ["full_attention"]  # transformers forces the last layer so
    overrides = _per_layer(c, types)
    first_shared = _sharing(c, types, c.int("num_kv_shared_layers", least=0))
    k_eq_v, double = c.bool("attention_k_eq_v"), c.bool("use_double_wide_mlp")
    inter, pl = c.int("intermediate_size"), c.int("hidden_size_per_layer_input", least=0)
    moe = c.bool("enable_moe_block")
    experts = c.int("num_experts") if moe else 0
    top_k = c.int("top_k_experts") if moe else 0
    width = c.int("moe_intermediate_size") if moe else 0

    def dims(i: int) -> tuple[int, int]:
        o: dict[str, Any] = overrides.get(i, {})
        return int(o.get("head_dim", c.int("head_dim"))), \
            int(o.get("num_key_value_heads", c.int("num_key_value_heads")))

    def layer(i: int) -> Layer:
        d, kv = dims(i)
        attention = linear("self_attn.q_proj", heads * d, h, bias) + norm("self_attn.q_norm", d)
        if i < first_shared:
            attention += norm("self_attn.k_norm", d) + \
                linear("self_attn.k_proj", kv * d, h, bias)
            if not (k_eq_v and types[i] == "full_attention"):
                attention += linear("self_attn.v_proj", kv * d, h, bias)
        attention += linear("self_attn.o_proj", h, heads * d, bias)
        w = inter * (2 if double and i >= first_shared else 1)
        out: Layer = {"attention": attention,
                      "mlp": linear("mlp.gate_proj", w, h) + linear("mlp.up_proj", w, h) +
                      linear("mlp.down_proj", h, w)}
        if moe:
            out["router"] = linear("router.proj", experts, h) + [
                Tensor("router.scale", (h,), "other"),
                Tensor("router.per_expert_scale", (experts,), "other")]
            out["experts"] = [
                Tensor("experts.gate_up_proj", (experts, 2 * width, h), "weight"),
                Tensor("experts.down_proj", (experts, h, width), "weight")]
        if pl:
            out["per-layer input"] = linear("per_layer_input_gate", pl, h) + \
                linear("per_layer_projection", h, pl) + norm("post_per_layer_input_norm", h)
        out["norms"] = norm("input_layernorm", h) + norm("post_attention_layernorm", h) + \
            norm("pre_feedforward_layernorm", h) + norm("post_feedforward_layernorm", h) + \
            ((norm("post_feedforward_layernorm_1", h) + norm("post_feedforward_layernorm_2", h) +
              norm("pre_feedforward_layernorm_2", h)) if moe else []) + \
            [Tensor("layer_scalar", (1,), "other", buffer=True)]
        return out

    window = c.int("sliding_window")
    if c.value("use_bidirectional_attention", None) == "all":  # as the config class narrows it
        window = window // 2 + 1
    # every layer attends; those from first_shared on read an earlier layer's cache
    cached = Layers(tuple(((AttentionLayer(heads, dims(i)[1], dims(i)[0], dims(i)[0],
                                           window if types[i] == "sliding_attention" else None,
                                           shared_kv=i >= first_shared),), 1)
                          for i in range(layers)))
    p = "" if base else "model."
    a = Assembly(name)
    a.decoder = Decoder(h, inter * (2 if double and first_shared < layers else 1), v, cached,
                        top_k, width)
    rows = embedding(f"{p}embed_tokens", v, h)
    if pl:
        rows += embedding(f"{p}embed_tokens_per_layer", c.int("vocab_size_per_layer_input"),
                          layers * pl)
    a.add("embeddings", "embedding", rows)
    if pl:
        a.add("per-layer projection", "projection",
              linear(f"{p}per_layer_model_projection", layers * pl, h) +
              norm(f"{p}per_layer_projection_norm", pl))
    a.stack(f"{p}layers.", layers, layer, starts=range(layers),
            active={"experts": Fraction(top_k, experts) if experts else Fraction(0)})
    a.add("final norm", "norm", norm(f"{p}norm", h))
    if not base:
        lm_head(a, c, v, h, "model.embed_tokens.weight")
    return a
