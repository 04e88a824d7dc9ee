"""The attention transformers runs a family with by default, for the training plan.

transformers builds a model with SDPA unless asked otherwise, except where the family's
PreTrainedModel sets _supports_sdpa = False: then it falls back to eager attention
(PreTrainedModel.get_correct_attn_implementation: "Sdpa is the default, so we try it and
fallback to eager otherwise when not possible"), and a training step keeps the attention
probabilities, heads x keys per token.  The families below are those of transformers 5.25.0
whose model class says so, each with the line that does (SDPA has no logit softcapping and no
attention sinks); every other family trains with SDPA by default.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ..model.decoder import AttentionLayer

_AT = "https://github.com/huggingface/transformers/blob/v5.25.0/src/transformers/models/"
# model_type: the source line that makes it eager
EAGER: dict[str, str] = {
    "gemma2": _AT + "gemma2/modeling_gemma2.py#L353 (sdpa does not support softcapping)",
    "vaultgemma": _AT + "vaultgemma/modeling_vaultgemma.py#L344 (softcapping)",
    "gpt_oss": _AT + "gpt_oss/modeling_gpt_oss.py#L378 (attention sinks)",
    "mimo_v2_flash": _AT + "mimo_v2_flash/modeling_mimo_v2_flash.py#L460 (attention sinks)",
    "flint": _AT + "flint/modeling_flint.py#L364 (attention sinks)",
    "deepseek_v4": _AT + "deepseek_v4/modeling_deepseek_v4.py#L1224 (attention sinks)",
    "granite_swa": _AT + "granite_swa/modeling_granite_swa.py#L309 (attention sinks)",
    "granitemoe_swa": _AT + "granitemoe_swa/modeling_granitemoe_swa.py#L410 (attention sinks)",
    "hy_v4": _AT + "hy_v4/modeling_hy_v4.py#L722 (attention sinks)",
    "inkling2": _AT + "inkling2/modeling_inkling2.py#L1321 (attention sinks)",
    "inkling2_text": _AT + "inkling2/modeling_inkling2.py#L1321 (attention sinks)",
    # a family transformers has no class for (its publisher's code, Family.code): its
    # InternLM2Config sets attn_implementation "eager" where none is given, and its eager
    # InternLM2Attention is llama's form (scores in the model dtype, softmax in float32), not
    # measured here
    "internlm2": "https://github.com/InternLM/InternEvo-HFModels/blob/"
                 "4c80f4995e7d5682e5cfd81c3e85a60978648ab8/huggingface_model/internlm/"
                 "internlm2_7b/configuration_internlm2.py (attn_implementation 'eager' unless "
                 "told)",
    # a family transformers has no class for: its publisher's DeciLMPreTrainedModel sets
    # _supports_sdpa = False (DECILM_ATTENTION_CLASSES: eager and flash_attention_2 alone), and
    # its eager DeciLMAttention is llama's form (repeat_kv, scores in the model dtype, softmax in
    # float32), not measured here
    "nemotron-nas": "https://github.com/DeltaVector1/Chat-Prompters/blob/"
                    "760b19a6890e94fdd3406244b0ece74e73c8d9de/modeling_decilm.py "
                    "(DECILM_ATTENTION_CLASSES: eager and flash_attention_2 alone)",
}
# the families of EAGER whose config class, not their model class, picks eager attention
BY_CONFIG = frozenset({"internlm2"})
# the reasons in brackets are the comments above those lines: deepseek_v4's ("torch's SDPA kernel
# doesn't carry the per-head learnable sink term"), hy_v4's ("Combination of sinks and DSA"),
# inkling2's ("per-token attention sinks"); granite_swa's eager_attention_forward
# applies its sinks as "an extra softmax-denominator logit" (modeling_granite_swa.py#L109)

# eager_attention_forward's peak, the bytes a score (a head x query x key) holds at once, as
# measured in transformers 5.25 on the CPU (tests/memory/test_eager.py):
# "upcast": llama's form, which gemma2, vaultgemma and granite_swa keep: the scores in the model
#   dtype, then softmax(dtype=float32), which aten computes on an fp32 copy of its input
#   (aten/src/ATen/native/SoftMax.cpp softmax: input.toType(dtype), except fp16 on CUDA), beside
#   the fp32 result: 2 + 4 + 4 = 10 B a score at bf16 (fp16), 4 + 4 = 8 B at fp32 (the copy is
#   the input itself; the matmul's result and its scaled copy are 8 B too)
# "sinks": gpt_oss's, the softmax in the model dtype over the scores with the sink concatenated:
#   the masked scores, the concatenation and its max-subtracted copy, then the softmax beside the
#   first two: 3 copies of keys + 1 columns (the third's extra column the row max): 3 x 2 B a
#   score at bf16, 3 x 4 B at fp32
# "model dtype": mimo_v2_flash's, the softmax in the model dtype (dtype=attn_weights.dtype,
#   modeling_mimo_v2_flash.py#L323) over the max-subtracted scores: the concatenation with the
#   sink (its sliding layers'), its max-subtracted copy beside it and the row max, then the
#   softmax beside the second: 2 copies of keys + 1 columns, 2 x 2 B a score at bf16, 2 x 4 B
#   at fp32 (the row max, one column more, is not counted: under 0.1% at 1,024 keys)
# "fp32": flint's, whose scores and softmax stay in float32 whatever the model dtype
#   (modeling_flint.py#L219: "QK-normed attention logits reach tens"): the masked fp32 scores
#   stay alive through the statement that concatenates the sink and takes the softmax, so 3
#   fp32 copies, 4 over keys and 8 over keys + 1 columns: 12 B a score over keys + 1 (one 4 B
#   column more than the peak) at every dtype
# "sinks upcast": inkling2's, the scores in the model dtype concatenated with the sink and cast
#   to fp32 (modeling_inkling2.py#L582), the fp32 softmax beside them and the masked scores, then
#   its cast back to the model dtype: 2 + 4 + 4 + 2 B at bf16 (its 16-bit columns over keys),
#   4 + 4 + 4 at fp32 (the casts no copies): 12 B a score over keys + 1 at every dtype, one 4 B
#   column more than the peak, as flint's
# deepseek_v4's: in a prefill its sliding cache returns every prompt token, and a compressing
#   layer (CSA, HCA) concatenates its compressor's entries after them, prompt // compress_ratio
#   a sequence (CSA's indexer picks among them by masking the rest, block_bias: it does not
#   narrow the matrix), so its scores are heads x prompt x (prompt + prompt // ratio + 1 sink);
#   its sinks are kept in float32 (_keep_in_fp32_modules_strict), so torch.cat with them
#   promotes the logits to fp32: at bf16 the masked scores, the fp32 max-subtracted logits,
#   their fp32 softmax and its bf16 cast, 2 + 4 + 4 + 2 B (inkling2's "sinks upcast" figures);
#   at fp32 three copies over keys + 1; one KV head, so repeat_kv copies nothing (measured,
#   tests/memory/test_eager.py, on test_compressing_cache's tiny DeepSeek-V4)
# hy_v4's: the same figures (gpt_oss's code, its sinks kept in float32), over every prompt key:
#   under eager (and sdpa) its DSA indexer's picks become a mask (index_mask masked_fill into
#   the attention mask), the matrix stays heads x prompt x prompt; its latent expanded to a KV
#   head per head, so repeat_kv copies nothing (measured on a tiny HY-V4, which the fallback
#   planner now plans: tests/memory/test_eager.py)
# families whose eager scores are not heads x prompt x prompt, whose workspace inference does
# not plan them (the note says so): none now; DeepSeek-V4's compressed keys and HY-V4's
# indexed ones are planned above
UNPLANNED: dict[str, str] = {}
MEASURED: dict[str, str] = {"gemma2": "upcast", "vaultgemma": "upcast", "granite_swa": "upcast",
                            "granitemoe_swa": "upcast", "gpt_oss": "sinks",
                            "mimo_v2_flash": "model dtype", "flint": "fp32",
                            "inkling2": "sinks upcast", "inkling2_text": "sinks upcast",
                            "deepseek_v4": "sinks upcast", "hy_v4": "sinks upcast"}


def default_attention(model_type: str) -> str:
    """eager for the families above, sdpa for every other."""
    return "eager" if model_type in EAGER else "sdpa"


def reason(model_type: str) -> str:
    """Why transformers runs the family with eager attention (softcapping, attention sinks)."""
    why = EAGER.get(model_type, "")
    return why[why.index("(") + 1:-1] if why.endswith(")") else ""


def score_peak(model_type: str, act_bytes: int, fp16: bool = False) -> tuple[int, int, bool]:
    """(bytes a score, extra key columns, measured) at eager attention's peak in a prefill
    (MEASURED): gpt_oss's sinks 3 x act_bytes over keys + 1; mimo_v2_flash's softmax in the
    model dtype 2 x act_bytes over keys + 1; flint's and inkling2's 12 over keys + 1; llama's
    upcast form act_bytes + 4 + 4 at 16 bits, 8 at fp32, which every family not measured is
    planned at (measured False: the note says so).  fp16 on a GPU: aten's softmax runs its
    fp32 kernel on the fp16 input itself (no copy: input_.is_cuda() and Half with dtype
    Float), so the peak is the cast back, the fp16 scores, the fp32 softmax and its fp16
    cast: 2 + 4 + 2 = 8 B (read from SoftMax.cpp; the CPU measures 10, as for bf16)."""
    if MEASURED.get(model_type) == "sinks":
        return 3 * act_bytes, 1, True
    if MEASURED.get(model_type) in ("fp32", "sinks upcast"):
        return 12, 1, True
    if MEASURED.get(model_type) == "model dtype":
        return 2 * act_bytes, 1, True
    if act_bytes == 4 or fp16:
        return 8, 0, model_type in MEASURED
    return act_bytes + 8, 0, model_type in MEASURED


def kv_repeat_values(layers: Iterable[tuple[AttentionLayer, int]], heads: int) -> int:
    """The values a key that repeat_kv writes beside the scores, in the layer whose scores are
    the largest (of the most heads; of those, the largest copies): every family of EAGER, and
    llama's eager_attention_forward that transformers-eager runs, begins with
    key_states = repeat_kv(key, num_key_value_groups) and the same for the values, which
    expands the keys and values to every head, reshape(expand(...)), a copy alive until the
    function returns.  Not where num_key_value_groups is 1 (repeat_kv returns its input), nor
    with one KV head: the expanded dimension merges with a dimension of 1, so the reshape is a
    view (stride 0 over the heads), and only the matmuls copy it, each for itself, at steps
    that hold less than the softmax (measured: tests/memory/test_eager.py).  So heads x
    (key_dim + value_dim) values a key where 1 < KV heads < heads, 0 otherwise (a latent
    layer's too: transformers expands DeepSeek's latent to a KV head per head before its
    attention).  A cross-attention layer's keys are the image's, not the prompt's: left out."""
    return max((layer.heads * (layer.key_dim + layer.value_dim) for layer, _ in layers
                if layer.heads == heads and 1 < layer.kv_heads < layer.heads
                and layer.cross_tokens is None), default=0)


