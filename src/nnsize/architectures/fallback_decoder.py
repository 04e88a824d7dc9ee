"""The planner's view (model.Decoder) of a decoder-only language model transformers built on the
meta device (fallback.py): read from the config object transformers made, its attribute_map
aliases and its defaults resolved, and checked against the tensors of the model it built.

    layers, hidden, heads, vocab, intermediate   num_hidden_layers, hidden_size,
                                                 num_attention_heads, vocab_size,
                                                 intermediate_size: required, never defaulted
    kv heads                                     num_key_value_heads; absent, the heads
    head_dim                                     head_dim; absent, hidden / heads
                                                 and always: layer 0's key projection (k_proj,
                                                 key, k) has kv heads x head_dim rows
    windows                                      layer_types (full_attention, sliding_attention
                                                 with sliding_window); a sliding_window without
                                                 layer_types is refused (which layers use it?)

Per-layer configs (transformers 5's per_layer_config: Gemma 4's full-attention layers have their
own head_dim and kv heads): heads, kv heads and head_dim are read layer by layer, from
config.per_layer_config[i], each checked against that layer's own key projection; any other
per-layer attribute (dots.llm3's kv_lora_rank) is refused by name.

Cross-attention layers (Llama 3.2 Vision's cross_attention_layers): their keys and values are
of the image's vision tokens, cached once a request whatever the context; how many tokens an
image gives is read from the vision config of the model types in CROSS, and any other model
with such a key is refused.

Mixtures of experts (ROUTED): the model types whose routing is read here, each from its
transformers modeling code, its keys in a Routing; the layers that route checked against the
expert tensors transformers built, their shapes against the keys (expert_rows splits them into
rows of their own, so that a token's active parameters and compute count k of n experts).
MiniMax-Text-01 (minimax): softmax attention beside lightning attention, whose fixed state a
sequence keeps, by _minimax; its MLPs from ROUTED.
A mixture of attention (Routing.attention, JetMoE's MoA) routes its attention experts' query
and output projections alike, read by _mixed_attention.

Latent attention (LATENT): the mixtures of experts with DeepSeek's latent attention in every
layer, HY-V4, A.X-K1 and A.X-K2, read by _latent (the latent, the rope key and a sparse-attention
indexer's key, each checked against the layer's projections), their MLPs from ROUTED; Kimi
Linear's and Ling's hybrid's (bailing_hybrid) latent attention beside delta attention, by
_kimi_linear.

Refused, by the key's name, whatever would change the KV cache or the compute in a way the
planner does not model: any other mixture-of-experts key, other latent attention (kv_lora_rank),
chunked or shared caches, other layer types (linear attention, state-space), layers that
differ.  The count
itself stands; only the planner refuses (fallback.py keeps the reason).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from ..errors import SpecError, shown
from ..model import AttentionLayer, Decoder, Layers, Row, StateMixer, Tensor, sum_formula
from ..records import record, replace

REQUIRED = ("num_hidden_layers", "hidden_size", "num_attention_heads", "vocab_size",
            "intermediate_size")
# what a layer of a per-layer config may set for itself: the shape of its attention
PER_LAYER = ("num_attention_heads", "num_key_value_heads", "head_dim")
# keys that change the cache or the compute beyond what Decoder says (a value that is unset,
# 0, False or None leaves the model as the planner sees it)
UNMODELLED = ("kv_lora_rank", "q_lora_rank", "attention_chunk_size", "num_kv_shared_layers",
              "layers_block_type", "hybrid_override_pattern",
              "attn_layer_period", "block_types", "linear_num_value_heads", "mamba_d_state",
              "ssm_cfg")
LAYER_KINDS = ("full_attention", "sliding_attention")
# a layer's key projection, inside an attention module (an xLSTM's mLSTM has a 'k' too)
_KEY = re.compile(r"^.*?\.(?P<i>\d+)\.(?:.*\.)?\w*att\w*\.(?:.*\.)?(?:k_proj|key|k)\.weight$")
_INDEXED = re.compile(r"(?:^|\.)layers?\.(\d+)\.")  # model.layers.3. or a base model's layers.3.
Overrides = tuple[tuple[str, Any], ...]  # a layer's values of the per-layer attributes


def _mllama_image(vision: Any) -> tuple[int, int]:
    """(tiles, tokens a tile) of one image in Llama 3.2 Vision's cross-attention cache.

    tiles       max_num_tiles: the processor pads every image to max_image_tiles tiles
                (image_processing_mllama.py pad_batches_and_tiles), the cache keeps them all
    a tile      (image_size / patch_size)^2 patches + a class token: MllamaVisionModel's
                num_patches; its padding to a multiple of 8 is cut off before the projector,
                whose output is reshaped to (-1, num_patches, hidden) and read by each
                cross-attention layer's k_proj and v_proj as (batch, -1, kv heads, head_dim)
    (https://github.com/huggingface/transformers/blob/v5.25.0/src/transformers/models/mllama/modeling_mllama.py:
    MllamaVisionModel.__init__ and forward, MllamaModel.forward, MllamaTextCrossAttention;
    https://github.com/huggingface/transformers/blob/v5.25.0/src/transformers/models/mllama/image_processing_mllama.py)
    11B: 4 tiles x ((560 / 14)^2 + 1) = 4 x 1,601 = 6,404 tokens."""
    tiles = _whole(vision, "max_num_tiles", "MllamaVisionConfig")
    size = _whole(vision, "image_size", "MllamaVisionConfig")
    patch = _whole(vision, "patch_size", "MllamaVisionConfig")
    return tiles, (size // patch) ** 2 + 1


# the models whose language model cross-attends to images, by their (outer) config's
# model_type: one image's (tiles, tokens a tile), read from its vision_config
CROSS = {"mllama": _mllama_image}


def compressing_layers(config: Any, tensors: list[Tensor]) -> Layers:
    """DeepSeek-V4's layers as transformers' DynamicCache keeps them: get_layer_types_and_kwargs
    gives each entry of layer_types its cache class (cache_utils.py and
    models/deepseek_v4/modeling_deepseek_v4.py, transformers v5.25.0):

        sliding_attention             DynamicSlidingWindowLayer: keys and values of the last
                                      sliding_window - 1 tokens, one KV head of head_dim each
        compressed_sparse_attention   DeepseekV4CSACache: the window's keys, read as its
                                      values (values = keys); an entry of head_dim +
                                      index_head_dim every compress_rates[...] tokens; a
                                      pending token's kv and gate projections, 2 x (2 x
                                      head_dim + 2 x index_head_dim) (two overlapping series,
                                      the compressor's and its indexer's); the last group's
                                      first series carried, ratio x (head_dim + index_head_dim)
                                      at the cache's dtype and its gate as many in float32
        heavily_compressed_attention  DeepseekV4HCACache: the window's keys; an entry of
                                      head_dim every compress_rates[...] tokens; a pending
                                      token's 2 x head_dim; nothing carried

    One KV head whatever num_key_value_heads says (DeepseekV4Attention.kv_proj projects to
    head_dim): checked against layer 0's kv_proj."""
    kind = type(config).__name__
    n = _whole(config, "num_hidden_layers", kind)
    heads = _whole(config, "num_attention_heads", kind)
    head_dim = _whole(config, "head_dim", kind)
    index = _whole(config, "index_head_dim", kind)
    window = _whole(config, "sliding_window", kind)
    rates = getattr(config, "compress_rates", None)
    types = getattr(config, "layer_types", None)
    if not isinstance(types, (list, tuple)) or len(types) != n:
        raise SpecError(f"layer_types must list the {n:,} layers, got {shown(types)}")
    rows = next((t.shape[0] for t in tensors if t.name.endswith("layers.0.self_attn.kv_proj"
                                                                ".weight")), None)
    if rows != head_dim:
        raise SpecError(f"{kind}'s layer 0 has no kv_proj of head_dim = {head_dim} rows: the "
                        f"planner does not know its cache")
    out = []
    for i, t in enumerate(types):
        if t == "sliding_attention":
            out.append(AttentionLayer(heads, 1, head_dim, head_dim, window))
            continue
        if t not in ("compressed_sparse_attention", "heavily_compressed_attention"):
            raise SpecError(f"layer_types[{i}] = {shown(t)}: the planner knows "
                            f"sliding_attention, compressed_sparse_attention and "
                            f"heavily_compressed_attention for {kind}")
        ratio = rates.get(t) if isinstance(rates, dict) else None
        if isinstance(ratio, bool) or not isinstance(ratio, int) or ratio < 1:
            raise SpecError(f"compress_rates[{t!r}] must be a positive whole number, got "
                            f"{shown(ratio)}")
        if t == "heavily_compressed_attention":
            out.append(AttentionLayer(heads, 1, head_dim, head_dim, window, values_are_keys=True,
                                      compress_ratio=ratio, compressed_dim=head_dim,
                                      pending_dim=2 * head_dim))
        else:
            entry = head_dim + index
            out.append(AttentionLayer(heads, 1, head_dim, head_dim, window, values_are_keys=True,
                                      compress_ratio=ratio, compressed_dim=entry,
                                      pending_dim=2 * 2 * entry, carry_dim=entry,
                                      carry_float32_dim=entry))
    return Layers.of(out)


