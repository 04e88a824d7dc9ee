"""More Llama-shaped decoder families, each one Traits record and its config class"s defaults.

The defaults are transformers" own (its config class for the model_type, with no arguments),
and the tests check them against it; a key neither the config nor the defaults give is refused.
"""

from __future__ import annotations

from typing import Any

from ..records import replace
from .decoder import TRAITS as LLAMA_TRAITS
from .decoder import register_traits
from .heads import decoder_heads
from .registry import QA, SEQ, TOKEN, Head
from .traits import Moe, Traits

_PLAIN = Traits(qkv_bias=False, o_bias=False)  # no biases anywhere, whatever the config says
_POST_NORMS = ("post_attention_layernorm", "post_feedforward_layernorm")  # OLMo 2"s order
_SANDWICH = ("input_layernorm", "post_attention_layernorm", "post_self_attn_layernorm",
             "post_mlp_layernorm")
_LOCAL = Moe(experts="num_local_experts", width="intermediate_size")
TRAITS_QWEN2 = LLAMA_TRAITS["qwen2"]
_GLM4_MOE = Traits(o_bias=False, qk_norm="head", qk_norm_when="use_qk_norm", moe=Moe(
    experts="n_routed_experts", layers="first_k_dense", shared_count="n_shared_experts",
    score_bias="gate.e_score_correction_bias"))

# MiMo-V2-Flash's config.json as Xiaomi publishes it holds keys of its own code that
# transformers 5.25's MiMoV2FlashConfig does not read (vLLM's reads them:
#   vllm-project/vllm@91cf2f13c21862c4d7a239c9a33b9025911e27b1
#   vllm/model_executor/models/mimo_v2_flash.py, MiMoV2FlashDecoderLayer):
# each must say what transformers builds in their place
_MIMO_AGREE = (
    ("swa_num_attention_heads", "heads"), ("swa_head_dim", "head_dim"),
    ("swa_v_head_dim", "value_dim"), ("swa_num_key_value_heads", "sliding_kv_heads"),
    ("hybrid_layer_pattern", "sliding_layers"),  # 1: sliding, 0: full
    ("moe_layer_freq", "sparse_layers"),  # 1: experts, 0: a dense MLP
    ("add_swa_attention_sink_bias", "sliding_sinks"),
    ("add_full_attention_sink_bias", "full_sinks"), ("n_shared_experts", "shared_experts"))
# and keys known to change no tensor and no cache (intermediate_size: read where a layer is a
# dense MLP, nothing where none is): the config's bookkeeping, the routing's and
# the rotary embedding's numbers (no parameters: its inv_freq buffers are not persistent), the
# norms' epsilon, the value scale (a constant), the dtype; sliding_window, which transformers
# overwrites with sliding_window_size + 1; attention_chunk_size, which neither transformers nor
# vLLM's mimo_v2_flash.py reads (vLLM builds each layer a plain Attention with
# per_layer_sliding_window = sliding_window_size); quantization_config, the checkpoint's
# storage (FP8 blocks of 128 x 128), which nnsize's count and plan do not read for any model
_MIMO_KNOWN = (
    "_name_or_path", "architectures", "model_type", "transformers_version", "torch_dtype",
    "dtype", "use_cache", "intermediate_size", "bos_token_id", "eos_token_id", "pad_token_id",
    "initializer_range", "output_router_logits", "max_position_embeddings", "rope_theta",
    "swa_rope_theta", "partial_rotary_factor", "rope_parameters", "hidden_act", "rms_norm_eps",
    "layernorm_epsilon", "attention_dropout", "attention_value_scale", "norm_topk_prob",
    "scoring_func", "n_group", "topk_group", "topk_method", "routed_scaling_factor",
    "sliding_window", "attention_chunk_size", "quantization_config", "chunk_size_feed_forward",
    "id2label", "label2id", "is_encoder_decoder", "output_attentions", "output_hidden_states",
    "problem_type", "return_dict")
