"""What sets one Llama-shaped decoder family apart from another, as data read by one builder.

A trait is fixed for the family (True, "gated") or read from the config (a key name such as
"attention_bias", whose default is the family's).  decoder_builder.py builds every family
from its Traits; decoder.py and decoder_families.py list them.
"""

from __future__ import annotations

from ..records import record

Flag = bool | str  # a fixed answer, or the config key that holds it


@record
class Moe:
    """A mixture-of-experts feed-forward block.

    experts: n x (2 * width) x hidden for gate and up fused, n x hidden x width for down, as
    transformers 5 stores them (transposed: in x out, as GPT-OSS and Llama 4 keep them).
    """

    experts: str = "num_experts"  # config key: routed experts
    width: str = "moe_intermediate_size"  # config key: one expert's intermediate size
    top_k: str = "num_experts_per_tok"
    block: str = "mlp"  # the feed-forward module's name in a layer
    router: str = "gate"  # the router's linear layer, under block
    router_bias: Flag = False
    expert_bias: bool = False  # GPT-OSS: gate_up_proj_bias, down_proj_bias
    transposed: bool = False
    # which layers are sparse: all | sparse_step (Qwen) | first_k_dense (DeepSeek) |
    # interleave (Llama 4) | first_dense (all but layer 0) | types: mlp_layer_types ("sparse" /
    # "dense"), else the rule in types_else (Mellum, EXAONE MoE, GLM-4 MoE Lite) | range
    # (ERNIE 4.5: every moe_layer_interval-th from moe_layer_start_index to moe_layer_end_index)
    layers: str = "all"
    types_else: str = "all"
    shared_width: str | None = None  # config key: the shared expert's intermediate size
    shared_count: str | None = None  # config key: shared experts, each `width` wide
    shared_name: str = "mlp.shared_experts"  # the shared expert's path in the layer
    shared_gate: bool = False  # Qwen2-MoE: a sigmoid gate on the shared expert
    shared_mlp: str | None = None  # the shared expert's layout, where not the dense MLP's
    score_bias: str | None = None  # a per-expert correction bias beside the router
    score_bias_buffer: bool = True
    score_bias_rows: bool = False  # ERNIE 4.5: the bias as one row, 1 x experts