def _deepseek_v4(config: Any, tensors: list[Tensor]) -> Decoder:
    """DeepSeek-V4's Decoder: its layers' caches (compressing_layers), and every layer's MLP a
    mixture of experts (mlp_layer_types: the first num_hash_layers routed by the token's id,
    hash_moe, the rest by score, moe), num_experts_per_tok routed experts of
    moe_intermediate_size each beside n_shared_experts shared ones of the same size
    (DeepseekV4SparseMoeBlock): the shared experts' width is its dense intermediate."""
    kind = type(config).__name__
    mlp = getattr(config, "mlp_layer_types", None)
    if not isinstance(mlp, (list, tuple)) or any(t not in ("hash_moe", "moe") for t in mlp):
        raise SpecError(f"mlp_layer_types = {shown(mlp)}: the planner knows {kind}'s "
                        f"hash_moe and moe layers")
    width = _whole(config, "moe_intermediate_size", kind)
    return Decoder(_whole(config, "hidden_size", kind),
                   width * _whole(config, "n_shared_experts", kind),
                   _whole(config, "vocab_size", kind), compressing_layers(config, tensors),
                   experts_per_token=_whole(config, "num_experts_per_tok", kind),
                   expert_intermediate=width)


_TF = "https://github.com/huggingface/transformers/blob/v5.25.0/src/transformers/models/"


@record
class Routing:
    """How a mixture of experts transformers builds routes, by its config's keys.

        experts       routed experts a MoE layer holds (the experts' 3-D tensors' first
                      dimension)
        top_k         routed experts a token uses
        width         each routed expert's intermediate size
        shared        shared experts, each `width` wide (a count key), or
        shared_width  the one shared expert's intermediate size; neither: none
        routes        which layers route, (config, layers) -> one bool a layer; the others
                      are dense, config.intermediate_size wide
        source        where that is read (transformers v5.25.0)
        groups        expert-group keys, accepted at any value: grouped top-k (DeepSeek-V3's
                      n_group) picks which experts, never how many, and a key the family's
                      transformers code never reads (Trinity's) builds nothing
        dense_width   the dense layers' intermediate size, where the family has a key of its
                      own for it and it is set (else intermediate_size)
        transposed    the experts' tensors stored (in, out), as Aria's checkpoints store them:
                      gate_up_proj experts x hidden x 2 width, down_proj experts x width x
                      hidden
        fused         the dense MLPs' and shared experts' gate and up projections one
                      gate_up_proj (2 x their width rows), as MiniMax-M3's
        tensors       the routed experts' (gate and up, down) tensors under the layer's mlp.
                      (JetMoE's input_linear.weight and output_linear.weight); every tensor
                      of the modules that hold them is a routed expert's
        attention     a mixture of attention (JetMoE's MoA), routed k of n as the MLP: the
                      tensors under the layer of its experts' query projections (experts x
                      kv heads x head_dim x hidden), their output projections (experts x
                      hidden x kv heads x head_dim) and the keys' and values' projection all
                      share (2 x kv heads x head_dim rows); none: attention of one kind

    A layer's MLP module is `mlp`, its routed experts mlp.experts (gate_up_proj: experts x 2
    width x hidden, down_proj: experts x hidden x width), its shared ones mlp.<shared_name>."""

    experts: str
    top_k: str
    width: str
    routes: Callable[[Any, int], list[bool]]
    source: str
    shared: str = ""
    shared_width: str = ""
    shared_name: str = "shared_experts"
    groups: tuple[str, ...] = ()
    dense_width: str = ""
    transposed: bool = False
    fused: bool = False
    tensors: tuple[str, str] = ("experts.gate_up_proj", "experts.down_proj")
    attention: tuple[str, str, str] | tuple[()] = ()

    def dense(self, config: Any, kind: str) -> int:
        """The dense layers' intermediate size."""
        own = self.dense_width and getattr(config, self.dense_width, None) is not None
        return _whole(config, self.dense_width if own else "intermediate_size", kind)

    @property
    def keys(self) -> tuple[str, ...]:
        """The config keys read (an expert key not among them is refused)."""
        return tuple(k for k in (self.experts, self.top_k, self.width, self.shared,
                                 self.shared_width) if k)


def _after_dense(key: str) -> Callable[[Any, int], list[bool]]:
    """The layers from config.<key> on route (the first ones are dense)."""
    def routes(config: Any, n: int) -> list[bool]:
        first = getattr(config, key, None)
        if isinstance(first, bool) or not isinstance(first, int) or first < 0:
            raise SpecError(f"{key} must be a whole number of dense layers, got {shown(first)}")
        return [i >= first for i in range(n)]
    return routes


def _every(config: Any, n: int) -> list[bool]:
    """Every layer routes (no dense layer)."""
    return [True] * n


def _listed(config: Any, n: int) -> list[bool]:
    """mlp_layer_types: 'sparse' routes, 'dense' does not."""
    return [t == "sparse" for t in _each_layer(config, "mlp_layer_types", n, ("dense", "sparse"))]


def _each_layer(config: Any, key: str, n: int, kinds: tuple[str, str]) -> list[str]:
    """config's list under key, one of kinds for each of its n layers, or SpecError."""
    types = getattr(config, key, None)
    if not isinstance(types, (list, tuple)) or len(types) != n or \
            any(t not in kinds for t in types):
        raise SpecError(f"{key} must give each of the {n:,} layers {kinds[0]!r} or "
                        f"{kinds[1]!r}, got {shown(types)}")
    return list(types)


def _sparse_step(config: Any, n: int) -> list[bool]:
    """Qwen2-MoE's rule: a layer not in mlp_only_layers routes where num_experts > 0 and
    (i + 1) % decoder_sparse_step == 0."""
    step = getattr(config, "decoder_sparse_step", None)
    only = getattr(config, "mlp_only_layers", None)
    if isinstance(step, bool) or not isinstance(step, int) or step < 1:
        raise SpecError(f"decoder_sparse_step must be a positive whole number, got "
                        f"{shown(step)}")
    if not isinstance(only, (list, tuple)) or \
            any(isinstance(i, bool) or not isinstance(i, int) for i in only):
        raise SpecError(f"mlp_only_layers must list layer indexes, got {shown(only)}")
    return [i not in only and (i + 1) % step == 0 for i in range(n)]