TRAITS: dict[str, Traits] = {
    "apertus": Traits(qk_norm="head", mlp="plain", act_params=True,
                      norms=("attention_layernorm", "feedforward_layernorm")),
    "arcee": Traits(mlp="plain", mlp_bias="mlp_bias"),
    "youtu": Traits(attention="latent"),
    "bitnet": Traits(sub_norms=True),
    "cohere": Traits(qk_norm="heads", qk_norm_when="use_qk_norm", norms=("input_layernorm",)),
    "cohere2": Traits(norms=("input_layernorm",), windows="periodic",  # the key's default: 4
                      window_key="sliding_window_pattern"),
    "cwm": Traits(qkv_bias=False, o_bias=False, mlp_bias="mlp_bias", windows="periodic",
                  window_full="first"),
    "ernie4_5": Traits(qkv_bias="use_bias", o_bias="use_bias", mlp_bias="use_bias"),
    "exaone4": Traits(qkv_bias=False, o_bias=False, qk_norm="head", norms=_POST_NORMS,
                      windows="periodic", window_key="sliding_window_pattern"),
    "exaone": Traits(mlp_bias="mlp_bias"),
    "internlm3": Traits(mlp_bias="mlp_bias"),
    "iquestcoder": Traits(mlp_bias="mlp_bias"),
    "granite_swa": Traits(sinks=True, mlp_bias="mlp_bias", windows="periodic",
                          window_full="first"),
    "glm": Traits(o_bias=False, mlp="fused"),
    "glm4": Traits(o_bias=False, mlp="fused", norms=_SANDWICH),
    "granite": Traits(mlp_bias="mlp_bias"),
    "helium": Traits(o_bias=False, mlp_bias="mlp_bias"),
    "hunyuan_v1_dense": Traits(requires=("head_dim",), qk_norm="head",
                               qk_norm_names=("query_layernorm", "key_layernorm")),
    "hyperclovax": Traits(mlp_bias="mlp_bias", norms=(
        "input_layernorm", "post_attention_layernorm", ("post_norm1", "use_post_norm"),
        ("post_norm2", "use_post_norm"))),
    "ministral": Traits(requires=("head_dim",), qkv_bias=False, o_bias=False, windows="all"),
    "ministral3": replace(_PLAIN, windows="all"),
    "nemotron": Traits(requires=("num_key_value_heads",), mlp="plain", mlp_bias="mlp_bias",
                       norm_bias=True),
    "olmo3": Traits(qk_norm="full", norms=_POST_NORMS, windows="periodic"),
    "seed_oss": Traits(o_bias="attention_out_bias", mlp_bias="mlp_bias"),
    "smollm3": Traits(mlp_bias="mlp_bias"),
    "stablelm": Traits(head_dim=False, qkv_bias="use_qkv_bias", o_bias=False, qk_norm="per_head",
                       qk_norm_when="qk_layernorm", qk_norm_names=("q_layernorm", "k_layernorm"),
                       norms=("input_layernorm", ("post_attention_layernorm",
                                                  "!use_parallel_residual")), norm_bias=True),
    "vaultgemma": Traits(norms=("input_layernorm", "pre_feedforward_layernorm"),
                         windows="periodic", window_period=2),
    # mixtures of experts
    "granitemoe": Traits(moe=Moe(experts="num_local_experts", width="intermediate_size",
                                 block="block_sparse_moe", router="router")),
    "granitemoeshared": Traits(moe=Moe(
        experts="num_local_experts", width="intermediate_size", block="block_sparse_moe",
        router="router", shared_width="shared_intermediate_size", shared_name="shared_mlp",
        shared_mlp="io")),
    "gpt_oss": Traits(sinks=True, windows="periodic", window_period=2, moe=Moe(
        experts="num_local_experts", width="intermediate_size", router="router",
        router_bias=True, expert_bias=True, transposed=True)),
    "hunyuan_v1_moe": Traits(requires=("head_dim",), qk_norm="head",
                             qk_norm_names=("query_layernorm", "key_layernorm"),
                             moe=Moe(experts="num_experts", width="intermediate_size",
                                     top_k="moe_topk", router="gate.wg",
                                     shared_width="intermediate_size",
                                     shared_name="mlp.shared_mlp")),
    "llama4_text": Traits(dense_width="intermediate_size_mlp", windows="periodic",
                          window_key="no_rope_layer_interval",
                          window_size_key="attention_chunk_size", moe=Moe(
        experts="num_local_experts", width="intermediate_size", block="feed_forward",
        router="router", transposed=True, layers="interleave", shared_width="intermediate_size",
        shared_name="feed_forward.shared_expert"), mlp_name="feed_forward"),
    "minimax_m2": Traits(qkv_bias=False, o_bias=False, qk_norm="full", moe=Moe(
        experts="num_local_experts", width="intermediate_size",
        score_bias="e_score_correction_bias")),
    "olmoe": Traits(qk_norm="full", moe=Moe(experts="num_experts", width="intermediate_size")),
    "phimoe": Traits(norm_bias=True, head_bias="lm_head_bias", windows="all", moe=Moe(
        experts="num_local_experts", width="intermediate_size", router="router")),
    "granitemoe_swa": Traits(sinks=True, windows="periodic", window_full="first", moe=Moe(
        experts="num_local_experts", width="intermediate_size", block="block_sparse_moe",
        router="router", shared_width="shared_intermediate_size", shared_name="shared_mlp",
        shared_mlp="io")),
    "mellum": Traits(qk_norm="head", moe=Moe(layers="types")),
    "exaone_moe": Traits(qkv_bias=False, o_bias=False, qk_norm="head", windows="periodic",
                         window_key="sliding_window_pattern", moe=Moe(
        layers="types", types_else="first_k_dense", shared_count="num_shared_experts",
        score_bias="gate.e_score_correction_bias")),
    "solar_open": Traits(o_bias=False, moe=Moe(
        experts="n_routed_experts", shared_count="n_shared_experts",
        score_bias="gate.e_score_correction_bias")),
    "dots1": Traits(qk_norm="head", moe=Moe(
        experts="n_routed_experts", layers="first_k_dense", shared_count="n_shared_experts",
        score_bias="gate.e_score_correction_bias")),
    "glm4_moe_lite": Traits(attention="latent", moe=Moe(
        experts="n_routed_experts", layers="types", types_else="first_dense",
        shared_count="n_shared_experts", score_bias="gate.e_score_correction_bias")),
    "glm4_moe": _GLM4_MOE,
    # Kolibri-1: GLM-4's four norms a layer, EXAONE 4's q/k norms, every layer a mixture of
    # experts with one shared expert and a correction bias beside the router (a buffer); four
    # sliding layers then one full one
    "kolibri1": Traits(qkv_bias=False, o_bias=False, qk_norm="head", norms=_SANDWICH,
                       windows="periodic", window_period=5, moe=Moe(
                           shared_width="shared_expert_intermediate_size",
                           score_bias="gate.e_score_correction_bias")),
    # added for issue 20
    "diffllama": Traits(head_vectors=("lambda_q1", "lambda_k1", "lambda_q2", "lambda_k2")),
    "jais2": Traits(mlp="plain", mlp_bias="mlp_bias", norm_bias=True),
    "minicpm3": Traits(attention="latent", mlp_bias="mlp_bias", v_head_dim_from_hidden=True),
    # RMS norms without weights: no norm tensors at all
    "nanochat": Traits(mlp="fc", norms=(), final_norm=None),
    "flex_olmo": Traits(qk_norm="full", norms=_POST_NORMS, moe=Moe(
        experts="num_experts", width="intermediate_size")),
    "hy_v3": Traits(qk_norm="head", mlp_bias="mlp_bias", moe=Moe(
        experts="num_experts", layers="types", types_else="first_dense",
        shared_count="num_shared_experts", score_bias="e_score_correction_bias")),
    "mistral4": Traits(attention="latent", moe=Moe(
        experts="n_routed_experts", layers="first_k_dense", shared_count="n_shared_experts")),
    # configs of their own for GLM-4 MoE's and DeepSeek-V3's models
    "sarvam_moe": _GLM4_MOE,
    "param2moe": _GLM4_MOE,
    "persimmon": Traits(attention="fused", head_dim=False, kv_heads=False, qkv_bias=True,
                        o_bias=True, out_proj="dense", qkv_name="query_key_value", qk_norm="head",
                        qk_norm_when="qk_layernorm", qk_norm_names=("q_layernorm", "k_layernorm"),
                        qk_norm_bias=True, mlp="h_to_4h", mlp_bias=True, norm_bias=True,
                        final_norm="final_layernorm"),
    # the language models of Qwen2-VL, Qwen2.5-VL and Qwen3-VL on their own (base models only)
    "qwen2_vl_text": TRAITS_QWEN2,
    "qwen2_5_vl_text": TRAITS_QWEN2,
    "qwen3_vl_text": Traits(qk_norm="head"),
    "qwen3_vl_moe_text": Traits(qk_norm="head", moe=Moe(layers="sparse_step")),
    "ernie4_5_moe": Traits(qkv_bias="use_bias", o_bias="use_bias", mlp_bias="use_bias",
                           head_bias="use_bias", moe=Moe(
        experts="moe_num_experts", top_k="moe_k", layers="range",
        shared_count="moe_num_shared_experts",
        score_bias="gate.moe_statics.e_score_correction_bias", score_bias_buffer=False,
        score_bias_rows=True)),
    "deepseek_v32": Traits(attention="latent", mlp_bias=False, indexer=True, moe=Moe(
        experts="n_routed_experts", layers="types", types_else="first_k_dense",
        shared_count="n_shared_experts", score_bias="gate.e_score_correction_bias")),
    # GLM-5: DeepSeek-V3.2's layout (latent attention, the indexer in every layer) under GLM's
    # defaults; its config may make layers share an indexer's top-k, which nnsize refuses
    "glm_moe_dsa": Traits(attention="latent", mlp_bias=False, indexer=True, indexer_types=True,
                          moe=Moe(experts="n_routed_experts", layers="types",
                                  types_else="first_k_dense", shared_count="n_shared_experts",
                                  score_bias="gate.e_score_correction_bias")),
    "sarvam_mla": Traits(attention="latent", moe=Moe(
        experts="n_routed_experts", layers="first_k_dense", shared_count="n_shared_experts",
        score_bias="gate.e_score_correction_bias")),
    # issue 21: MiMo-V2-Flash as transformers 5.25.0 builds it (MiMoV2FlashForCausalLM in
    # src/transformers/models/mimo_v2_flash/modeling_mimo_v2_flash.py, its layout filled in by
    # MiMoV2FlashConfig.__post_init__, configuration_mimo_v2_flash.py): full attention at
    # layer 0 and every 6th, the others a window of sliding_window_size + 1 with twice the KV
    # heads and a sink logit a head; keys head_dim wide, values v_head_dim; layer 0 a dense
    # MLP, the others DeepSeek-V3's router (a correction bias, no shared expert); Xiaomi's own
    # keys must say the same (_MIMO_AGREE), and any key not read nor in _MIMO_KNOWN is refused
    "mimo_v2_flash": Traits(
        o_bias=False, value_dim="v_head_dim", sliding_kv=2, sinks="sliding", windows="periodic",
        window_period=6, window_first_full=True, window_attended="sliding_window_size",
        moe=Moe(experts="n_routed_experts", layers="types", types_else="first_dense",
                score_bias="gate.e_score_correction_bias"),
        agree=_MIMO_AGREE, known=_MIMO_KNOWN),
    # InternLM2, which transformers 5.25 has no class for (its configs name their repo's code):
    # Llama's layout under its own names, as its publisher's code builds it (INTERNLM2, in
    # MORE): one fused wqkv (num_heads + 2 x num_key_value_heads) x head_dim wide, laid out
    # head group by head group (its queries, then one key and one value), and wo, both with a
    # bias where bias says so (its default: true); w1, w3 (gate and up) and w2 (down) without;
    # RMS norms attention_norm and ffn_norm; tok_embeddings, norm and the head, output.
    # head_dim is hidden_size / num_attention_heads whatever the config says.  InternLM's own
    # converter to Llama reads it so (tools/convert2llama.py, InternLM/InternLM@2db5604:
    # wqkv split into q/k/v_proj of the same sizes, feed_forward.w1/w3/w2 to mlp.gate/up/down,
    # attention_norm and ffn_norm to input_layernorm and post_attention_layernorm,
    # tok_embeddings to embed_tokens, output to lm_head), and so does vLLM's internlm2.py
    # (vllm-project/vllm@0531c2226a6a25cd96ccc856f3bda3f0bb4efb5f)
    "internlm2": Traits(attention="fused", head_dim=False, qkv_bias="bias", o_bias="bias",
                        names=(("self_attn.qkv_proj", "attention.wqkv"),
                               ("self_attn.o_proj", "attention.wo"),
                               ("mlp.gate_proj", "feed_forward.w1"),
                               ("mlp.up_proj", "feed_forward.w3"),
                               ("mlp.down_proj", "feed_forward.w2"),
                               ("input_layernorm", "attention_norm"),
                               ("post_attention_layernorm", "ffn_norm"),
                               ("embed_tokens", "tok_embeddings"), ("lm_head", "output"))),
    # MiMo (MiMo-7B), which transformers 5.25 has no class for: Qwen2's model (vLLM's
    # MiMoForCausalLM is its Qwen2ForCausalLM, MIMO in MORE) and, beside it in the checkpoint,
    # num_nextn_predict_layers multi-token-prediction layers under model.mtp_layers.{i}, which
    # vLLM's main model skips and its draft model loads (mimo_mtp.py, MiMoMultiTokenPredictor-
    # Layer: token_layernorm, hidden_layernorm, input_proj 2 x hidden -> hidden without a bias,
    # final_layernorm, and a Qwen2 decoder layer, whose tensors the checkpoint names directly
    # under mtp_layers.{i}: map_model_name_to_mtp_param_name adds mtp_block)
    "mimo": replace(TRAITS_QWEN2, requires=("num_key_value_heads",),
                    mtp="num_nextn_predict_layers"),
}