# Eager attention's traffic over its scores in a prefill, for speed: each step of
# eager_attention_forward that reads or writes a heads x queries x keys tensor, the bytes it
# moves a score, measured on the CPU in transformers 5.25 (tests/memory/test_eager.py counts
# every aten operation's inputs and outputs of that size, views apart)
Step = tuple[str, int, int]  # (what, bytes a score over the keys, over the sink's column)


def score_traffic(model_type: str, act_bytes: int, fp16: bool = False, softcap: bool = False,
                  sink: bool = True) -> tuple[Step, ...] | None:
    """The steps of the family's eager_attention_forward over its scores, each with the bytes
    it reads and writes a score (over the keys, and over the sink's column where it
    concatenates one), or None where nnsize has not read them (inkling2's, whose sliding
    layers run it over blocks of a window).  deepseek_v4's and hy_v4's: gpt_oss's steps, the
    concatenation with their fp32 sink promoting the rest to fp32 (at bf16 20 B over the keys,
    24 over keys + 1).  Beside them each layer reads its mask once,
    queries x keys in the model dtype.  softcap: the config's attn_logit_softcapping (gemma2,
    vaultgemma); sink: the layer has a sink (mimo_v2_flash: its sliding layers only).

    llama's form (every family not measured, and transformers-eager's llama), at bf16: the
    QK^T matmul writes 2, the scaling reads 2 and writes 2, the mask's add 2 + 2, the fp32 copy
    softmax(dtype=float32) makes 2 + 4, the softmax 4 + 4, its cast back 4 + 2, the matmul with
    V reads 2: 32 B a score; at fp32 no copies: 4 + 8 + 8 + 8 + 4 = 32 B; fp16 on a GPU, the
    softmax reading fp16 itself (aten SoftMax.cpp, not measured): 2 + 4 + 4 + 6 + 6 + 2 = 24."""
    a = act_bytes
    form = MEASURED.get(model_type, "upcast")
    steps: list[Step]
    if model_type in ("deepseek_v4", "hy_v4"):  # gpt_oss's code, the fp32 sink promoting
        steps = [("QK^T written", a, 0), ("scaled", 2 * a, 0), ("masked", 2 * a, 0),
                 ("the fp32 sink concatenated", a, 4), ("row max", 0, 4),
                 ("max subtracted", 0, 8), ("softmax", 0, 8)]
        if a != 4:
            steps.append(("cast back", 4 + a, 0))
        return (*steps, ("read by the matmul with V", a, 0))
    if form == "sinks upcast":
        return None
    if form == "fp32":  # flint: the scores and softmax in fp32 whatever the dtype
        steps = [("QK^T written in fp32", 4, 0), ("scaled", 8, 0), ("masked", 8, 0),
                             ("the sink concatenated", 4, 4), ("softmax", 0, 8)]
        if a != 4:
            steps.append(("cast to the model dtype", 4 + a, 0))
        return (*steps, ("read by the matmul with V", a, 0))
    steps = [("QK^T written", a, 0), ("scaled", 2 * a, 0)]
    if form in ("sinks", "model dtype"):  # gpt_oss, mimo_v2_flash: the softmax in the dtype
        steps.append(("masked", 2 * a, 0))
        if form == "sinks" or sink:
            steps += [("the sink concatenated", a, a), ("row max", 0, a),
                      ("max subtracted", 0, 2 * a), ("softmax", 0, 2 * a)]
        else:
            steps += [("row max", a, 0), ("max subtracted", 2 * a, 0), ("softmax", 2 * a, 0)]
        return (*steps, ("read by the matmul with V", a, 0))
    if softcap:  # gemma2, vaultgemma: / cap, tanh, x cap
        steps.append(("soft-capped (/ cap, tanh, x cap)", 6 * a, 0))
    steps.append(("masked", 2 * a, 0))
    if model_type in ("granite_swa", "granitemoe_swa"):  # its sink as a scale
        steps.append(("logsumexp read", a, 0))
    if a == 4:
        steps.append(("softmax", 8, 0))
    elif fp16:
        steps += [("softmax of the fp16 scores", a + 4, 0), ("cast back", 4 + a, 0)]
    else:
        steps += [("fp32 copy", a + 4, 0), ("softmax", 8, 0), ("cast back", 4 + a, 0)]
    return (*steps, ("read by the matmul with V", a, 0))