# the mixtures of experts whose routing the planner reads, by model_type; each read from its
# modeling code (the classes named in source) and checked on a tiny model
# (tests/architectures/test_fallback_moe.py); kimi_linear's Decoder is _kimi_linear's
# (READERS), its MLPs read from here
ROUTED = {
    # AfmoeSparseMoeBlock: shared_experts = AfmoeMLP(moe_intermediate_size x
    # num_shared_experts), experts = AfmoeExperts (num_experts of moe_intermediate_size),
    # AfmoeTokenChoiceRouter's top num_experts_per_tok; AfmoeDecoderLayer: moe_enabled =
    # layer_idx >= num_dense_layers; Arcee's Trinity configs also write num_expert_groups
    # (1), which no afmoe module reads
    "afmoe": Routing("num_experts", "num_experts_per_tok", "moe_intermediate_size",
                     _after_dense("num_dense_layers"),
                     _TF + "afmoe/modeling_afmoe.py (AfmoeSparseMoeBlock, AfmoeDecoderLayer)",
                     shared="num_shared_experts", groups=("num_expert_groups",)),
    # MiniCPM5MoeMoE: experts = MiniCPM5MoeExperts (num_local_experts, which attribute_map
    # makes n_routed_experts, of moe_intermediate_size), shared_experts =
    # MiniCPM5MoeMLP(moe_intermediate_size x n_shared_experts), MiniCPM5MoeTopkRouter's top
    # num_experts_per_tok; MiniCPM5MoeDecoderLayer: mlp_layer_types[i] == 'sparse'
    # (MiniCPM5MoeConfig.__post_init__ makes it from first_k_dense_replace)
    "minicpm5_moe": Routing("n_routed_experts", "num_experts_per_tok", "moe_intermediate_size",
                            _listed, _TF + "minicpm5_moe/modeling_minicpm5_moe.py "
                            "(MiniCPM5MoeMoE, MiniCPM5MoeDecoderLayer)",
                            shared="n_shared_experts"),
    # FlintSparseMoeBlock: experts = FlintExperts (num_experts of moe_intermediate_size),
    # shared_expert = FlintMLP(shared_expert_intermediate_size), always added, FlintTopKRouter's
    # top num_experts_per_tok; FlintDecoderLayer: routes where layer_idx not in mlp_only_layers
    # and num_experts > 0 and (layer_idx + 1) % decoder_sparse_step == 0
    "flint": Routing("num_experts", "num_experts_per_tok", "moe_intermediate_size",
                     _sparse_step, _TF + "flint/modeling_flint.py (FlintSparseMoeBlock, "
                     "FlintDecoderLayer)", shared_width="shared_expert_intermediate_size",
                     shared_name="shared_expert"),
    # Cohere2MoeSparseMoeBlock: experts = Cohere2MoeExperts (num_experts of intermediate_size),
    # shared_experts = Cohere2MoeMLP(intermediate_size x num_shared_experts) where
    # num_shared_experts > 0, Cohere2MoeTopKRouter's top num_experts_per_tok;
    # Cohere2MoeDecoderLayer: mlp_layer_types[i] == 'dense' is Cohere2MoeMLP of
    # prefix_dense_intermediate_size (Cohere2MoeMLP: intermediate_size where that is None)
    "cohere2_moe": Routing("num_experts", "num_experts_per_tok", "intermediate_size", _listed,
                           _TF + "cohere2_moe/modeling_cohere2_moe.py "
                           "(Cohere2MoeSparseMoeBlock, Cohere2MoeDecoderLayer, Cohere2MoeMLP)",
                           shared="num_shared_experts",
                           dense_width="prefix_dense_intermediate_size"),
    # KimiLinearMoE: experts = KimiLinearExperts (num_local_experts, which attribute_map makes
    # num_experts, of moe_intermediate_size), shared_experts = KimiLinearMLP(
    # moe_intermediate_size x n_shared_experts, num_shared_experts by attribute_map),
    # KimiLinearTopkRouter's top num_experts_per_tok (num_experts_per_token) within
    # topk_group of n_group (num_expert_group) groups; KimiLinearDecoderLayer:
    # mlp_layer_types[i] == 'sparse' (KimiLinearConfig.__post_init__ makes it from
    # first_k_dense_replace)
    "kimi_linear": Routing("num_experts", "num_experts_per_token", "moe_intermediate_size",
                           _listed, _TF + "kimi_linear/modeling_kimi_linear.py "
                           "(KimiLinearMoE, KimiLinearDecoderLayer)",
                           shared="num_shared_experts", groups=("num_expert_group",)),
    # BailingHybridMoE (DeepseekV3MoE): experts = BailingHybridExperts (num_experts, which
    # attribute_map makes num_local_experts, of moe_intermediate_size), shared_experts =
    # BailingHybridMLP(moe_intermediate_size x n_shared_experts, num_shared_experts by
    # attribute_map), BailingHybridTopkRouter's top num_experts_per_tok (num_experts_per_token)
    # within topk_group of n_group (num_expert_group) groups; BailingHybridDecoderLayer:
    # mlp_layer_types[i] == 'sparse' (BailingHybridConfig.__post_init__ makes it from
    # first_k_dense_replace); its Decoder is _kimi_linear's (the same two kinds of layer)
    "bailing_hybrid": Routing("num_experts", "num_experts_per_token", "moe_intermediate_size",
                              _listed, _TF + "bailing_hybrid/modeling_bailing_hybrid.py "
                              "(BailingHybridMoE, BailingHybridDecoderLayer)",
                              shared="num_shared_experts", groups=("num_expert_group",)),
    # AriaTextMoELayer, in every AriaTextDecoderLayer: experts = AriaExperts (moe_num_experts
    # of intermediate_size, stored transposed: gate_up_proj experts x hidden x 2
    # intermediate_size), shared_experts = AriaSharedExpertsMLP(intermediate_size x
    # moe_num_shared_experts), AriaTextTopKRouter's top moe_topk
    "aria_text": Routing("moe_num_experts", "moe_topk", "intermediate_size", _every,
                         _TF + "aria/modeling_aria.py (AriaTextMoELayer, AriaExperts, "
                         "AriaSharedExpertsMLP, AriaTextDecoderLayer)",
                         shared="moe_num_shared_experts", transposed=True),
    # MiniMaxM3VLSparseMoeBlock: experts = MiniMaxM3VLExperts (num_local_experts, num_experts
    # by attribute_map, of intermediate_size), shared_experts =
    # MiniMaxM3VLDenseMLP(shared_intermediate_size, its gate and up one gate_up_proj),
    # MiniMaxM3VLTopKRouter's top num_experts_per_tok; MiniMaxM3VLDecoderLayer:
    # mlp_layer_types[i] == 'sparse', else MiniMaxM3VLDenseMLP(dense_intermediate_size); its
    # minimax_m3_sparse layers (a lightning indexer's keys cached beside the layer's,
    # MiniMaxM3VLSparseCacheLayer) are refused by their layer type
    "minimax_m3_vl_text": Routing("num_local_experts", "num_experts_per_tok", "intermediate_size",
                                  _listed, _TF + "minimax_m3_vl/modeling_minimax_m3_vl.py "
                                  "(MiniMaxM3VLSparseMoeBlock, MiniMaxM3VLExperts, "
                                  "MiniMaxM3VLDenseMLP, MiniMaxM3VLDecoderLayer)",
                                  shared_width="shared_intermediate_size",
                                  dense_width="dense_intermediate_size", fused=True),
    # LagunaSparseMoeBlock: experts = LagunaExperts (num_experts of moe_intermediate_size),
    # shared_experts = LagunaMLP(shared_expert_intermediate_size), LagunaTopKRouter's top
    # num_experts_per_tok; LagunaDecoderLayer: mlp_layer_types[i] == 'sparse' (LagunaConfig:
    # the first dense where not given), else LagunaMLP(intermediate_size); its attention
    # num_attention_heads_per_layer[i] heads (HEADS_PER_LAYER)
    "laguna": Routing("num_experts", "num_experts_per_tok", "moe_intermediate_size", _listed,
                      _TF + "laguna/modeling_laguna.py (LagunaSparseMoeBlock, LagunaExperts, "
                      "LagunaDecoderLayer, LagunaAttention)",
                      shared_width="shared_expert_intermediate_size"),
    # MiniMaxSparseMoeBlock, in every MiniMaxDecoderLayer: experts = MiniMaxExperts
    # (num_local_experts, num_experts by attribute_map, of intermediate_size),
    # MiniMaxTopKRouter's top num_experts_per_tok, no shared expert; its Decoder is
    # _minimax's (lightning attention beside softmax attention)
    "minimax": Routing("num_local_experts", "num_experts_per_tok", "intermediate_size", _every,
                       _TF + "minimax/modeling_minimax.py (MiniMaxSparseMoeBlock, "
                       "MiniMaxExperts, MiniMaxTopKRouter, MiniMaxDecoderLayer)"),
    # the latent-attention families (LATENT reads their Decoder): each a DeepSeek-V3 MoE block,
    # experts = (n_routed_experts, which attribute_map makes num_local_experts, of
    # moe_intermediate_size), shared_experts = an MLP of moe_intermediate_size x
    # n_shared_experts, the router's top num_experts_per_tok (within topk_group of n_group
    # groups: k experts all the same); the decoder layer: mlp_layer_types[i] == 'sparse'
    # (the config's __post_init__ makes it from first_k_dense_replace where none is given)
    "hy_v4": Routing("n_routed_experts", "num_experts_per_tok", "moe_intermediate_size",
                     _listed, _TF + "hy_v4/modeling_hy_v4.py (HYV4MoE, HYV4DecoderLayer)",
                     shared="n_shared_experts"),
    "axk1": Routing("n_routed_experts", "num_experts_per_tok", "moe_intermediate_size",
                    _listed, _TF + "axk1/modeling_axk1.py (AXK1MoE, AXK1DecoderLayer)",
                    shared="n_shared_experts"),
    "axk2": Routing("n_routed_experts", "num_experts_per_tok", "moe_intermediate_size",
                    _listed, _TF + "axk2/modeling_axk2.py (AXK2MoE, AXK2DecoderLayer)",
                    shared="n_shared_experts"),
    # JetMoE, experts in every layer's MLP and attention alike (its Decoder _mixed_attention's):
    # JetMoeMoE: input_linear = JetMoeParallelExperts(num_local_experts, hidden, 2 x
    # intermediate_size) (weight experts x 2 width x hidden, chunked into gate and up),
    # output_linear (experts x hidden x width), a bias of hidden values and its router always
    # run; JetMoeMoA: input_linear (experts x kv_channels x num_key_value_heads x hidden), the
    # queries, and output_linear back, routed by JetMoeTopKGating's top num_experts_per_tok
    # of num_local_experts as the MLP's; JetMoeAttention: kv_proj, hidden -> 2 x
    # kv_channels x num_key_value_heads, the keys and values every expert shares
    "jetmoe": Routing("num_local_experts", "num_experts_per_tok", "intermediate_size", _every,
                      _TF + "jetmoe/modeling_jetmoe.py (JetMoeMoE, JetMoeMoA, JetMoeAttention, "
                      "JetMoeDecoderLayer)",
                      tensors=("input_linear.weight", "output_linear.weight"),
                      attention=("self_attention.experts.input_linear.weight",
                                 "self_attention.experts.output_linear.weight",
                                 "self_attention.kv_proj.weight")),
}
# a layer's routed experts, and its shared expert's gate (the base model's names start at
# layers., the causal LM's at model.layers.)
_MLP = re.compile(r"(?:^|\.)layers\.(\d+)\.mlp\.(.+)$")
_SHARED_GATE = re.compile(
    r"(?:^|\.)layers\.(\d+)\.mlp\.(\w+)\.(gate_proj|gate_up_proj)\.weight$")