# transformers" config class defaults for the keys each family reads beyond the sizes
_QWEN_VL_TEXT = {"num_key_value_heads": 8, "use_sliding_window": False, "sliding_window": 4096,
                 "max_window_layers": 80}
DEFAULTS: dict[str, dict[str, Any]] = {
    "arcee": {"tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False},
    "bitnet": {"tie_word_embeddings": False, "num_key_value_heads": 5, "attention_bias": False},
    "cohere": {"tie_word_embeddings": True, "attention_bias": False, "use_qk_norm": False},
    "cohere2": {"tie_word_embeddings": True, "attention_bias": False, "sliding_window": 4096},
    "cwm": {"tie_word_embeddings": False, "num_key_value_heads": 8, "head_dim": 128,
            "mlp_bias": False, "sliding_window": 8192},
    "ernie4_5": {"tie_word_embeddings": True, "num_key_value_heads": 2, "head_dim": 128,
                 "use_bias": False},
    "exaone4": {"tie_word_embeddings": False, "num_key_value_heads": 32, "sliding_window": 4096,
                "sliding_window_pattern": 4},
    "glm": {"tie_word_embeddings": False, "num_key_value_heads": 2, "head_dim": 128,
            "attention_bias": True},
    "glm4": {"tie_word_embeddings": False, "num_key_value_heads": 2, "head_dim": 128,
             "attention_bias": True},
    "granite": {"tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False},
    "helium": {"tie_word_embeddings": False, "num_key_value_heads": 20, "head_dim": 128,
               "attention_bias": False, "mlp_bias": False},
    "hunyuan_v1_dense": {"tie_word_embeddings": False, "attention_bias": False},
    "hyperclovax": {"tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False,
                    "use_post_norm": True},
    "ministral": {"tie_word_embeddings": False, "num_key_value_heads": 8,
                  "sliding_window": 4096},
    "ministral3": {"tie_word_embeddings": False, "num_key_value_heads": 8, "head_dim": 128},
    "nemotron": {"tie_word_embeddings": False, "attention_bias": False, "mlp_bias": False},
    "olmo3": {"tie_word_embeddings": False, "attention_bias": False, "sliding_window": 4096},
    "seed_oss": {"tie_word_embeddings": False, "num_key_value_heads": 8, "head_dim": 128,
                 "attention_bias": True, "attention_out_bias": False, "mlp_bias": False},
    "smollm3": {"tie_word_embeddings": True, "num_key_value_heads": 4, "attention_bias": False,
                "mlp_bias": False},
    "stablelm": {"tie_word_embeddings": False, "num_key_value_heads": 32, "use_qkv_bias": False,
                 "qk_layernorm": False, "use_parallel_residual": False},
    "vaultgemma": {"tie_word_embeddings": True, "num_key_value_heads": 4, "head_dim": 256,
                   "attention_bias": False, "sliding_window": 4096},
    "granitemoe": {"tie_word_embeddings": False, "attention_bias": False, "num_local_experts": 8,
                   "num_experts_per_tok": 2},
    "granitemoeshared": {"tie_word_embeddings": False, "attention_bias": False,
                         "num_local_experts": 8, "num_experts_per_tok": 2,
                         "shared_intermediate_size": 0},
    "gpt_oss": {"tie_word_embeddings": False, "num_key_value_heads": 8, "head_dim": 64,
                "attention_bias": True, "num_local_experts": 128, "num_experts_per_tok": 4,
                "sliding_window": 128},
    "hunyuan_v1_moe": {"tie_word_embeddings": False, "attention_bias": False, "num_experts": 1,
                       "moe_topk": 1},
    "llama4_text": {"tie_word_embeddings": False, "num_key_value_heads": 8, "head_dim": 128,
                    "attention_bias": False, "intermediate_size_mlp": 16384,
                    "num_local_experts": 16, "num_experts_per_tok": 1,
                    "interleave_moe_layer_step": 1, "moe_layers": None,
                    "attention_chunk_size": 8192, "no_rope_layer_interval": 4,
                    "no_rope_layers": None},
    "minimax_m2": {"tie_word_embeddings": False, "num_key_value_heads": 8, "head_dim": 128,
                   "num_local_experts": 256, "num_experts_per_tok": 8},
    "olmoe": {"tie_word_embeddings": False, "attention_bias": False, "num_experts": 64,
              "num_experts_per_tok": 8},
    "phimoe": {"tie_word_embeddings": False, "num_key_value_heads": 8, "attention_bias": False,
               "lm_head_bias": False, "num_local_experts": 16, "num_experts_per_tok": 2},
    "kolibri1": {"tie_word_embeddings": False, "num_key_value_heads": 4, "head_dim": 128,
                 "sliding_window": 513, "num_experts": 384, "num_experts_per_tok": 6,
                 "moe_intermediate_size": 512, "shared_expert_intermediate_size": 512},
    "glm4_moe": {"tie_word_embeddings": False, "num_key_value_heads": 8, "attention_bias": False,
                 "use_qk_norm": False, "n_routed_experts": 128, "moe_intermediate_size": 1408,
                 "num_experts_per_tok": 8, "n_shared_experts": 1, "first_k_dense_replace": 1},
    "exaone": {"tie_word_embeddings": False, "num_key_value_heads": 8, "attention_bias": False,
               "mlp_bias": False},
    "internlm3": {"tie_word_embeddings": False, "num_key_value_heads": 2, "head_dim": 128,
                  "attention_bias": False, "mlp_bias": False},
    "iquestcoder": {"tie_word_embeddings": False, "num_key_value_heads": 8, "head_dim": 128,
                    "attention_bias": False, "mlp_bias": False},
    "granite_swa": {"tie_word_embeddings": True, "num_key_value_heads": 4, "attention_bias": False,
                    "mlp_bias": False, "sliding_window": 128},
    "granitemoe_swa": {"tie_word_embeddings": False, "attention_bias": False,
                       "num_local_experts": 8, "num_experts_per_tok": 2,
                       "shared_intermediate_size": 0, "sliding_window": 128},
    "mellum": {"tie_word_embeddings": False, "num_key_value_heads": 4, "head_dim": 128,
               "attention_bias": False, "num_experts": 64, "moe_intermediate_size": 896,
               "num_experts_per_tok": 8, "mlp_layer_types": None},
    "exaone_moe": {"tie_word_embeddings": False, "num_key_value_heads": 32, "num_experts": 64,
                   "moe_intermediate_size": 1024, "num_experts_per_tok": 8, "num_shared_experts": 1,
                   "mlp_layer_types": None, "first_k_dense_replace": 1,
                   "sliding_window": 4096, "sliding_window_pattern": 4},
    "solar_open": {"tie_word_embeddings": False, "num_key_value_heads": 8, "head_dim": 128,
                   "attention_bias": False, "n_routed_experts": 128, "moe_intermediate_size": 1280,
                   "num_experts_per_tok": 8, "n_shared_experts": 1},
    "dots1": {"tie_word_embeddings": False, "num_key_value_heads": 32, "attention_bias": False,
              "n_routed_experts": None, "moe_intermediate_size": 1408, "num_experts_per_tok": None,
              "n_shared_experts": None, "first_k_dense_replace": 0},
    "apertus": {"tie_word_embeddings": False, "attention_bias": False},
    "youtu": {"tie_word_embeddings": True, "num_key_value_heads": 16, "attention_bias": False,
              "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_rope_head_dim": 64,
              "qk_nope_head_dim": 128, "v_head_dim": 128},
    "glm4_moe_lite": {"tie_word_embeddings": False, "num_key_value_heads": 20,
                      "attention_bias": False, "n_routed_experts": 64,
                      "moe_intermediate_size": 1536, "num_experts_per_tok": 4,
                      "n_shared_experts": 1, "mlp_layer_types": None, "q_lora_rank": 768,
                      "kv_lora_rank": 512, "qk_rope_head_dim": 64, "qk_nope_head_dim": 192,
                      "v_head_dim": 256},
    "diffllama": {"tie_word_embeddings": False, "attention_bias": False},
    "jais2": {"tie_word_embeddings": False, "attention_bias": True, "mlp_bias": True},
    "minicpm3": {"tie_word_embeddings": True, "num_key_value_heads": 40, "attention_bias": False,
                 "mlp_bias": False, "q_lora_rank": 768, "kv_lora_rank": 256,
                 "qk_rope_head_dim": 32, "qk_nope_head_dim": 64, "v_head_dim": None},
    "nanochat": {"tie_word_embeddings": False, "attention_bias": False},
    "flex_olmo": {"tie_word_embeddings": False, "attention_bias": False, "num_experts": 7,
                  "num_experts_per_tok": 5},
    "hy_v3": {"tie_word_embeddings": False, "num_key_value_heads": 8, "head_dim": 128,
              "attention_bias": False, "mlp_bias": False, "num_experts": 192,
              "num_experts_per_tok": 8, "num_shared_experts": 1, "moe_intermediate_size": 1536,
              "mlp_layer_types": None},
    "mistral4": {"tie_word_embeddings": False, "num_key_value_heads": 32, "attention_bias": False,
                 "n_routed_experts": 128, "moe_intermediate_size": 2048,
                 "num_experts_per_tok": 4, "n_shared_experts": 1, "first_k_dense_replace": 0,
                 "q_lora_rank": 1024, "kv_lora_rank": 256, "qk_rope_head_dim": 64,
                 "qk_nope_head_dim": 64, "v_head_dim": 128},
    "sarvam_moe": {"tie_word_embeddings": False, "num_key_value_heads": 4, "head_dim": 64,
                   "attention_bias": False, "use_qk_norm": True, "n_routed_experts": 128,
                   "moe_intermediate_size": 1024, "num_experts_per_tok": 6,
                   "n_shared_experts": 1, "first_k_dense_replace": 1},
    "param2moe": {"tie_word_embeddings": True, "num_key_value_heads": 8, "head_dim": 64,
                  "attention_bias": False, "use_qk_norm": True, "n_routed_experts": 64,
                  "moe_intermediate_size": 2048, "num_experts_per_tok": 6,
                  "n_shared_experts": 2, "first_k_dense_replace": 1},
    "persimmon": {"tie_word_embeddings": False, "qk_layernorm": True},
    "qwen3_vl_text": {"num_key_value_heads": 32, "head_dim": 128, "attention_bias": False},
    "qwen3_vl_moe_text": {"tie_word_embeddings": True, "num_key_value_heads": 16,
                          "head_dim": None, "attention_bias": False, "decoder_sparse_step": 1,
                          "moe_intermediate_size": 1408, "num_experts_per_tok": 4,
                          "num_experts": 60, "mlp_only_layers": None},
    "qwen2_vl_text": _QWEN_VL_TEXT, "qwen2_5_vl_text": _QWEN_VL_TEXT,
    "ernie4_5_moe": {"tie_word_embeddings": True, "num_key_value_heads": 4, "use_bias": False,
                     "moe_num_experts": 64, "moe_intermediate_size": 1536, "moe_k": 6,
                     "moe_num_shared_experts": 2, "moe_layer_start_index": 1,
                     "moe_layer_end_index": -1, "moe_layer_interval": 1},
    "deepseek_v32": {"tie_word_embeddings": False, "num_key_value_heads": 128,
                     "attention_bias": False, "n_routed_experts": 256,
                     "moe_intermediate_size": 2048, "num_experts_per_tok": 8,
                     "n_shared_experts": 1, "mlp_layer_types": None, "first_k_dense_replace": 3,
                     "q_lora_rank": 1536, "kv_lora_rank": 512, "qk_rope_head_dim": 64,
                     "qk_nope_head_dim": 128, "v_head_dim": 128, "index_n_heads": 64,
                     "index_head_dim": 128},
    "glm_moe_dsa": {"tie_word_embeddings": False, "num_key_value_heads": 64,
                    "attention_bias": False, "n_routed_experts": 256,
                    "moe_intermediate_size": 2048, "num_experts_per_tok": 8,
                    "n_shared_experts": 1, "mlp_layer_types": None, "first_k_dense_replace": 3,
                    "q_lora_rank": 2048, "kv_lora_rank": 512, "qk_rope_head_dim": 64,
                    "qk_nope_head_dim": 192, "v_head_dim": 256, "index_n_heads": 32,
                    "index_head_dim": 128, "indexer_types": None},
    "sarvam_mla": {"tie_word_embeddings": False, "attention_bias": False,
                   "n_routed_experts": 128, "moe_intermediate_size": 2048,
                   "num_experts_per_tok": 8, "n_shared_experts": 1, "first_k_dense_replace": 1,
                   "q_lora_rank": None, "kv_lora_rank": 512, "qk_rope_head_dim": 64,
                   "qk_nope_head_dim": 128, "v_head_dim": 128},
    "mimo_v2_flash": {"tie_word_embeddings": False, "num_key_value_heads": 4, "head_dim": 192,
                      "v_head_dim": 128, "attention_bias": False, "n_routed_experts": 256,
                      "moe_intermediate_size": 2048, "num_experts_per_tok": 8,
                      "sliding_window": 129, "layer_types": None, "mlp_layer_types": None},
    # InternLM2Config's own (INTERNLM2's configuration_internlm2.py): num_key_value_heads None
    # is num_attention_heads, as Dims reads it
    "internlm2": {"tie_word_embeddings": False, "bias": True},
}

# InternLM2's code as InternLM publishes it (modeling_internlm2.py; its InternLM2Config in
# configuration_internlm2.py beside it, InternLM/InternEvo-HFModels@4c80f49)
INTERNLM2 = ("https://github.com/InternLM/InternEvo-HFModels/blob/"
             "1a4733c400dbef80772e9f425bcc68227a94eb0d/huggingface_model/internlm/internlm2_7b/"
             "modeling_internlm2.py")

# MiMo's model as vLLM builds it (MiMoForCausalLM, its checkpoint's MTP layers left to the draft
# model MiMoMTP in mimo_mtp.py, vllm-project/vllm@0bb55d60cb667d2f4e263b55304a30b38fe2e55c)
MIMO = ("https://github.com/vllm-project/vllm/blob/055e47c28003156421365af985d676fc921cb075/"
        "vllm/model_executor/models/mimo.py")

# attribute_map: the names a publisher may have written for a key
_SARVAM = {"num_local_experts": "n_routed_experts", "num_mtp_layers": "num_nextn_predict_layers",
           "num_experts": "n_routed_experts", "num_shared_experts": "n_shared_experts",
           "use_qkv_bias": "attention_bias"}
ALIASES: dict[str, dict[str, str]] = {
    "gpt_oss": {"num_experts": "num_local_experts"},
    "hunyuan_v1_moe": {"num_experts_per_tok": "moe_topk", "num_local_experts": "num_experts"},
    "minimax_m2": {"num_experts": "num_local_experts"},
    "olmoe": {"num_local_experts": "num_experts"},
    "kolibri1": {"num_local_experts": "num_experts"},
    "glm4_moe": {"num_local_experts": "n_routed_experts",
                 "num_mtp_layers": "num_nextn_predict_layers"},
    "exaone": {"num_layers": "num_hidden_layers", "layer_norm_epsilon": "rms_norm_eps",
               "activation_function": "hidden_act"},
    "internlm3": {"qkv_bias": "attention_bias", "bias": "mlp_bias"},
    # saved as num_local_experts, the attribute_map's name for its num_experts field
    "mellum": {"num_local_experts": "num_experts", "num_mtp_layers": "num_nextn_predict_layers"},
    "solar_open": {"num_local_experts": "n_routed_experts"},
    "dots1": {"num_local_experts": "n_routed_experts"},
    "glm4_moe_lite": {"num_local_experts": "n_routed_experts", "head_dim": "qk_rope_head_dim"},
    "flex_olmo": {"num_local_experts": "num_experts"},
    "hy_v3": {"num_local_experts": "num_experts"},
    "mistral4": {"num_local_experts": "n_routed_experts"},
    "deepseek_v32": {"num_local_experts": "n_routed_experts"},
    "glm_moe_dsa": {"num_local_experts": "n_routed_experts"},
    # saved as num_local_experts, the attribute_map's name for its num_experts field
    "qwen3_vl_moe_text": {"num_local_experts": "num_experts"},
    "sarvam_moe": _SARVAM, "param2moe": _SARVAM,
    "ernie4_5_moe": {"num_experts": "moe_num_experts", "num_experts_per_tok": "moe_k",
                     "num_mtp_layers": "num_nextn_predict_layers"},
    "mimo_v2_flash": {"num_local_experts": "n_routed_experts"},
    "sarvam_mla": {"num_local_experts": "n_routed_experts",
                   "num_mtp_layers": "num_nextn_predict_layers", "num_experts": "n_routed_experts",
                   "num_shared_experts": "n_shared_experts"},
}

_SEQ, _SEQ_TOKEN = decoder_heads(SEQ), decoder_heads(SEQ, TOKEN)
_ALL_QA_TRANSFORMER = decoder_heads(SEQ, TOKEN, QA, qa="transformer")
# AutoModel's class of each family and the task-head classes transformers has for it; the
# classes' names start with the base class's ('Arcee' for ArceeModel), but for the families
# transformers builds with Llama's classes, whose own (remote-code) names are given
CLASSES: dict[str, tuple[str, dict[str, Head]]] = {
    "apertus": ("ApertusModel", decoder_heads(TOKEN)), "arcee": ("ArceeModel", _ALL_QA_TRANSFORMER),
    "bitnet": ("BitNetModel", {}), "cohere": ("CohereModel", {}), "cohere2": ("Cohere2Model", {}),
    "cwm": ("CwmModel", {}), "dots1": ("Dots1Model", {}), "ernie4_5": ("Ernie4_5Model", {}),
    "exaone": ("LlamaModel", {}), "exaone4": ("Exaone4Model", _ALL_QA_TRANSFORMER),
    "exaone_moe": ("ExaoneMoeModel", {}), "glm": ("GlmModel", _SEQ_TOKEN),
    "glm4": ("Glm4Model", _SEQ_TOKEN), "glm4_moe": ("Glm4MoeModel", {}),
    "kolibri1": ("Kolibri1Model", {}),
    "glm4_moe_lite": ("Glm4MoeLiteModel", {}), "gpt_oss": ("GptOssModel", _SEQ_TOKEN),
    "granite": ("GraniteModel", {}), "granite_swa": ("GraniteSWAModel", {}),
    "granitemoe": ("GraniteMoeModel", {}), "granitemoe_swa": ("GraniteMoeSWAModel", {}),
    "granitemoeshared": ("GraniteMoeSharedModel", {}), "helium": ("HeliumModel", _SEQ_TOKEN),
    "hunyuan_v1_dense": ("HunYuanDenseV1Model", _SEQ),
    "hunyuan_v1_moe": ("HunYuanMoEV1Model", _SEQ),
    "hyperclovax": ("HyperCLOVAXModel", {}), "internlm3": ("LlamaModel", {}),
    "iquestcoder": ("LlamaModel", {}), "llama4_text": ("Llama4TextModel", {}),
    "mellum": ("MellumModel", {}), "minimax_m2": ("MiniMaxM2Model", {}),
    "ministral": ("MinistralModel", _ALL_QA_TRANSFORMER),
    "ministral3": ("Ministral3Model", decoder_heads(SEQ, TOKEN, QA)),
    "nemotron": ("NemotronModel", _ALL_QA_TRANSFORMER), "olmo3": ("Olmo3Model", _SEQ),
    "olmoe": ("OlmoeModel", {}), "phimoe": ("PhimoeModel", _SEQ),
    "seed_oss": ("SeedOssModel", _ALL_QA_TRANSFORMER),
    "smollm3": ("SmolLM3Model", _ALL_QA_TRANSFORMER), "solar_open": ("SolarOpenModel", {}),
    "stablelm": ("StableLmModel", _SEQ_TOKEN), "vaultgemma": ("VaultGemmaModel", {}),
    "youtu": ("YoutuModel", {}),
    # added for issue 20
    "diffllama": ("DiffLlamaModel", _ALL_QA_TRANSFORMER), "jais2": ("Jais2Model", {}),
    "minicpm3": ("MiniCPM3Model", _SEQ), "nanochat": ("NanoChatModel", {}),
    "flex_olmo": ("FlexOlmoModel", {}), "hy_v3": ("HYV3Model", {}),
    "mistral4": ("Mistral4Model", _SEQ_TOKEN), "ernie4_5_moe": ("Ernie4_5_MoeModel", {}),
    "persimmon": ("PersimmonModel", _SEQ_TOKEN), "deepseek_v32": ("DeepseekV32Model", {}),
    "glm_moe_dsa": ("GlmMoeDsaModel", {}),
    # configs of their own for GLM-4 MoE's and DeepSeek-V3's models (prefixes in MORE)
    "sarvam_moe": ("Glm4MoeModel", {}), "param2moe": ("Glm4MoeModel", {}),
    "sarvam_mla": ("DeepseekV3Model", {}),
    "mimo_v2_flash": ("MiMoV2FlashModel", {}),
    # its code's classes (InternLM2ForCausalLM: the prefix's causal LM)
    "internlm2": ("InternLM2Model", {}),
    "mimo": ("MiMoModel", {}),
    # the language models of Qwen2-VL, Qwen2.5-VL, Qwen3-VL and Qwen3-VL-MoE on their own
    "qwen2_vl_text": ("Qwen2VLTextModel", {}), "qwen2_5_vl_text": ("Qwen2_5_VLTextModel", {}),
    "qwen3_vl_text": ("Qwen3VLTextModel", {}), "qwen3_vl_moe_text": ("Qwen3VLMoeTextModel", {}),
}
# the class-name prefix of the families that transformers builds with Llama's classes (their
# configs name their remote-code classes: ExaoneForCausalLM) or GLM-4 MoE's and DeepSeek-V3's
# (their config classes' names: SarvamMoEConfig), and Llama 4's causal LM
MORE: dict[str, dict[str, Any]] = {
    "exaone": {"prefix": "Exaone"}, "internlm3": {"prefix": "InternLM3"},
    "iquestcoder": {"prefix": "IQuestCoder"}, "llama4_text": {"lm_class": "Llama4ForCausalLM"},
    "sarvam_moe": {"prefix": "SarvamMoE"}, "param2moe": {"prefix": "Param2Moe"},
    "sarvam_mla": {"prefix": "SarvamMLA"}, "internlm2": {"code": INTERNLM2},
    "mimo": {"code": MIMO}}

for _family, _traits in TRAITS.items():
    register_traits(_family, _traits, DEFAULTS.get(_family, {}), ALIASES.get(_family),
                    *CLASSES[_family], **MORE.get(_family, {}))
