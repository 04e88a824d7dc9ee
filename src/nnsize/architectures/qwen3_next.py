"""Qwen3-Next and Qwen3.5 (qwen3_5_text, qwen3_5_moe_text: the language models of the Qwen3.5
image-text models): gated DeltaNet (linear attention) layers and gated attention layers, a mixture
of experts with a gated shared expert, as transformers builds them.

    layer i, by layer_types (else every full_attention_interval-th layer attention):
    linear_attn (in_proj_qkvz, in_proj_ba, a depthwise conv over q, k and v, dt_bias, A_log, a
    gated norm over one value head, out_proj) or self_attn (q_proj twice as wide: queries and
    their gate; q_norm, k_norm); then mlp: experts where Qwen's sparse step says, else dense

Qwen3.5 differs by the small table VARIANTS: the DeltaNet's input projections apart (in_proj_qkv,
in_proj_z, in_proj_b, in_proj_a, the same widths as Qwen3-Next's in_proj_qkvz and in_proj_ba), and
its MLP: dense in every layer (qwen3_5_text) or experts in every layer (qwen3_5_moe_text, whose
config class drops decoder_sparse_step and mlp_only_layers; a config that sets them otherwise is
refused by name).  transformers builds no multi-token-prediction layers (mtp_num_hidden_layers:
the checkpoint's mtp.* tensors are not loaded), and always the attention's output gate
(attn_output_gate false is refused by name).

Only the attention layers keep a KV cache; each linear-attention layer keeps its conv window
and its recurrent state (value heads x key head size x value head size) a sequence.  Qwen3.5's
configs fix that state's dtype (mamba_ssm_dtype, "float32" in every published one): vLLM keeps
the recurrent state at it (Qwen3_5ForConditionalGenerationConfig sets mamba_ssm_cache_dtype from
it; memory.vllm_kv), so it is read here; transformers' config class does not know the key.
"""

from __future__ import annotations

from fractions import Fraction

from ..errors import SpecError, shown
from ..model import AttentionLayer, Decoder, Layers, StateMixer, Tensor
from .assembly import Assembly, Layer, embedding, linear, norm
from .config import Config
from .gpt import lm_head
from .heads import decoder_heads
from .hybrid import layer_types
from .mamba import depthwise_conv
from .registry import QA, SEQ, TOKEN, register


def _gated(p: str, h: int, inter: int) -> list[Tensor]:
    return linear(f"{p}.gate_proj", inter, h) + linear(f"{p}.up_proj", inter, h) + \
        linear(f"{p}.down_proj", h, inter)


# model_type: (the DeltaNet's input projections apart, its MLP: "step" by decoder_sparse_step and
# mlp_only_layers, "dense" or "experts" in every layer)
VARIANTS = {"qwen3_next": (False, "step"), "qwen3_5_text": (True, "dense"),
            "qwen3_5_moe_text": (True, "experts")}
_QWEN35_TEXT = {
    "vocab_size": 248320, "hidden_size": 4096, "intermediate_size": 12288,
    "num_hidden_layers": 32, "num_attention_heads": 16, "num_key_value_heads": 4,
    "tie_word_embeddings": False, "attention_bias": False, "head_dim": 256,
    "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_value_head_dim": 128,
    "linear_num_key_heads": 16, "linear_num_value_heads": 32, "layer_types": None}
_QWEN35_MOE = {
    "vocab_size": 248320, "hidden_size": 2048, "num_hidden_layers": 40,
    "num_attention_heads": 16, "num_key_value_heads": 2, "tie_word_embeddings": False,
    "attention_bias": False, "head_dim": 256, "linear_conv_kernel_dim": 4,
    "linear_key_head_dim": 128, "linear_value_head_dim": 128, "linear_num_key_heads": 16,
    "linear_num_value_heads": 32, "moe_intermediate_size": 512,
    "shared_expert_intermediate_size": 512, "num_experts_per_tok": 8, "num_experts": 256,
    "layer_types": None}


@register("qwen3_5_moe_text", _QWEN35_MOE, base_class="Qwen3_5MoeTextModel",
          lm_class="Qwen3_5MoeForCausalLM")
@register("qwen3_5_text", _QWEN35_TEXT, base_class="Qwen3_5TextModel",
          lm_class="Qwen3_5ForCausalLM")
@register("qwen3_next", {
    "vocab_size": 151936, "hidden_size": 2048, "intermediate_size": 5632,
    "num_hidden_layers": 48, "num_attention_heads": 16, "num_key_value_heads": 2,
    "tie_word_embeddings": False, "attention_bias": False, "head_dim": 256,
    "linear_conv_kernel_dim": 4, "linear_key_head_dim": 128, "linear_value_head_dim": 128,
    "linear_num_key_heads": 16, "linear_num_value_heads": 32, "decoder_sparse_step": 1,
    "moe_intermediate_size": 512, "shared_expert_intermediate_size": 512,
    "num_experts_per_tok": 10, "num_experts": 512, "mlp_only_layers": None, "layer_types": None},
    base_class="Qwen3NextModel",
    # QuestionAnswering keeps the base model under transformer (its base_model_prefix)
    heads=decoder_heads(SEQ, TOKEN, QA, qa="transformer"))