_DENSE_GATE = re.compile(r"(?:^|\.)layers\.(\d+)\.mlp\.(gate_proj|gate_up_proj)\.weight$")


def _routed(config: Any, routing: Routing, tensors: list[Tensor], n: int, hidden: int,
            kind: str) -> tuple[int, int, bool]:
    """(routed experts a token uses, an expert's width, whether some layer is dense; 0, 0, True
    where no layer routes), the config's routing checked against the experts transformers
    built: the layers that route hold mlp.experts of experts x width, the others none but a
    dense MLP intermediate_size wide (mlp.gate_proj); a shared expert, where there is one,
    shared x width (or shared_width) wide."""
    experts = _whole(config, routing.experts, kind)
    k = _whole(config, routing.top_k, kind)
    width = _whole(config, routing.width, kind)
    if k > experts:
        raise SpecError(f"{routing.top_k} = {k:,} is more than the {experts:,} experts "
                        f"({routing.experts})")
    shared = 0
    if routing.shared:
        count = getattr(config, routing.shared, None)
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise SpecError(f"{routing.shared} must be a whole number, got {shown(count)}")
        shared = count * width
    elif routing.shared_width:
        shared = _whole(config, routing.shared_width, kind)
    routes = routing.routes(config, n)
    built: dict[int, dict[str, tuple[int, ...]]] = {}
    gates: dict[int, tuple[int, ...]] = {}
    dense: dict[int, tuple[int, ...]] = {}
    gate, rows = ("gate_up_proj", 2) if routing.fused else ("gate_proj", 1)
    for t in tensors:
        m = _DENSE_GATE.search(t.name)
        if m and m[2] == gate:
            dense[int(m[1])] = t.shape
        m = _MLP.search(t.name)
        if m and m[2] in routing.tensors:
            part = ("gate_up_proj", "down_proj")[routing.tensors.index(m[2])]
            built.setdefault(int(m[1]), {})[part] = t.shape
        m = _SHARED_GATE.search(t.name)
        if m and m[2] == routing.shared_name and m[3] == gate:
            gates[int(m[1])] = t.shape
    expected = {"gate_up_proj": (experts, 2 * width, hidden), "down_proj": (experts, hidden, width)}
    if routing.transposed:
        expected = {"gate_up_proj": (experts, hidden, 2 * width),
                    "down_proj": (experts, width, hidden)}
    for i, sparse in enumerate(routes):
        if sparse and built.get(i) != expected or not sparse and i in built:
            said = "routes" if sparse else "is dense"
            raise SpecError(f"{kind}'s config says layer {i} {said} ({routing.experts} = "
                            f"{experts:,}, {routing.width} = {width:,}), which the experts "
                            f"transformers built do not show: the planner does not know its "
                            f"routing")
        if not sparse and dense.get(i) != (rows * routing.dense(config, kind), hidden):
            raise SpecError(f"{kind}'s dense layer {i} has no MLP "
                            f"{routing.dense(config, kind):,} wide, as its config says: the "
                            f"planner does not know its width")
        if sparse and gates.get(i, (0, hidden)) != (rows * shared, hidden):
            raise SpecError(f"{kind}'s layer {i} has no shared expert {shared:,} wide, as its "
                            f"config says: the planner does not know its routing")
    if not any(routes):  # every layer dense (Flint's mlp_only_layers may say so)
        return 0, 0, True
    return k, width, not all(routes)