def compressed_keys(layers: Iterable[tuple[AttentionLayer, int]], context: int) -> int:
    """Keys a sequence's eager scores have beyond the prompt in a prefill: DeepSeek-V4's
    compressing layers concatenate their compressor's entries, context // compress_ratio, after
    the prompt's own keys (the most of its layers: the smallest ratio); 0 for every other."""
    return max((context // layer.compress_ratio for layer, _ in layers
                if layer.compress_ratio), default=0)


# The tensors beside eager attention's scores at a prefill's peak that are a family's own,
# measured in transformers 5.25 on the CPU (tests/memory/test_eager.py, every live storage at
# the peak): (what, its factors, the last the bytes a value).  The config fields they read
# default to transformers 5.25's (models/deepseek_v4/configuration_deepseek_v4.py: hc_mult 4;
# models/hy_v4/configuration_hy_v4.py: hc_mult 4, index_topk 2048, qk_nope_head_dim 192,
# qk_rope_head_dim 64, v_head_dim 256).
Term = tuple[str, tuple[int, ...]]
_DEFAULTS: dict[str, dict[str, int]] = {
    "deepseek_v4": {"hc_mult": 4},
    "hy_v4": {"hc_mult": 4, "index_topk": 2048, "qk_nope_head_dim": 192,
              "qk_rope_head_dim": 64, "v_head_dim": 256}}