def qwen3_next(family: str, c: Config, name: str, base: bool) -> Assembly:
    split, mlp = VARIANTS[family]
    if family != "qwen3_next" and c.value("attn_output_gate", True) is not True:
        raise SpecError(f"{c.where}: attn_output_gate = {shown(c.value('attn_output_gate'))}: "
                        f"transformers' {family} always gates the attention's output, and "
                        f"nnsize counts only that")
    if mlp == "experts":
        for key, fine in (("decoder_sparse_step", 1), ("mlp_only_layers", [])):
            if c.value(key, fine) not in (fine, None):
                raise SpecError(f"{c.where}: {key} = {shown(c.value(key))}: transformers' "
                                f"{family} puts experts in every layer (its config class drops "
                                f"{key}), and nnsize counts only that")
    h, v, layers = c.int("hidden_size"), c.int("vocab_size"), c.int("num_hidden_layers")
    heads, kv = c.int("num_attention_heads"), c.int("num_key_value_heads")
    d, bias = c.int("head_dim", h // heads), c.bool("attention_bias")
    if c.value("layer_types") is not None:
        types = layer_types(c, "layer_types", layers, ("linear_attention", "full_attention"))
    else:  # the config class pops full_attention_interval only then
        interval = c.int("full_attention_interval", 4)
        types = ["full_attention" if (i + 1) % interval == 0 else "linear_attention"
                 for i in range(layers)]
    nk, nv = c.int("linear_num_key_heads"), c.int("linear_num_value_heads")
    dk, dv, k = c.int("linear_key_head_dim"), c.int("linear_value_head_dim"), \
        c.int("linear_conv_kernel_dim")
    key_dim, value_dim = nk * dk, nv * dv
    conv_dim = 2 * key_dim + value_dim
    experts = 0 if mlp == "dense" else c.int("num_experts", least=0)
    ssm_dtype = "" if family == "qwen3_next" else c.value("mamba_ssm_dtype", "")
    if ssm_dtype not in ("", "float32", "bfloat16", "float16"):
        raise SpecError(f"{c.where}: mamba_ssm_dtype = {shown(ssm_dtype)}: vLLM keeps the "
                        f"recurrent state at float32, bfloat16 or float16 (its MambaDType)")
    step = c.int("decoder_sparse_step") if mlp == "step" else 1
    dense_only = set(c.ints("mlp_only_layers") if mlp == "step" and
                     c.value("mlp_only_layers") is not None else [])
    top_k, width = (1, 1) if mlp == "dense" else \
        (c.int("num_experts_per_tok"), c.int("moe_intermediate_size"))

    def sparse(i: int) -> bool:
        return i not in dense_only and experts > 0 and (i + 1) % step == 0

    def layer(i: int) -> Layer:
        out: Layer = {}
        if types[i] == "linear_attention":
            inputs = linear("linear_attn.in_proj_qkv", 2 * key_dim + value_dim, h) + \
                linear("linear_attn.in_proj_z", value_dim, h) + \
                linear("linear_attn.in_proj_b", nv, h) + linear("linear_attn.in_proj_a", nv, h) \
                if split else \
                linear("linear_attn.in_proj_qkvz", 2 * key_dim + 2 * value_dim, h) + \
                linear("linear_attn.in_proj_ba", 2 * nv, h)
            out["mixer"] = inputs + depthwise_conv("linear_attn.conv1d", conv_dim, k, False) + [
                    Tensor("linear_attn.dt_bias", (nv,), "other"),
                    Tensor("linear_attn.A_log", (nv,), "other")] + \
                norm("linear_attn.norm", dv) + linear("linear_attn.out_proj", h, value_dim)
        else:
            out["attention"] = linear("self_attn.q_proj", 2 * heads * d, h, bias) + \
                linear("self_attn.k_proj", kv * d, h, bias) + \
                linear("self_attn.v_proj", kv * d, h, bias) + \
                linear("self_attn.o_proj", h, heads * d, bias) + \
                norm("self_attn.q_norm", d) + norm("self_attn.k_norm", d)
        if sparse(i):
            shared = c.int("shared_expert_intermediate_size")
            out["router"] = [Tensor("mlp.gate.weight", (experts, h), "weight")]
            out["experts"] = [
                Tensor("mlp.experts.gate_up_proj", (experts, 2 * width, h), "weight"),
                Tensor("mlp.experts.down_proj", (experts, h, width), "weight")]
            out["shared experts"] = _gated("mlp.shared_expert", h, shared) + \
                linear("mlp.shared_expert_gate", 1, h)
        else:
            out["mlp"] = _gated("mlp", h, c.int("intermediate_size"))
        out["norms"] = norm("input_layernorm", h) + norm("post_attention_layernorm", h)
        return out

    p = "" if base else "model."
    a = Assembly(name)
    attention, linear_layers = types.count("full_attention"), types.count("linear_attention")
    any_sparse = any(sparse(i) for i in range(layers))
    any_dense = not all(sparse(i) for i in range(layers))  # Qwen3.5-MoE: no intermediate_size
    # no scan_values: the delta rule's per-token work is not Mamba's, and compute refuses it
    a.decoder = Decoder(h, c.int("intermediate_size") if any_dense else 0, v,
                        Layers((((AttentionLayer(heads, kv, d, d),), attention),)
                               if attention else ()),
                        top_k if any_sparse else 0, width if any_sparse else 0,
                        state_values=linear_layers * (conv_dim * k + nv * dk * dv),
                        mixer=StateMixer("gated_delta_net", linear_layers, value_dim, k,
                                         heads=nv, head_dim=dv, key_heads=nk, key_dim=dk,
                                         ssm_dtype=ssm_dtype)
                        if linear_layers else None)
    a.add("embeddings", "embedding", embedding(f"{p}embed_tokens", v, h))
    a.stack(f"{p}layers.", layers, layer, starts=range(layers),
            active={"experts": Fraction(top_k, experts) if experts else Fraction(0)})
    a.add("final norm", "norm", norm(f"{p}norm", h))
    if not base:
        lm_head(a, c, v, h, "model.embed_tokens.weight")
    return a