def expert_rows(config: Any, rows: list[Row]) -> list[Row]:
    """rows, each layer's routed experts (the modules of Routing.tensors: mlp.experts.*), its
    attention experts where it has a mixture of attention (those of Routing.attention's query
    and output projections) and its shared experts (mlp.<shared_name>.*) in rows of their own,
    typed "experts" (routed, attention ones too) and "shared experts" as nnsize's own builders
    type them (what memory and speed read a mixture of experts from): a token uses k of the n
    routed experts, active_each = their parameters x k / n.  rows as they were for a model not
    in ROUTED."""
    routing = ROUTED.get(getattr(config, "model_type", None) or "")
    if routing is None:
        return rows

    def modules(names: tuple[str, ...], under: str) -> tuple[str, ...]:
        return tuple(dict.fromkeys(f".{under}{name.rsplit('.', 1)[0]}." for name in names))

    k, n = getattr(config, routing.top_k), getattr(config, routing.experts)
    # (the modules whose tensors a row holds, its component, its type, routed k of n)
    kinds = ((modules(routing.tensors, "mlp."), "experts", "experts", True),
             (modules(routing.attention[:2], ""), "attention experts", "experts", True),
             ((f".mlp.{routing.shared_name}.",), "shared experts", "shared experts", False))

    def held(name: str, parts: tuple[str, ...]) -> bool:
        return any(p in name for p in parts)

    out: list[Row] = []
    for row in rows:
        rest = [t for t in row.tensors if not any(held(t.name, p) for p, *_ in kinds)]
        if len(rest) == len(row.tensors):
            out.append(replace(row, index=len(out)))
            continue
        out.append(replace(row, tensors=tuple(rest), formula=sum_formula(rest),
                           index=len(out)))
        for parts, component, kind, routed in kinds:
            ts = [t for t in row.tensors if held(t.name, parts)]
            if not ts:
                continue
            active = None
            if routed:
                total = sum(t.numel for t in ts if not t.buffer)
                active = total * k // n
            label = f"{row.label}: {component}"
            out.append(Row(name=label, label=label, type=kind, input_shape=(),
                           output_shape=(), tensors=tuple(ts), macs_each=0,
                           formula=sum_formula(ts), index=len(out), qualified=True,
                           active_each=active))
    return out


def _kimi_linear(config: Any, tensors: list[Tensor]) -> Decoder:
    """Kimi Linear's Decoder (models/kimi_linear/modeling_kimi_linear.py, transformers v5.25.0):
    layer_types says which layers attend and which run its delta attention.

        full_attention    KimiLinearAttention, DeepSeek's latent attention: transformers'
                          cache keeps its latent, kv_lora_rank values, and the rope key,
                          qk_rope_head_dim, a token (one head each), as nnsize's own
                          DeepSeek-V3 plans it (AttentionLayer.latent_dim); q_lora_rank
                          changes the queries' weights alone
        linear_attention  KimiLinearDeltaAttention: a state a sequence, its conv1d over q, k
                          and v (3 x linear_num_heads x linear_head_dim channels,
                          linear_conv_kernel_dim wide) and its recurrent state
                          (linear_num_heads, linear_head_dim, linear_head_dim) in float32
                          (StateMixer kind "kda", memory.state)

    Its MLPs as ROUTED reads them.  The latent and the conv are checked against layer i's
    kv_a_proj_with_mqa and conv1d.

    Ling's hybrid (bailing_hybrid, models/bailing_hybrid/modeling_bailing_hybrid.py) is read
    alike: BailingHybridAttention is DeepseekV3Attention's latent attention and
    BailingHybridDeltaAttention Kimi's delta attention (its q, k and v projected apart, then
    one conv1d over the three; linear_num_heads, linear_head_dim and linear_conv_kernel_dim
    set by BailingHybridConfig.__post_init__ from num_attention_heads, head_dim and
    short_conv_kernel_size), its cache the same (its conv1d's weights kept in fp32, its conv
    state at the model's dtype, as measured)."""
    kind = type(config).__name__
    routing = ROUTED[config.model_type]
    _expert_keys(config, routing)
    m = _mla(config, kind)
    n, hidden, rank, rope = m.layers, m.hidden, m.rank, m.rope
    linear_heads = _whole(config, "linear_num_heads", kind)
    linear_dim = _whole(config, "linear_head_dim", kind)
    kernel = _whole(config, "linear_conv_kernel_dim", kind)
    types = getattr(config, "layer_types", None)
    if not isinstance(types, (list, tuple)) or len(types) != n or \
            any(t not in ("full_attention", "linear_attention") for t in types):
        raise SpecError(f"layer_types must give each of the {n:,} layers full_attention or "
                        f"linear_attention, got {shown(types)}")
    shapes, prefix = _shapes(tensors)
    for i, t in enumerate(types):
        name, rows = (("self_attn.kv_a_proj_with_mqa.weight", (rank + rope, hidden))
                      if t == "full_attention" else
                      ("self_attn.conv1d.weight", (3 * linear_heads * linear_dim, 1, kernel)))
        if shapes.get(f"{prefix}layers.{i}.{name}") != rows:
            raise SpecError(f"{kind}'s layer {i} ({t}) has no {name} of {rows}, as its config "
                            f"says: the planner does not know its cache")
    linear = types.count("linear_attention")
    k, width, dense = _routed(config, routing, tensors, n, hidden, kind)
    state = 3 * linear_heads * linear_dim * kernel + linear_heads * linear_dim * linear_dim
    return Decoder(hidden, routing.dense(config, kind) if dense else 0,
                   _whole(config, "vocab_size", kind),
                   Layers.periodic((m.layer(),), types.count("full_attention")),
                   experts_per_token=k, expert_intermediate=width,
                   state_values=linear * state,
                   mixer=StateMixer("kda", linear, 3 * linear_heads * linear_dim, kernel,
                                    heads=linear_heads, head_dim=linear_dim,
                                    key_heads=linear_heads, key_dim=linear_dim)
                   if linear else None)


def _minimax(config: Any, tensors: list[Tensor]) -> Decoder:
    """MiniMax-Text-01's Decoder (models/minimax/modeling_minimax.py, transformers v5.25.0):
    layer_types says which layers attend and which run its lightning attention.

        full_attention    MiniMaxAttention, softmax attention: keys and values of every token,
                          num_key_value_heads x head_dim each (MiniMaxCache, a DynamicCache
                          made without the config: every layer keeps every token)
        linear_attention  MiniMaxLightningAttention: one state a sequence, K^T V summed with
                          a decay, (num_attention_heads, head_dim, head_dim) at the dtype of
                          its values, the model's (its decay buffers are the model's dtype
                          too); MiniMaxCache.linear_cache (StateMixer kind "lightning",
                          memory.state)

    head_dim: the config's, else hidden_size / num_attention_heads (both attentions read it
    so), checked against each layer's k_proj (kv heads x head_dim rows) or qkv_proj (3 x heads
    x head_dim).  Compute: a token's lightning attention adds k^T v to the state and reads q
    through it, heads x head_dim^2 MACs each (scan_values); a prompt runs in blocks of
    block_size, each block's queries also scored against its own keys (compute.py).  Its
    MLPs as ROUTED reads them.  A sliding_window, which transformers' mask would apply to the
    full-attention layers while MiniMaxCache keeps every token, is refused."""
    kind = type(config).__name__
    routing = ROUTED[config.model_type]
    _expert_keys(config, routing)
    n = _whole(config, "num_hidden_layers", kind)
    hidden = _whole(config, "hidden_size", kind)
    heads = _whole(config, "num_attention_heads", kind)
    kv = _whole(config, "num_key_value_heads", kind)
    block = _whole(config, "block_size", kind)
    window = getattr(config, "sliding_window", None)
    if window is not None:
        raise SpecError(f"sliding_window = {shown(window)}: the planner does not model it for "
                        f"{kind} (its mask would slide, its cache keeps every token)")
    head_dim = getattr(config, "head_dim", None) or hidden // heads
    if isinstance(head_dim, bool) or not isinstance(head_dim, int) or head_dim < 1:
        raise SpecError(f"head_dim must be a positive whole number, got {shown(head_dim)}")
    types = _each_layer(config, "layer_types", n, ("full_attention", "linear_attention"))
    shapes, prefix = _shapes(tensors)
    for i, t in enumerate(types):
        name, rows = (("self_attn.k_proj.weight", (kv * head_dim, hidden))
                      if t == "full_attention" else
                      ("self_attn.qkv_proj.weight", (3 * heads * head_dim, hidden)))
        if shapes.get(f"{prefix}layers.{i}.{name}") != rows:
            raise SpecError(f"{kind}'s layer {i} ({t}) has no {name} of {rows}, as its config "
                            f"says: the planner does not know its cache")
    linear = types.count("linear_attention")
    k, width, _ = _routed(config, routing, tensors, n, hidden, kind)
    state = linear * heads * head_dim * head_dim
    return Decoder(hidden, 0, _whole(config, "vocab_size", kind),
                   Layers.periodic((AttentionLayer(heads, kv, head_dim, head_dim),),
                                   types.count("full_attention")),
                   experts_per_token=k, expert_intermediate=width, state_values=state,
                   scan_values=state, state_layers=linear,
                   mixer=StateMixer("lightning", linear, heads * head_dim, 0, heads=heads,
                                    head_dim=head_dim, block=block) if linear else None)