def attention_terms(model_type: str, config: Mapping[str, Any], tokens: int, context: int,
                    compressed: int, hidden: int, heads: int, act_bytes: int,
                    layers: int) -> tuple[Term, ...]:
    """A family's own tensors alive beside its eager scores at the prefill's peak (each term
    what x its factors, the last the bytes a value); () for every family but these two.

    Both carry hc_mult residual streams between layers (DeepseekV4HyperConnection,
    HYV4HyperConnection): the layer's input streams, tokens x hc_mult x hidden in the model
    dtype, are alive through its attention (mixed in float32, but the fp32 products are freed
    before the attention runs).  deepseek_v4's compressing layers widen the mask: block_bias,
    tokens x (compressed + 1) in the model dtype (the indexer's picks among the compressor's
    entries, and the sink's column), and the mask concatenated with it, tokens x (context +
    compressed); the compressors' and CSA indexer's fp32 scores are freed before the attention
    (not alive at the peak).  hy_v4's DSA indexer: its picks scattered into a bool mask,
    tokens x context x 1 B, and the attention mask's masked_fill copy, tokens x context in the
    model dtype; its top-k indices, tokens x min(index_topk, context) int32, this layer's and
    the previous layer's (passed on as prev_topk_indices); and its latent expanded before the
    attention: q_b_proj's queries and their roped copy, heads x (nope + rope) each,
    kv_b_proj's keys and values, heads x (nope + value), and the assembled keys, heads x
    (nope + rope): heads x (3 x (nope + rope) + nope + value) a token."""
    if model_type not in _DEFAULTS:
        return ()
    c = {**_DEFAULTS[model_type], **{k: v for k, v in config.items()
                                     if k in _DEFAULTS[model_type] and v is not None}}
    streams: Term = ("hyper-connection streams", (tokens, int(c["hc_mult"]), hidden, act_bytes))
    if model_type == "deepseek_v4":
        if not compressed:
            return (streams,)
        return (streams, ("block_bias", (tokens, compressed + 1, act_bytes)),
                ("the mask widened by it", (tokens, context + compressed, act_bytes)))
    nope, rope = int(c["qk_nope_head_dim"]), int(c["qk_rope_head_dim"])
    latent = 3 * (nope + rope) + nope + int(c["v_head_dim"])
    return (streams, ("the indexer's bool mask", (tokens, context, 1)),
            ("the masked copy of the mask", (tokens, context, act_bytes)),
            ("top-k indices", (min(layers, 2), tokens, min(int(c["index_topk"]), context), 4)),
            ("the latent expanded (queries twice, keys and values, keys)",
             (tokens, heads, latent, act_bytes)))


