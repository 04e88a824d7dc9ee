"""Gemma 3n's language model (gemma3n_text), as transformers builds it.

    embed_tokens, embed_tokens_per_layer (a vocab_size_per_layer_input x layers x
    hidden_size_per_layer_input table), per_layer_model_projection and its norm, AltUp's
    altup_num_inputs - 1 projections in and out; layer i: attention (q_norm, k_norm, v_norm
    without a weight; the last num_kv_shared_layers layers reuse an earlier layer's keys and
    values and have no k_proj, v_proj, k_norm), a gated MLP intermediate_size[i] wide, four
    norms, AltUp (router, coefficients, output scale), LAuReL (a rank-laurel_rank bypass) and the
    per-layer input gate and projection

Every layer attends (compute counts them all); only the layers that compute keys and values
cache them (sliding_window long on the sliding layers); the shared layers read those.
"""

from __future__ import annotations

from ..errors import SpecError, shown
from ..model import AttentionLayer, Decoder, Layers, Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .gpt import lm_head
from .hybrid import layer_types
from .registry import register


@register("gemma3n_text", {
    "vocab_size": 262_400, "hidden_size": 2048, "intermediate_size": 16_384,
    "num_hidden_layers": 35, "num_attention_heads": 8, "num_key_value_heads": 2, "head_dim": 256,
    "tie_word_embeddings": True, "attention_bias": False, "sliding_window": 512,
    "layer_types": None, "vocab_size_per_layer_input": 262_144,
    "hidden_size_per_layer_input": 256, "altup_num_inputs": 4, "num_kv_shared_layers": 15,
    "laurel_rank": 64}, base_class="Gemma3nTextModel")
def gemma3n_text(family: str, c: Config, name: str, base: bool) -> Assembly:
    h, v, layers = c.int("hidden_size"), c.int("vocab_size"), c.int("num_hidden_layers")
    heads, kv, d = c.int("num_attention_heads"), c.int("num_key_value_heads"), c.int("head_dim")
    if h % heads:
        raise SpecError(f"{c.where}: hidden_size ({h}) must be a multiple of "
                        f"num_attention_heads ({heads})")
    widths = c.value("intermediate_size")
    if isinstance(widths, list):
        widths = c.ints("intermediate_size")
        if len(widths) != layers:
            raise SpecError(f"{c.where}: intermediate_size lists {len(widths)} widths, one for "
                            f"each of the {layers} layers expected")
    else:
        widths = [c.int("intermediate_size")] * layers
    sparsity = c.value("activation_sparsity_pattern", None)  # no parameters, but checked
    if isinstance(sparsity, list) and len(sparsity) != layers:
        raise SpecError(f"{c.where}: activation_sparsity_pattern gives {len(sparsity)} values, "
                        f"one for each of the {layers} layers expected")
    types = ["full_attention" if (i + 1) % 5 == 0 else "sliding_attention"
             for i in range(layers)] if c.value("layer_types") is None else \
        layer_types(c, "layer_types", layers, ("full_attention", "sliding_attention"))
    shared = c.int("num_kv_shared_layers", least=0)
    first_shared = max(layers - shared, 0) if shared else layers
    if shared and set(types[:first_shared]) != set(types):
        raise SpecError(f"{c.where}: the last num_kv_shared_layers ({shared}) layers reuse "
                        f"keys and values of an earlier layer of their type, and "
                        f"{shown(sorted(set(types) - set(types[:first_shared])))} has none")
    bias, n, pl = c.bool("attention_bias"), c.int("altup_num_inputs"), \
        c.int("hidden_size_per_layer_input")
    rank = c.int("laurel_rank")

    def layer(i: int) -> Layer:
        attention = linear("self_attn.q_proj", heads * d, h, bias) + norm("self_attn.q_norm", d)
        if i < first_shared:
            attention += linear("self_attn.k_proj", kv * d, h, bias) + \
                linear("self_attn.v_proj", kv * d, h, bias) + norm("self_attn.k_norm", d)
        attention += linear("self_attn.o_proj", h, heads * d, bias)
        w = widths[i]
        return {
            "attention": attention,
            "mlp": linear("mlp.gate_proj", w, h) + linear("mlp.up_proj", w, h) +
            linear("mlp.down_proj", h, w),
            "altup": [Tensor("altup.correct_output_scale", (h,), "other")] +
            linear("altup.correction_coefs", n, n) + linear("altup.prediction_coefs", n * n, n) +
            linear("altup.modality_router", n, h) + norm("altup.router_norm", h),
            "laurel": linear("laurel.linear_left", rank, h) +
            linear("laurel.linear_right", h, rank) + norm("laurel.post_laurel_norm", h),
            "per-layer input": linear("per_layer_input_gate", pl, h) +
            linear("per_layer_projection", h, pl) + norm("post_per_layer_input_norm", h),
            "norms": norm("input_layernorm", h) + norm("post_attention_layernorm", h) +
            norm("pre_feedforward_layernorm", h) + norm("post_feedforward_layernorm", h)}

    window = c.int("sliding_window")
    # every layer attends; those from first_shared on read an earlier layer's cache
    cached = Layers(tuple(((AttentionLayer(heads, kv, d, d,
                                           window if t == "sliding_attention" else None,
                                           shared_kv=i >= first_shared),), 1)
                          for i, t in enumerate(types)))
    p = "" if base else "model."
    a = Assembly(name)
    a.decoder = Decoder(h, max(widths), v, cached)
    a.add("embeddings", "embedding", embedding(f"{p}embed_tokens", v, h) +
          embedding(f"{p}embed_tokens_per_layer", c.int("vocab_size_per_layer_input"),
                    layers * pl))
    a.add("per-layer projection", "projection",
          linear(f"{p}per_layer_model_projection", layers * pl, h) +
          norm(f"{p}per_layer_projection_norm", pl) +
          [t for j in range(n - 1) for t in linear(f"{p}altup_projections.{j}", h, h)] +
          [t for j in range(n - 1) for t in linear(f"{p}altup_unembed_projections.{j}", h, h)])
    a.stack(f"{p}layers.", layers, layer, starts=range(layers))
    a.add("final norm", "norm", norm(f"{p}norm", h))
    if not base:
        lm_head(a, c, v, h, "model.embed_tokens.weight")
    return a