@record
class _Mla:
    """The shape of DeepSeek's multi-head latent attention as a config gives it."""

    layers: int
    hidden: int
    heads: int
    rank: int  # kv_lora_rank
    rope: int  # qk_rope_head_dim
    nope: int  # qk_nope_head_dim
    value: int  # v_head_dim

    def layer(self, index: int = 0) -> AttentionLayer:
        """A layer's cache as nnsize's DeepSeek-V3 plans it: the latent and the rope key a
        token (latent_dim), an indexer's key beside them where the layer has one."""
        return AttentionLayer(self.heads, self.heads, self.nope + self.rope, self.value, None,
                              self.rank + self.rope, index_dim=index)


def _mla(config: Any, kind: str) -> _Mla:
    return _Mla(*(_whole(config, key, kind) for key in (
        "num_hidden_layers", "hidden_size", "num_attention_heads", "kv_lora_rank",
        "qk_rope_head_dim", "qk_nope_head_dim", "v_head_dim")))


def _shapes(tensors: list[Tensor]) -> tuple[dict[str, tuple[int, ...]], str]:
    """Each tensor's shape by name, and the prefix before its layers ('model.', or none)."""
    prefix = next((t.name[:t.name.index("layers.")] for t in tensors
                   if t.name.startswith(("layers.", "model.layers."))), "")
    return {t.name: t.shape for t in tensors}, prefix


def _indexed_all(config: Any, n: int) -> list[bool]:
    """DeepSeek-V3.2's rule, A.X-K2's: every layer has an indexer of its own."""
    return [True] * n


def _indexer_types(config: Any, n: int) -> list[bool]:
    """HY-V4's rule: indexer_types[i] == 'full' builds layer i an indexer of its own, 'shared'
    reuses the last full layer's top-k and caches no indexer key (HYV4Config.__post_init__
    makes the list where none is given: full at 0 and every fourth from 1)."""
    return [t == "full" for t in _each_layer(config, "indexer_types", n, ("full", "shared"))]


# the latent-attention mixtures of experts (DeepSeek's MLA in every layer, routed as ROUTED
# says): which layers have a sparse-attention indexer (None: no indexer, no layer_types),
# each read from its modeling code and checked on a tiny model
# (tests/architectures/test_fallback_moe.py)
LATENT: dict[str, Callable[[Any, int], list[bool]] | None] = {
    # HYV4Attention (GlmMoeDsaAttention's MLA, q through q_a_proj and q_b_proj, an output
    # gate_proj and attention sinks): indexer = HYV4Indexer where indexer_types[i] == 'full';
    # layer_types all indexed_attention (DynamicIndexedLayer)
    "hy_v4": _indexer_types,
    # AXK1Attention: DeepseekV3Attention, always with q_lora_rank; no indexer
    "axk1": None,
    # AXK2Attention: DeepseekV32Attention with a q_gate_proj; indexer = AXK2Indexer in every
    # layer; layer_types all indexed_attention
    "axk2": _indexed_all,
}


def _latent(config: Any, tensors: list[Tensor]) -> Decoder:
    """The Decoder of a family of LATENT (models/<type>/modeling_<type>.py, transformers
    v5.25.0): every layer DeepSeek's multi-head latent attention, whose cache transformers
    keeps as nnsize's own DeepSeek-V3 plans it (AttentionLayer.latent_dim): the latent,
    kv_lora_rank values, and the rope key, qk_rope_head_dim, a token; a layer with a
    sparse-attention indexer of its own keeps its key too, index_head_dim values a token
    (DynamicIndexedLayer's indexer_keys, AttentionLayer.index_dim); q_lora_rank changes the
    queries' weights alone.  Checked against each layer's kv_a_proj_with_mqa
    (kv_lora_rank + qk_rope_head_dim rows) and indexer.wk (index_head_dim rows, where the
    config says the layer has an indexer, and none where it says not).  Its MLPs as ROUTED
    reads them."""
    model_type = config.model_type
    kind = type(config).__name__
    routing = ROUTED[model_type]
    indexed = LATENT[model_type]
    _expert_keys(config, routing)
    m = _mla(config, kind)
    n, hidden, rank, rope = m.layers, m.hidden, m.rank, m.rope
    types = getattr(config, "layer_types", None)
    if indexed is None:
        has = [False] * n
        if types is not None:
            raise SpecError(f"layer_types = {shown(types)}: {kind} has none; the planner does "
                            f"not know its cache")
    else:
        has = indexed(config, n)
        if not isinstance(types, (list, tuple)) or len(types) != n or \
                any(t != "indexed_attention" for t in types):
            raise SpecError(f"layer_types must give each of the {n:,} layers "
                            f"indexed_attention, got {shown(types)}")
    index = _whole(config, "index_head_dim", kind) if any(has) else 0
    shapes, prefix = _shapes(tensors)
    for i in range(n):
        name = f"{prefix}layers.{i}.self_attn."
        if shapes.get(name + "kv_a_proj_with_mqa.weight") != (rank + rope, hidden):
            raise SpecError(f"{kind}'s layer {i} has no kv_a_proj_with_mqa of {rank + rope} "
                            f"rows (kv_lora_rank + qk_rope_head_dim), as its config says: the "
                            f"planner does not know its cache")
        if shapes.get(name + "indexer.wk.weight") != ((index, hidden) if has[i] else None):
            said = f"an indexer key of {index} values" if has[i] else "no indexer"
            raise SpecError(f"{kind}'s config gives layer {i} {said}, which the model "
                            f"transformers built does not show: the planner does not know its "
                            f"cache")
    k, width, dense = _routed(config, routing, tensors, n, hidden, kind)
    layers = Layers.of(m.layer(index if own else 0) for own in has)
    return Decoder(hidden, routing.dense(config, kind) if dense else 0,
                   _whole(config, "vocab_size", kind), layers,
                   experts_per_token=k, expert_intermediate=width)