def mlp_terms(model_type: str, tokens: int, experts_per_token: int, expert_intermediate: int,
              act_bytes: int, hidden: int = 0) -> tuple[Term, ...]:
    """A family's own tensors in its MLP's step beyond the 3 x intermediate a token planned,
    whatever its attention (its modeling code's, under transformers):
    deepseek_v4's experts (grouped_mm) write gate and up packed, 2 x intermediate a routed
    token, and _apply_gate clamps each into a copy (gate.clamp, up.clamp) before the SiLU and
    the product: 6 x intermediate a routed token alive at once, 3 more than planned, tokens x
    experts_per_token x 3 x intermediate in the model dtype.
    jetmoe's (JetMoeMoE, models/jetmoe/modeling_jetmoe.py, transformers v5.25.0): each routed
    token's input copied (layer_input[batch_index], hidden values), and JetMoeParallelExperts
    writes each expert's gate and up (F.linear) into a list, then torch.cat's copy of them: 4 x
    intermediate a routed token alive at once, 1 more than planned, beside the copies
    (measured on the CPU: tests/architectures/test_fallback_moe.py).
    () for every other family."""
    if not experts_per_token:
        return ()
    if model_type == "deepseek_v4":
        return (("the experts' packed gate_up and clamped copies",
                 (tokens, experts_per_token, 3, expert_intermediate, act_bytes)),)
    if model_type == "jetmoe":
        return (("the routed tokens' copies", (tokens, experts_per_token, hidden, act_bytes)),
                ("the experts' gate and up concatenated (torch.cat)",
                 (tokens, experts_per_token, expert_intermediate, act_bytes)))
    return ()


def term_bytes(terms: Iterable[Term]) -> int:
    """The terms' bytes together: each the product of its factors."""
    total = 0
    for _, factors in terms:
        product = 1
        for factor in factors:
            product *= factor
        total += product
    return total