@record
class Traits:
    """One decoder family's layout; every field's default is Llama's."""

    attention: str = "split"
    head_dim: bool = True  # reads head_dim (else hidden / heads, whatever the config says)
    kv_heads: bool = True  # reads num_key_value_heads (else one per query head, Persimmon)
    # keys the config must give (transformers has no default for them and fails without)
    requires: tuple[str, ...] = ()  # split: q/k/v/o | fused: qkv_proj (Phi-3) | latent (DeepSeek)
    qkv_bias: Flag = "attention_bias"
    o_bias: Flag = "attention_bias"
    out_proj: str = "o_proj"
    qkv_name: str = "qkv_proj"  # fused: the one projection's name (Persimmon: query_key_value)
    # RMSNorm on queries and keys: head (over head_dim) | full (over all heads) |
    # heads (one per head: heads x head_dim, Cohere) | per_head (a LayerNorm per head, StableLM)
    qk_norm: str | None = None
    qk_norm_when: Flag = True
    qk_norm_names: tuple[str, str] = ("q_norm", "k_norm")
    qk_norm_bias: bool = False
    # GPT-OSS: one learned attention-sink logit per head, in every layer (True) or in the
    # sliding-window layers alone ("sliding": MiMo-V2-Flash)
    sinks: bool | str = False
    # a value head size other than head_dim: the config key that gives it (MiMo-V2-Flash's
    # v_head_dim: keys 192 wide, values 128); v_proj and o_proj are built to it
    value_dim: str | None = None
    # the sliding-window layers' KV heads, num_key_value_heads times this (MiMo-V2-Flash: 2)
    sliding_kv: int = 1
    sub_norms: bool = False  # BitNet: a norm after attention and inside the MLP
    act_params: bool = False  # Apertus: xIELU's two learned scalars, alpha_p and alpha_n
    # learned vectors head_dim long in self_attn (DiffLlama: lambda_q1, lambda_k1, ...)
    head_vectors: tuple[str, ...] = ()
    # latent attention: a null or absent v_head_dim is hidden / heads (MiniCPM3), else refused
    v_head_dim_from_hidden: bool = False
    # DeepSeek-V3.2's sparse-attention indexer in every attention layer: its key cache is
    # planned as transformers keeps it; compute and speed refuse its top-k attention
    indexer: bool = False
    # GLM-5's config may give a layer no indexer of its own (indexer_types "shared": it reuses
    # the previous layer's top-k); nnsize builds every layer's and refuses such a config by key
    indexer_types: bool = False
    # gated: gate/up/down | fused: gate_up/down | plain: up/down | fc: fc1/fc2 | c_fc: c_fc/c_proj
    # | io: input_linear/output_linear | h_to_4h: dense_h_to_4h/dense_4h_to_h (Persimmon)
    mlp: str = "gated"
    mlp_name: str = "mlp"  # the dense feed-forward module's name in a layer
    dense_width: str = "intermediate_size"  # config key: a dense MLP's intermediate size
    mlp_bias: Flag = False
    # a layer's norms; (name, flag): a norm there only when the flag holds
    norms: tuple[str | tuple[str, Flag], ...] = ("input_layernorm", "post_attention_layernorm")
    norm_bias: Flag = False
    final_norm: str | None = "norm"
    head_bias: Flag = False
    moe: Moe | None = None
    # sliding windows without layer_types: none | all | alternate (Gemma 2) | pattern (Gemma 3) |
    # qwen (use_sliding_window from max_window_layers on) | periodic (below)
    windows: str = "none"
    # periodic: window_period layers repeat, all sliding but one full one, the "first" or the
    # "last" of each period (OLMo 3: 3 sliding, then 1 full); window_key names the config key
    # that may change the period (an int) or spell it out in letters ("LLLG": L local, G global)
    window_period: int = 4
    window_full: str = "last"
    window_key: str | None = None
    # periodic: layer 0 full as well (MiMo-V2-Flash: full at 0 and every 6th, (i + 1) % 6 == 0)
    window_first_full: bool = False
    # a config key of the tokens a sliding layer attends before the query, which transformers'
    # config class turns into sliding_window = that + 1 where given (MiMo-V2-Flash's
    # sliding_window_size, as SGLang reads it)
    window_attended: str | None = None
    # the config key of the window's length: Llama 4's chunked attention layers are cached as
    # sliding ones, attention_chunk_size long, the NoPE layers (no_rope_layers 0) full
    window_size_key: str = "sliding_window"
    # keys of the publisher's own code that transformers' config class leaves unread, each with
    # what nnsize (as transformers) builds in its place (decoder_builder.FACTS): a config that
    # says otherwise describes another model, and is refused naming the key
    agree: tuple[tuple[str, str], ...] = ()
    # a closed family: the keys its config may hold beyond those the builder reads, known to
    # change no tensor and no cache (None: open, every other family); any other key is refused
    known: tuple[str, ...] | None = None
    # the family's own names of modules, where its code names them unlike transformers' Llama
    # (InternLM2's attention.wqkv for self_attn.qkv_proj): (Llama's path, the family's), each
    # path whole, in a layer or at the top of the model (embed_tokens, lm_head)
    names: tuple[tuple[str, str], ...] = ()
    # the config key of the multi-token-prediction layers a checkpoint keeps beside the model
    # (MiMo's num_nextn_predict_layers): each a decoder layer with token_layernorm,
    # hidden_layernorm, input_proj (hidden x 2 x hidden) and final_layernorm, under
    # mtp_layers.{i}; a draft model runs them, not the model's forward: none used a token
    mtp: str | None = None