def _mixed_attention(config: Any, tensors: list[Tensor]) -> Decoder:
    """The Decoder of a family whose attention is a mixture of experts (Routing.attention:
    JetMoE's MoA, models/jetmoe/modeling_jetmoe.py and configuration_jetmoe.py, transformers
    v5.25.0).  Each token's top_k experts project its queries, num_key_value_heads heads of
    head_dim (kv_channels) each, so its attention has top_k x num_key_value_heads query heads
    (JetMoeConfig.__post_init__ sets num_attention_heads so) over the num_key_value_heads keys
    and values one projection shared by the experts gives (kv_proj, chunked in two): those are
    what DynamicCache keeps, before JetMoeAttention repeats them top_k times for the heads.

        JetMoeConfig's defaults: 12 layers x 2 x 16 kv heads x 128 = 49,152 values a token

    Each layer's projections checked against the config; its MLP as ROUTED reads it."""
    kind = type(config).__name__
    routing = ROUTED[config.model_type]
    query, output, keys = routing.attention or ("", "", "")
    _unmodelled(config, kind)
    _expert_keys(config, routing)
    for key in ("layer_types", "sliding_window"):  # its mask is always causal, full
        if getattr(config, key, None) is not None:
            raise SpecError(f"{key} = {shown(getattr(config, key))}: {kind}'s attention is "
                            f"causal over every key; nnsize does not plan it with a window")
    n, hidden, heads, kv, head_dim, experts, k = (_whole(config, key, kind) for key in (
        "num_hidden_layers", "hidden_size", "num_attention_heads", "num_key_value_heads",
        "head_dim", routing.experts, routing.top_k))
    if heads != k * kv:
        raise SpecError(f"num_attention_heads = {heads:,} is not {routing.top_k} x "
                        f"num_key_value_heads = {k} x {kv}, the query heads {kind}'s experts "
                        f"give a token: the planner does not know its attention")
    width = kv * head_dim
    shapes, prefix = _shapes(tensors)
    for i in range(n):
        for name, shape in ((query, (experts, width, hidden)), (output, (experts, hidden, width)),
                            (keys, (2 * width, hidden))):
            if shapes.get(f"{prefix}layers.{i}.{name}") != shape:
                raise SpecError(f"{kind}'s layer {i} has no {name} of {shape}, as its config "
                                f"says: the planner does not know its attention")
    routed, intermediate, _ = _routed(config, routing, tensors, n, hidden, kind)
    return Decoder(hidden, 0, _whole(config, "vocab_size", kind),
                   Layers.periodic((AttentionLayer(heads, kv, head_dim, head_dim),), n),
                   experts_per_token=routed, expert_intermediate=intermediate)


# the model types whose layers compress their cache, and the reader of their Decoder (their
# other keys, q_lora_rank and the experts', are read there, not refused)
COMPRESSING = {"deepseek_v4": _deepseek_v4}
# the model types whose Decoder a reader of its own makes: those, Kimi Linear's and Ling's
# hybrid's (latent attention beside delta attention), MiniMax-Text-01's (softmax attention
# beside lightning attention) and the latent-attention families' (LATENT)
READERS = {**COMPRESSING, "kimi_linear": _kimi_linear, "bailing_hybrid": _kimi_linear,
           "minimax": _minimax, **dict.fromkeys(LATENT, _latent),
           **{t: _mixed_attention for t, routing in ROUTED.items() if routing.attention}}


def decoder_of(config: Any, tensors: list[Tensor], outer: Any = None) -> Decoder:
    """The Decoder of the model built from config (tensors: its own), or SpecError naming the
    key the planner would have to guess.  outer: the whole model's config, where config is its
    language model's (text_config): a cross-attention model's vision config is there."""
    reader = READERS.get(getattr(config, "model_type", None) or "")
    if reader is not None:
        return reader(config, tensors)
    kind = type(config).__name__
    routing = ROUTED.get(getattr(config, "model_type", None) or "")
    overrides = _overrides(config, kind)
    cross, tiles, tile_tokens = _cross(config, outer, kind)
    _unmodelled(config, kind)  # none is per layer: _overrides refused those; first, as the reason
    values = {key: _whole(config, key, kind) for key in REQUIRED if key not in PER_LAYER}
    _expert_keys(config, routing)
    n, hidden = values["num_hidden_layers"], values["hidden_size"]
    heads = _heads_per_layer(config, n, kind)
    if heads and overrides:
        raise SpecError(f"{kind} sets num_attention_heads_per_layer and a per_layer_config: the "
                        f"planner reads one or the other")
    key_rows = _key_rows(tensors)
    shapes: dict[Overrides, tuple[int, int, int]] = {}  # (heads, kv heads, head_dim)
    for i in range(n):
        own = overrides.get(i, ())
        if heads:
            own = overrides[i] = (("num_attention_heads", heads[i]),)
        if own not in shapes:  # the first layer of each kind: the others are built alike
            layer = config.per_layer_config[i] if overrides and not heads else \
                _Heads(config, heads[i]) if heads else config
            shapes[own] = _attention(layer, hidden, key_rows.get(i), kind, i)
    if routing is not None:  # a layer of another kind by its name, before the tensors differ
        _layer_kinds(config, kind)
    if _layers_differ(tensors, overrides, cross, routing is not None):
        raise SpecError(f"{kind}'s layers are not all alike (attention and other kinds of "
                        f"layer?): the planner does not plan such a model")
    layers = _layers(config, [shapes[overrides.get(i, ())] for i in range(n)], kind)
    if cross:
        if any(i >= n for i in cross):
            raise SpecError(f"cross_attention_layers = {shown(sorted(cross))}: {kind} has "
                            f"{n:,} layers")
        layers = Layers.of(replace(layer, cross_tokens=tiles * tile_tokens) if i in cross
                           else layer for i, layer in enumerate(layers))
    if routing is not None:
        k, width, dense = _routed(config, routing, tensors, n, hidden, kind)
        return Decoder(hidden, routing.dense(config, kind) if dense else 0, values["vocab_size"],
                       layers, experts_per_token=k, expert_intermediate=width)
    # a cross-attention model's image is one token of the text (its <|image|>, which the
    # processor does not expand: MllamaProcessor.replace_image_token)
    return Decoder(hidden, values["intermediate_size"], values["vocab_size"], layers,
                   image_tokens=1 if cross else 0, image_tiles=tiles)


def _unmodelled(config: Any, kind: str) -> None:
    """Refuse, by name, a key of UNMODELLED that is set."""
    for key in UNMODELLED:
        if getattr(config, key, None) not in (None, 0, False, [], ()):  # a key is missing
            raise SpecError(f"{key} = {shown(getattr(config, key))}: the planner does not model "
                            f"it for {kind}, and does not plan such a model as another")


def _expert_keys(config: Any, routing: Routing | None) -> None:
    """Refuse, by name, a mixture-of-experts key (one with "expert" in its name, above 0) that
    routing does not read: every one, for a model type not in ROUTED; for one in it, a key its
    transformers code does not read either (MiniMax-M3's n_shared_experts: it builds one shared
    expert whatever the key says)."""
    for key, value in config.to_dict().items():
        if "expert" in key and isinstance(value, int) and not isinstance(value, bool) \
                and value > 0 and (routing is None or key not in routing.keys and
                                   key not in routing.groups):
            if routing is not None:
                raise SpecError(f"{key} = {value}: {type(config).__name__} does not read it "
                                f"(its experts: {', '.join(routing.keys)}), and the planner "
                                f"does not guess what it would change")
            raise SpecError(f"{key} = {value}: a mixture of experts built by transformers; the "
                            f"planner needs its routing, which nnsize reads only for the "
                            f"families it builds and {', '.join(ROUTED)}")


def _cross(config: Any, outer: Any, kind: str) -> tuple[frozenset[int], int, int]:
    """(the cross-attention layers' indexes, tiles an image, tokens a tile); none, 0, 0 for a
    model without."""
    listed = getattr(config, "cross_attention_layers", None)
    if listed in (None, [], ()):
        return frozenset(), 0, 0
    model_type = getattr(outer, "model_type", None)
    read = CROSS.get(model_type) if isinstance(model_type, str) else None
    if read is None:
        raise SpecError(f"cross_attention_layers = {shown(listed)}: the planner reads the "
                        f"tokens an image gives cross-attention for {', '.join(CROSS)} only, "
                        f"not {kind}'s")
    if not isinstance(listed, (list, tuple)) or any(
            isinstance(i, bool) or not isinstance(i, int) or i < 0 for i in listed):
        raise SpecError(f"cross_attention_layers must list layer indexes, got {shown(listed)}")
    vision = getattr(outer, "vision_config", None)
    if vision is None:
        raise SpecError(f"cross_attention_layers = {shown(listed)}: the model has no "
                        f"vision_config to read an image's tokens from")
    tiles, tile_tokens = read(vision)
    return frozenset(listed), tiles, tile_tokens


