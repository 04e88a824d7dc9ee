"""The Llama-shaped decoder families, as data: each family's config defaults, key aliases,
traits, AutoModel class and task heads, registered with the one builder (decoder_builder.py).

    model.embed_tokens -> layers.{i}: self_attn, mlp (or experts), norms -> model.norm -> lm_head

Families differ in a few traits (traits.py), given per family below and in decoder_families.py:
biases, extra norms, fused projections, mixture-of-experts feed-forward layers, DeepSeek's
multi-head latent attention.  Defaults are those of transformers' config class for each family
(tests check them against it).  The builder's parts: decoder_layer.py (one layer: its sizes,
whether it is experts, its tensors) and decoder_builder.py (the model, with each layer's
sliding window).
"""

from __future__ import annotations

# the builder and its registration, imported from here by the other decoder modules
from .decoder_builder import build_traits, register_traits
from .heads import decoder_heads
from .registry import QA, SEQ, TOKEN, Head
from .traits import Moe, Traits

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

__all__ = ["ALIASES", "CLASSES", "DEFAULTS", "MORE", "TRAITS", "build_traits", "register_traits"]

COMMON = {"tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False}
DEFAULTS: dict[str, dict[str, Any]] = {
    "llama": {**COMMON},
    # sliding_window left out: 4,096, as the config classes fill it in (MistralConfig,
    # Gemma2Config, Gemma3TextConfig and MinistralConfig in transformers 5.25)
    "mistral": {**COMMON, "num_key_value_heads": 8, "sliding_window": 4096},
    "mixtral": {**COMMON, "num_key_value_heads": 8, "num_local_experts": 8,
                "num_experts_per_tok": 2},
    "qwen2": {**COMMON, "num_key_value_heads": 32},
    "qwen2_moe": {**COMMON, "num_key_value_heads": 16, "qkv_bias": True,
                  "moe_intermediate_size": 1408, "num_experts": 60, "num_experts_per_tok": 4,
                  "shared_expert_intermediate_size": 5632, "decoder_sparse_step": 1,
                  "mlp_only_layers": []},
    "qwen3": {**COMMON, "num_key_value_heads": 32, "head_dim": 128},
    "qwen3_moe": {**COMMON, "num_key_value_heads": 4, "moe_intermediate_size": 768,
                  "num_experts": 128, "num_experts_per_tok": 8, "decoder_sparse_step": 1,
                  "mlp_only_layers": []},
    "gemma": {**COMMON, "tie_word_embeddings": True, "num_key_value_heads": 16,
              "head_dim": 256},
    "gemma2": {**COMMON, "tie_word_embeddings": True, "num_key_value_heads": 4,
               "head_dim": 256, "sliding_window": 4096},
    "gemma3_text": {**COMMON, "tie_word_embeddings": True, "num_key_value_heads": 4,
                    "head_dim": 256, "sliding_window": 4096},
    "olmo": {**COMMON},
    "olmo2": {**COMMON},
    "starcoder2": {**COMMON, "tie_word_embeddings": True, "num_key_value_heads": 2,
                   "use_bias": True},
    "phi": {**COMMON, "qk_layernorm": False},
    "phi3": {**COMMON},
    "deepseek_v2": {**COMMON, "moe_intermediate_size": 1407, "n_routed_experts": 64,
                    "n_shared_experts": 2, "num_experts_per_tok": None,
                    "first_k_dense_replace": 0, "q_lora_rank": 1536, "kv_lora_rank": 512,
                    "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128},
    "deepseek_v3": {**COMMON, "num_key_value_heads": 128, "moe_intermediate_size": 2048,
                    "n_routed_experts": 256, "n_shared_experts": 1, "num_experts_per_tok": 8,
                    "first_k_dense_replace": 3, "q_lora_rank": 1536, "kv_lora_rank": 512,
                    "qk_rope_head_dim": 64, "qk_nope_head_dim": 128, "v_head_dim": 128},
}
# Other names a family's config class accepts for a key (its attribute_map), as other name ->
# the key read here: a qwen3_moe config saved by transformers 5 says num_local_experts.
ALIASES: dict[str, dict[str, str]] = {
    "mixtral": {"num_experts": "num_local_experts"},
    "qwen3_moe": {"num_local_experts": "num_experts"},
    "deepseek_v2": {"num_experts": "n_routed_experts"},
    "deepseek_v3": {"num_local_experts": "n_routed_experts", "num_experts": "n_routed_experts",
                    "num_mtp_layers": "num_nextn_predict_layers"},
}
_QWEN_MOE = Moe(layers="sparse_step")
_DEEPSEEK_MOE = Moe(experts="n_routed_experts", layers="first_k_dense",
                    shared_count="n_shared_experts")
TRAITS: dict[str, Traits] = {
    "llama": Traits(mlp_bias="mlp_bias"),
    "mistral": Traits(qkv_bias=False, o_bias=False, windows="all"),  # whatever the config says
    "mixtral": Traits(qkv_bias=False, o_bias=False, windows="all",
                      moe=Moe(experts="num_local_experts", width="intermediate_size")),
    "qwen2": Traits(qkv_bias=True, o_bias=False, windows="qwen"),
    "qwen2_moe": Traits(qkv_bias="qkv_bias", o_bias=False, windows="qwen",
                        moe=Moe(layers="sparse_step",
                                shared_width="shared_expert_intermediate_size",
                                shared_name="mlp.shared_expert", shared_gate=True)),
    "qwen3": Traits(qk_norm="head", windows="qwen"),
    "qwen3_moe": Traits(qk_norm="head", windows="qwen", moe=_QWEN_MOE),
    "gemma": Traits(),
    "gemma2": Traits(norms=("input_layernorm", "post_attention_layernorm",
                            "pre_feedforward_layernorm", "post_feedforward_layernorm"),
                     windows="alternate"),
    "gemma3_text": Traits(qk_norm="head",
                          norms=("input_layernorm", "post_attention_layernorm",
                                 "pre_feedforward_layernorm", "post_feedforward_layernorm"),
                          windows="pattern"),
    "olmo": Traits(norms=(), final_norm=None),  # non-parametric layer norms
    "olmo2": Traits(qk_norm="full", norms=("post_attention_layernorm",
                                           "post_feedforward_layernorm")),
    "starcoder2": Traits(qkv_bias="use_bias", o_bias="use_bias", mlp="c_fc", mlp_bias="use_bias",
                         norm_bias=True, windows="all"),
    # attention and MLP in parallel after one norm
    "phi": Traits(qkv_bias=True, o_bias=True, out_proj="dense", qk_norm="head",
                  qk_norm_when="qk_layernorm", qk_norm_names=("q_layernorm", "k_layernorm"),
                  qk_norm_bias=True, mlp="fc", mlp_bias=True, norms=("input_layernorm",),
                  norm_bias=True, final_norm="final_layernorm", head_bias=True),
    "phi3": Traits(attention="fused", qkv_bias=False, o_bias=False, mlp="fused", windows="all"),
    "deepseek_v2": Traits(attention="latent", mlp_bias="mlp_bias", moe=_DEEPSEEK_MOE),
    "deepseek_v3": Traits(attention="latent", moe=Moe(
        experts="n_routed_experts", layers="first_k_dense", shared_count="n_shared_experts",
        score_bias="gate.e_score_correction_bias")),
}


_ALL = decoder_heads(SEQ, TOKEN, QA)  # QuestionAnswering under 'model'
_ALL_QA_TRANSFORMER = decoder_heads(SEQ, TOKEN, QA, qa="transformer")
# AutoModel's class of each family, and the task-head classes transformers has for it
CLASSES: dict[str, tuple[str, dict[str, Head]]] = {
    "llama": ("LlamaModel", _ALL_QA_TRANSFORMER), "mistral": ("MistralModel", _ALL),
    "mixtral": ("MixtralModel", _ALL), "qwen2": ("Qwen2Model", _ALL_QA_TRANSFORMER),
    "qwen2_moe": ("Qwen2MoeModel", _ALL), "qwen3": ("Qwen3Model", _ALL_QA_TRANSFORMER),
    "qwen3_moe": ("Qwen3MoeModel", _ALL_QA_TRANSFORMER),
    "gemma": ("GemmaModel", decoder_heads(SEQ, TOKEN)),
    "gemma2": ("Gemma2Model", decoder_heads(SEQ, TOKEN)),
    "gemma3_text": ("Gemma3TextModel", decoder_heads(SEQ)),
    "olmo": ("OlmoModel", decoder_heads(SEQ)), "olmo2": ("Olmo2Model", decoder_heads(SEQ)),
    "starcoder2": ("Starcoder2Model", decoder_heads(SEQ, TOKEN)),
    "phi": ("PhiModel", decoder_heads(SEQ, TOKEN)),
    "phi3": ("Phi3Model", decoder_heads(SEQ, TOKEN)),
    "deepseek_v2": ("DeepseekV2Model", decoder_heads(SEQ)),
    "deepseek_v3": ("DeepseekV3Model", decoder_heads(SEQ, TOKEN)),
}

# Gemma 3's text model: its causal LM is Gemma3ForCausalLM, and its first configs said gemma3
# (without a text_config: that is the multimodal model).  Kimi K2's configs say kimi_k2, a name
# only its repository's code reads; transformers 5.25 reads it as deepseek_v3 (Kimi_K25Config
# turns a kimi_k2 text_config into deepseek_v3: https://github.com/huggingface/transformers/
# blob/v5.25.0/src/transformers/models/kimi_k25/configuration_kimi_k25.py#L85-L86)
MORE: dict[str, dict[str, Any]] = {
    "gemma3_text": {"lm_class": "Gemma3ForCausalLM", "legacy_types": ("gemma3",)},
    "deepseek_v3": {"legacy_types": ("kimi_k2",)}}


for _family in DEFAULTS:
    register_traits(_family, TRAITS[_family], DEFAULTS[_family], ALIASES.get(_family),
                    *CLASSES[_family], **MORE.get(_family, {}))