# the model types whose num_attention_heads_per_layer transformers builds each layer's attention
# with: Laguna's LagunaDecoderLayer gives LagunaAttention num_attention_heads_per_layer[i]
# heads (its kv heads and head_dim the config's); LagunaConfig.__post_init__ fills it with
# num_attention_heads where not given
HEADS_PER_LAYER = ("laguna",)


def _heads_per_layer(config: Any, n: int, kind: str) -> list[int]:
    """Each layer's heads, where the model type builds them from num_attention_heads_per_layer
    (HEADS_PER_LAYER); none for any other (its per-layer shapes, if any, refused as unlike)."""
    if getattr(config, "model_type", None) not in HEADS_PER_LAYER:
        return []
    heads = getattr(config, "num_attention_heads_per_layer", None)
    if not isinstance(heads, (list, tuple)) or len(heads) != n or any(
            isinstance(h, bool) or not isinstance(h, int) or h < 1 for h in heads):
        raise SpecError(f"num_attention_heads_per_layer must give each of {kind}'s {n:,} layers "
                        f"a positive whole number of heads, got {shown(heads)}")
    return list(heads)


class _Heads:
    """config, as layer i of a HEADS_PER_LAYER model sees it: its own num_attention_heads."""

    def __init__(self, config: Any, heads: int) -> None:
        self._config, self.num_attention_heads = config, heads

    def __getattr__(self, key: str) -> Any:
        return getattr(self._config, key)


def _overrides(config: Any, kind: str) -> dict[int, Overrides]:
    """Each layer's values of what transformers' per_layer_config sets layer by layer (nothing
    for most configs), read through its public view, config.per_layer_config[i]; SpecError
    for an attribute other than the attention's shape."""
    if not getattr(config, "is_heterogeneous", False):
        return {}
    keys = sorted(config.per_layer_attributes)
    other = [k for k in keys if k not in PER_LAYER]
    if other:
        raise SpecError(f"per_layer_config sets {', '.join(other)} layer by layer: the planner "
                        f"reads only {', '.join(PER_LAYER)} per layer, and does not plan "
                        f"{kind} as another")
    layers = config.per_layer_config
    views = (layers[i] for i in range(len(layers)))  # each a copy of the config
    return {i: tuple((k, getattr(v, k, None)) for k in keys) for i, v in enumerate(views)}


def _whole(config: Any, key: str, kind: str) -> int:
    value = getattr(config, key, None)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise SpecError(f"the planner needs {key}, which {kind} does not give "
                        f"(got {shown(value)}); nnsize does not guess it")
    return value


def _attention(config: Any, hidden: int, key_rows: int | None, kind: str,
               i: int) -> tuple[int, int, int]:
    """(heads, kv heads, head_dim) of layer i, built from config (its own, in a per-layer
    config), whose key projection has key_rows rows (None: none of its own)."""
    heads = _whole(config, "num_attention_heads", kind)
    kv = getattr(config, "num_key_value_heads", None)
    head_dim = getattr(config, "head_dim", None)
    if head_dim is None:
        if hidden % heads or key_rows is None or \
                key_rows != (kv if isinstance(kv, int) else heads) * (hidden // heads):
            raise SpecError(f"the planner needs head_dim, which {kind} does not give, and "
                            f"hidden_size / num_attention_heads = {hidden} / {heads} is not "
                            f"confirmed by the model's key projection; nnsize does not guess it")
        head_dim = hidden // heads
    if kv is None:
        if key_rows is None or key_rows != heads * head_dim:
            raise SpecError(f"the planner needs num_key_value_heads, which {kind} does not give, "
                            f"and the model's key projection does not show it; nnsize does not "
                            f"guess it")
        kv = heads
    for key, value in (("num_key_value_heads", kv), ("head_dim", head_dim)):
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise SpecError(f"{key} must be a positive whole number, got {shown(value)}")
    if key_rows != kv * head_dim:  # attention of another kind (fused, recurrent, none)
        found = "no key projection of its own" if key_rows is None else \
            f"a key projection of {key_rows:,} rows"
        raise SpecError(f"layer {i} of {kind}'s model has {found}, not num_key_value_heads x "
                        f"head_dim = {kv} x {head_dim}: the planner does not know its cache")
    return heads, kv, head_dim


def _key_rows(tensors: list[Tensor]) -> dict[int, int]:
    """Rows of each layer's key projection (kv heads x head_dim), where it has one of its own."""
    out: dict[int, int] = {}
    for t in tensors:
        m = _KEY.match(t.name)
        if m and len(t.shape) == 2:
            out.setdefault(int(m["i"]), t.shape[0])
    return out


def _layers_differ(tensors: list[Tensor], overrides: dict[int, Overrides],
                   cross: frozenset[int] = frozenset(), routed: bool = False) -> bool:
    """Whether two layers that per_layer_config sets alike (all, without one) differ, the
    cross-attention layers (cross) compared among themselves; routed: their MLPs (mlp.*,
    dense or experts, which _routed checks) left out."""
    shapes: dict[int, list[tuple[str, tuple[int, ...]]]] = {}
    for t in tensors:
        m = _INDEXED.search(t.name)
        if m:
            rest = t.name[m.end():]
            if routed and rest.startswith("mlp."):
                continue
            shapes.setdefault(int(m.group(1)), []).append((rest, t.shape))
    kinds: dict[tuple[Overrides, bool], set[tuple[Any, ...]]] = {}
    for i, v in shapes.items():
        kinds.setdefault((overrides.get(i, ()), i in cross), set()).add(tuple(v))
    return any(len(v) > 1 for v in kinds.values())


def _layer_kinds(config: Any, kind: str) -> None:
    """Refuse, by its name, a layer type of layer_types the planner does not know (MiniMax-M3's
    minimax_m3_sparse, whose lightning indexer keeps keys of its own): a mixture of experts'
    layers of another kind build other tensors, which would be refused only as unlike."""
    types = getattr(config, "layer_types", None)
    for i, t in enumerate(types if isinstance(types, (list, tuple)) else ()):
        if t not in LAYER_KINDS:
            raise SpecError(f"layer_types[{i}] = {shown(t)}: the planner knows "
                            f"{', '.join(LAYER_KINDS)}, and does not plan {kind} as another")


def _layers(config: Any, shapes: list[tuple[int, int, int]], kind: str) -> Layers:
    n = len(shapes)
    types = getattr(config, "layer_types", None)
    window = getattr(config, "sliding_window", None)
    if types is None:
        if window is not None and getattr(config, "use_sliding_window", True) is not False:
            raise SpecError(f"sliding_window = {shown(window)} without layer_types: which of "
                            f"{kind}'s layers slide is not said; nnsize does not guess it")
        if len(set(shapes)) == 1:
            heads, kv, head_dim = shapes[0]
            return Layers.periodic((AttentionLayer(heads, kv, head_dim, head_dim),), n)
        return Layers.of(AttentionLayer(h, kv, d, d) for h, kv, d in shapes)
    if not isinstance(types, (list, tuple)) or len(types) != n:
        raise SpecError(f"layer_types must list the {n:,} layers, got {shown(types)}")
    out = []
    for i, (t, (heads, kv, head_dim)) in enumerate(zip(types, shapes, strict=True)):
        if t not in LAYER_KINDS:
            raise SpecError(f"layer_types[{i}] = {shown(t)}: the planner knows "
                            f"{', '.join(LAYER_KINDS)}")
        if t == "sliding_attention":
            if isinstance(window, bool) or not isinstance(window, int) or window < 1:
                raise SpecError(f"layer_types[{i}] slides, but sliding_window is "
                                f"{shown(window)}")
            out.append(AttentionLayer(heads, kv, head_dim, head_dim, window))
        else:
            out.append(AttentionLayer(heads, kv, head_dim, head_dim))
    return Layers.of(out)
