"""One rank's memory under a layout: its share of the weights, gradients and optimizer states,
its activations, its KV cache and its communication buffers.  Every part is bytes with the
numbers of its arithmetic (render/ writes them out); the busiest rank is reported (the first
pipeline stage holds the most micro-batches in flight, the last the output layer's logits).

Training keeps 16 bytes a parameter with mixed-precision Adam: 2 (16-bit weights) + 2 (16-bit
gradients) + 12 (fp32 master weights, momentum, variance), ZeRO's K = 12 (Rajbhandari et al.
2020, sec. 3.1, https://arxiv.org/abs/1910.02054); ZeRO 1 / 2 / 3 (FSDP) shard the 12, then the
gradients, then the weights over the data-parallel ranks.

The gradients are kept in the layout's grad_dtype (layout.GRAD_DTYPES): 2 bytes a parameter in
bf16 / fp16, 4 in fp32 (Megatron-LM's fp32 main_grad buffers with bf16, its README's "bf16
param, fp32 grads: 18, distributed optimizer 6 + 12 / d": the grad buffer is whole on every
rank with its distributed optimizer, ZeRO-1 here), 2 + 4 for DeepSpeed's BF16_Optimizer (the
bf16 .grad and the fp32 buffer, neither sharded: it runs with ZeRO 0 or 1).  ZeRO-2 / 3 shard
them.  FSDP (torchtitan) with fp32 gradients keeps fp32 sharded parameters, which are the
master weights: 4 (weights) + 4 (gradients) + 8 (Adam's moments) = 16 sharded, not 2 + 4 + 12
(FSDP2's MixedPrecisionPolicy: the sharded parameters stay in their dtype and the reduced
gradients are cast to it).

Activations a layer keeps for its backward, in bytes, a micro-batch of b sequences of s tokens,
h hidden, a heads, t tensor-parallel ranks (Korthikanti et al. 2022, "Reducing Activation
Recomputation in Large Transformer Models", Table 2, https://arxiv.org/abs/2205.05198):

    no recomputation, eager        sbh (10 + 24 / t + 5as / ht)   (GPT's layer; the model's own
                                   layer term by term: layer_activations)
      with sequence parallelism    sbh / t (34 + 5as / h)
    selective recomputation        sbh (10 + 24 / t)          (sp: 34 sbh / t)
    full recomputation             2 sbh                      (sp: 2 sbh / t), and one layer's
                                                              activations while it recomputes
Flash attention (Layout.attention, the default) keeps no s^2 scores: with no recomputation
sbh (10 + 24 / t) + 4as b / t (its log-sum-exp).
The output layer adds 4 sbv / t (its fp32 logits) on the last stage.  With 1F1B the first stage
holds min(pp, m) micro-batches in flight; the interleaved schedule (1 + (pp - 1) / (pp x vp))
times that (ibid., sec. 4.2.3) once the warm-up is full (in_flight).  A context-parallel
group splits s.  The formulas are for the papers' GPT layer (a 4h GELU MLP, multi-head
attention, dropout): for other layers an estimate.

The parts are the rank's peak, what its tensors hold at once.  PyTorch's caching allocator can
hold more (RankMemory.held, .reserved: what nvidia-smi counts, less the CUDA context): a tensor
made after the peak, larger than any block freed before it, gets a segment of its own
(cudaMalloc, its bytes rounded up to 2 MiB), which the allocator keeps once the tensor is freed;
a block never spans two segments, and the allocator frees cached segments only when a cudaMalloc
fails (pytorch/pytorch c10/cuda/CUDACachingAllocator.cpp, its opening comment; memory/
allocator.py).  DeepSpeed's BF16_Optimizer (grad_dtype bf16+fp32) makes one at every step: its
pipeline engine all-reduces the fp32 gradient buffer in bf16, a copy of the buffer's largest
group (reduction_copy).  The figure is a floor: the allocator's other slack is not counted.
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import ClassVar, TypeAlias

from .layout import Layout, stage_layers
from .shape import Shape

WEIGHT, OPTIMIZER = 2, 12  # bytes a parameter, mixed-precision Adam (gradients: Layout)


@dataclass(frozen=True)
class RankStateTerms:
    """params x bytes_per_param, sharded over shards data-parallel ranks."""

    PART: ClassVar[str] = "rank_state"
    params: int
    bytes_per_param: int
    shards: int
    dtype: str = "16-bit"  # what the part is kept in (bf16, fp32, bf16+fp32...)


@dataclass(frozen=True)
class RankWeightsTerms(RankStateTerms):
    PART: ClassVar[str] = "rank_weights"


@dataclass(frozen=True)
class RankGradientsTerms(RankStateTerms):
    PART: ClassVar[str] = "rank_gradients"


@dataclass(frozen=True)
class RankOptimizerTerms(RankStateTerms):
    PART: ClassVar[str] = "rank_optimizer"


@dataclass(frozen=True)
class RankActivationsTerms:
    PART: ClassVar[str] = "rank_activations"
    layers: int
    per_layer: int
    in_flight: float
    recompute: str
    attention: str
    sp: bool
    tokens: int
    micro_batch: int


@dataclass(frozen=True)
class RankLogitsTerms:
    PART: ClassVar[str] = "rank_logits"
    tokens: int
    vocab: int
    tp: int


@dataclass(frozen=True)
class RankBuffersTerms:
    PART: ClassVar[str] = "rank_buffers"
    tp: int
    ep: int
    sharded: bool


@dataclass(frozen=True)
class RankReductionCopyTerms:
    """values x bytes_per_value, the bf16 copy of the fp32 gradient buffer DeepSpeed's pipeline
    engine all-reduces, in a segment of segment bytes (rounded up to 2 MiB)."""

    PART: ClassVar[str] = "rank_reduction_copy"
    values: int  # the flat buffer's elements: the rank's parameters but its norms, padded
    bytes_per_value: int
    dp: int  # the padding: to a multiple of 2 x dp elements
    segment: int


RankTerms: TypeAlias = (RankStateTerms | RankActivationsTerms | RankLogitsTerms |
                        RankBuffersTerms | RankReductionCopyTerms)


@dataclass(frozen=True)
class Part:
    name: str  # weights, gradients, optimizer, activations, logits, buffers
    bytes: int
    terms: RankTerms


@dataclass(frozen=True)
class RankMemory:
    """The busiest rank's memory: its parts (the peak) and which pipeline stage it is; held:
    tensors outside the peak whose segments the caching allocator keeps (reserved)."""

    stage: str  # first, last, or only (one stage)
    parts: tuple[Part, ...]
    held: tuple[Part, ...] = ()

    @property
    def total(self) -> int:
        return sum(p.bytes for p in self.parts)

    @property
    def reserved(self) -> int:
        """What the caching allocator holds at least (nvidia-smi shows it and the CUDA
        context): the peak and the segments of held, where the card has room for both (when
        it has not, a failed cudaMalloc makes the allocator free the cached segments)."""
        return self.total + sum(p.bytes for p in self.held)

    def part(self, name: str) -> int:
        return sum(p.bytes for p in self.parts if p.name == name)


@dataclass(frozen=True)
class Params:
    """Parameters on one rank: split by tp, experts by ep (and tp), the vocabulary by tp."""

    dense: int
    experts: int
    replicated: int
    vocab: int

    @property
    def total(self) -> int:
        return self.dense + self.experts + self.replicated + self.vocab


def state_bytes(layout: Layout) -> int:
    """Bytes a parameter of weights, gradients and optimizer states before any sharding: 16
    with 16-bit gradients, 18 with fp32 ones (Megatron-LM's bf16), 20 with DeepSpeed's
    BF16_Optimizer; 16 for FSDP with fp32 gradients (4 + 4 + 8)."""
    if layout.fsdp and layout.grad_bytes == 4:
        return 16
    return WEIGHT + layout.grad_bytes + OPTIMIZER


def params(shape: Shape, layout: Layout, stage: str) -> Params:
    """Parameters of the first or last pipeline stage (or the only one) on one rank."""
    t, layers = layout.tp, stage_layers(shape, layout)
    if shape.layers % (layout.pp * layout.vp) and layout.pp > 1:
        layers -= 1  # the stage that holds the embedding or the loss has one layer fewer
    vocab = 0
    if stage in ("first", "only"):
        vocab += shape.embedding_params
    if stage in ("last", "only"):
        # tied: the only stage reuses the embedding; a last stage keeps its own copy
        vocab += shape.head_params or (shape.embedding_params if stage == "last" else 0)
    return Params(shape.layer_params * layers // shape.layers // t,
                  shape.expert_params * layers // shape.layers // (layout.ep * t),
                  shape.replicated_params * layers // shape.layers, -(-vocab // t))


def layer_activations(shape: Shape, layout: Layout, seq: int) -> tuple[int, int]:
    """(bytes one layer keeps for one micro-batch, bytes of its whole working set), per
    Korthikanti et al. 2022 Table 2 at the layout's recomputation and sequence parallelism.

    Their GPT layer's 34 sbh + 5 a s^2 b, term by term (sec. 4.1), here for the model's own
    layer: not split by tp, the two norms' inputs 4 sbh, the attention's and the MLP's inputs
    2 sbh each, the two dropout masks sbh each (none without dropout); split by tp, Q 2 sbh,
    K and V 2 sb x kv_heads x head_dim each, the output projection's input 2 sbh, the MLP's
    2 sbf + 2 sbf (GELU: its input and output; f = 4h gives 16 sbh) or 6 sbf (SwiGLU: gate
    and up, and their product), and the attention scores 5 a s^2 b (4 without dropout's mask)
    with eager attention, which selective recomputation drops (flash attention keeps only its
    4 a s b bytes of log-sum-exp).  An MoE layer's MLP counts the
    k experts a token goes to.  For the GPT layer this is sbh (10 + 24 / t + 5as / ht)."""
    s, b, h, a, t = seq // layout.cp, layout.micro_batch, shape.hidden, shape.heads, layout.tp
    kv = shape.kv_heads * shape.head_dim
    f = shape.expert_ffn * shape.experts_per_token if shape.experts else shape.ffn
    unsplit = s * b * (8 * h + (2 * h if shape.dropout else 0))
    split = s * b * (2 * h + 4 * kv + 2 * h + (6 * f if shape.gated else 4 * f))
    # eager (unfused) attention keeps the scores' softmax, its dropout mask and output for the
    # backward: 5 a s^2 b bytes (4 without dropout); flash attention keeps none of them, only
    # the softmax's fp32 log-sum-exp, a value a head and token: 4 a s b bytes (FlashAttention-2's
    # softmax_lse), which selective recomputation drops with the rest of the attention
    if layout.attention == "eager":
        scores = (5 if shape.dropout else 4) * a * s * s * b
    else:
        scores = 4 * a * s * b
    if layout.sp:
        whole = Fraction(unsplit + split + scores, t)
        kept = Fraction(unsplit + split, t)
    else:
        whole = unsplit + Fraction(split + scores, t)
        kept = unsplit + Fraction(split, t)
    if layout.recompute == "none":
        return int(whole), int(whole)
    if layout.recompute == "selective":
        return int(kept), int(whole)
    if layout.recompute == "selective-op":
        return int(_op_kept(shape, layout, s, b, f)), int(whole)
    return int(Fraction(2 * s * b * h, t) if layout.sp else 2 * s * b * h), int(whole)


def _op_kept(shape: Shape, layout: Layout, s: int, b: int, f: int) -> Fraction:
    """Bytes a layer keeps under torchtitan's op-level selective checkpointing: the outputs of
    the ops on its save list (aten.mm, the SDPA flash and efficient kernels, c10d's
    reduce_scatter_tensor) except every second mm, counted afresh in each block's forward;
    the rest is recomputed in the backward (_save_list and _apply_ac_to_transformer_block,
    pytorch/torchtitan 004b3148, torchtitan/parallelisms/parallelize_llama.py).

    A Llama block runs its mms in the order wq, wk, wv, wo, w1, w3, w2 (w2(silu(w1(x)) *
    w3(x))), so it keeps wq's 2h, wv's 2 x kv_heads x head_dim, w1's 2f and w2's 2h a token
    and recomputes wk, wo and w3; plus the attention kernel's output 2h and its fp32
    log-sum-exp 4a, and the block's input 2h, which the checkpoint holds to recompute from.
    Llama-2-70B: 2 (8,192 x 4 + 1,024 + 28,672) + 4 x 64 = 125,184 B a token a layer, against
    Korthikanti's selective 34h = 278,528.  Split by tp as the layers are (column-parallel
    wq, wv, w1 and the heads); w2's mm output is whole on each rank before its reduction;
    with sequence parallelism the block's input is split too, and the two reduce-scatters'
    outputs (2h / t each) are kept."""
    h, a, t = shape.hidden, shape.heads, layout.tp
    kv = shape.kv_heads * shape.head_dim
    split = Fraction(s * b * (2 * h + 2 * kv + 2 * h + 4 * a + 2 * f), t)
    whole_h = s * b * 2 * h  # w2's output before its all-reduce or reduce-scatter
    block_input = Fraction(s * b * 2 * h, t if layout.sp else 1)
    scattered = Fraction(2 * s * b * 2 * h, t) if layout.sp and t > 1 else Fraction(0)
    return split + whole_h + block_input + scattered


def in_flight(shape: Shape, layout: Layout) -> Fraction:
    """Micro-batches whose activations the first stage holds at once: min(pp, m) for 1F1B;
    1 without a pipeline.  Interleaved (vp model chunks a rank, each 1 / vp of its layers),
    the first rank runs its warm-up forwards, (pp - 1) x 2 + (vp - 1) x pp chunks, and one
    more before its first backward, at most all m x vp of them (all of them when m = pp):
    Megatron-LM's forward_backward_pipelining_with_interleaving (megatron/core/
    pipeline_parallel/schedules.py, NVIDIA/Megatron-LM 4dabc623).  Over vp that is
    pp (1 + (pp - 1) / (pp x vp)) for many micro-batches (Korthikanti et al. 2022, sec.
    4.2.3), and m when m = pp: 16 micro-batches over 16 stages hold 16, not 17.9."""
    if layout.pp == 1:
        return Fraction(1)
    m, pp, vp = max(1, layout.micro_batches), layout.pp, layout.vp
    if vp == 1:
        return Fraction(min(pp, m))
    chunks = m * vp if m == pp else min((pp - 1) * 2 + (vp - 1) * pp + 1, m * vp)
    return Fraction(chunks, vp)


def training(shape: Shape, layout: Layout, seq: int) -> RankMemory:
    """The busiest rank's memory for a training step (first or last pipeline stage)."""
    stages = ("only",) if layout.pp == 1 else ("first", "last")
    return max((_training(shape, layout, seq, st) for st in stages), key=lambda r: r.total)


def _training(shape: Shape, layout: Layout, seq: int, stage: str) -> RankMemory:
    p = params(shape, layout, stage)
    w_div, g_div, o_div = layout.zero_divisors()
    e_div = [max(1, d // layout.ep) for d in (w_div, g_div, o_div)]

    def share(per_param: int, div: int, e: int) -> int:
        return per_param * (-(-(p.total - p.experts) // div) + -(-p.experts // e))

    weight, grad, optimizer, dtype = WEIGHT, layout.grad_bytes, OPTIMIZER, "16-bit"
    if layout.fsdp and layout.grad_bytes == 4:  # FSDP's fp32 sharded parameters: the masters
        weight, optimizer, dtype = 4, OPTIMIZER - 4, "fp32"
    parts = [
        Part("weights", share(weight, w_div, e_div[0]),
             RankWeightsTerms(p.total, weight, w_div, dtype)),
        Part("gradients", share(grad, g_div, e_div[1]),
             RankGradientsTerms(p.total, grad, g_div, layout.grad_dtype)),
        Part("optimizer", share(optimizer, o_div, e_div[2]),
             RankOptimizerTerms(p.total, optimizer, o_div, dtype)),
    ]
    layers = stage_layers(shape, layout)
    kept, whole = layer_activations(shape, layout, seq)
    flight = in_flight(shape, layout) if stage in ("first", "only") else Fraction(1)
    act = int(kept * layers * flight)
    if layout.recompute == "full":
        act += whole  # the layer being recomputed, all of it
    parts.append(Part("activations", act, RankActivationsTerms(
        layers=layers, per_layer=kept, in_flight=float(flight), recompute=layout.recompute,
        attention=layout.attention, sp=layout.sp, tokens=seq // layout.cp,
        micro_batch=layout.micro_batch)))
    if stage in ("last", "only"):
        s = seq // layout.cp
        parts.append(Part("logits", 4 * s * layout.micro_batch * shape.vocab // layout.tp,
                          RankLogitsTerms(s, shape.vocab, layout.tp)))
    parts.append(Part("buffers", buffers(shape, layout, seq, w_div),
                      RankBuffersTerms(layout.tp, layout.ep, w_div > 1)))
    held: tuple[Part, ...] = ()
    # the BF16_Optimizer is DeepSpeed's ZeRO 0 / 1: under ZeRO-2 / 3 the gradients are sharded
    if layout.grad_dtype == "bf16+fp32" and layout.zero <= 1 and not layout.fsdp:
        copy = reduction_copy(p, layout)
        # a block freed before it: no activation tensor is larger than a layer's whole working
        # set, no logits than the last stage's, no parameter's first storage (freed when the
        # BF16_Optimizer flattens them) than the embedding's slice or one layer's share
        freed = max(whole, sum(x.bytes for x in parts if x.name == "logits"), 2 * p.vocab,
                    2 * (p.dense + p.experts) // max(1, layers))
        if copy.bytes > freed:
            held = (copy,)
    return RankMemory(stage, tuple(parts), held)


ROUND_LARGE = 2 * 2**20  # a segment of 10 MiB or more: its bytes rounded up (memory/allocator)


def reduction_copy(p: Params, layout: Layout) -> Part:
    """The bf16 copy DeepSpeed's pipeline engine makes of the BF16_Optimizer's fp32 gradient
    buffer to all-reduce it, once a step after the last backward.

    _bf16_reduce_grads hands the optimizer's flat fp32 buffers, one a parameter group, to
    buffered_allreduce_fallback with buckets of 500,000,000 elements (MEMORY_OPT_ALLREDUCE_SIZE);
    allreduce_no_retain puts a tensor in a bucket until it holds more than that, so a group's
    buffer is a bucket by itself, which allreduce_bucket flattens (a view: one tensor) and casts
    to communication_data_type, bf16 with bf16 on under ZeRO 0 when the config names none
    (deepspeed/runtime/pipe/engine.py and engine.py, microsoft/DeepSpeed 77b649d1, the
    olruwase/bf16-updates commit BLOOM trained with).  Megatron's two groups are the weights
    with weight decay and the biases and norms without; nnsize counts the first as the rank's
    parameters but its norms (its biases are in too: 9h a layer against 12h^2, 0.004% of
    BLOOM's).  The BF16_Optimizer pads each flat group to a multiple of 2 x dp elements
    (nccl_start_alignment_factor x the data-parallel size).  At that point the activations are
    freed; where no block freed before is as large (_training checks), the copy gets its own
    segment, which the allocator keeps.

    BLOOM's first stage: 3,982,417,408 parameters - 288,768 in norms = 3,982,128,640 (a
    multiple of 16) x 2 B = 7,964,257,280 B, a segment of 3,798 x 2 MiB = 7,964,983,296 B."""
    align = 2 * layout.dp
    values = -(-(p.total - p.replicated) // align) * align
    size = 2 * values
    segment = -(-size // ROUND_LARGE) * ROUND_LARGE
    return Part("reduction copy", segment,
                RankReductionCopyTerms(values, 2, layout.dp, segment))


def buffers(shape: Shape, layout: Layout, seq: int, weight_shards: int) -> int:
    """Communication buffers: the tensor-parallel all-gather / all-reduce of a layer's input
    and output (2 x 2 sbh bytes), the expert dispatch and combine (2 x 2 s b k h bytes), and
    ZeRO-3 / FSDP's gathered weights of the layer running and the one prefetched (2 x 2 bytes
    a parameter of a layer)."""
    tokens = seq // layout.cp * layout.micro_batch
    total = 2 * 2 * tokens * shape.hidden if layout.tp > 1 else 0
    if layout.ep > 1:
        total += 2 * 2 * tokens * shape.experts_per_token * shape.hidden
    if weight_shards > 1:
        per_layer = (shape.layer_params + shape.expert_params // layout.ep) // shape.layers
        total += 2 * WEIGHT * per_layer // layout.tp
    return total


@dataclass(frozen=True)
class Serving:
    """One serving rank: its weights and the KV cache bytes a token takes on it."""

    stage: str
    weight_bytes: int
    kv_bytes_per_token: int
    layers: int
    kv_values: int  # per token per layer on this rank


def serving(shape: Shape, layout: Layout, bytes_per_param: Fraction, kv_bits: int | Fraction
            ) -> Serving:
    """The busiest serving rank: its share of the weights at bytes_per_param (the whole
    model's weight bytes / parameters) and its layers' KV heads (or latent) a token."""
    stages = ("only",) if layout.pp == 1 else ("first", "last")
    out = []
    for st in stages:
        p = params(shape, layout, st)
        layers = stage_layers(shape, layout)
        values = shape.kv_values(layout.tp)
        out.append(Serving(st, int(p.total * bytes_per_param),
                           layers * values * kv_bits // 8, layers, values))
    return max(out, key=lambda r: (r.weight_bytes + r.kv_bytes_per_token))


def engine_tensors(shape: Shape, tp: int, bytes_per_value: Fraction) -> list[int] | None:
    """The weight matrices one tensor-parallel rank of vLLM or SGLang allocates, in the order
    the model builds them, in bytes: the vocabulary slice (VocabParallelEmbedding), then each
    layer's qkv_proj (QKVParallelLinear: q, k and v heads merged, KV heads replicated when tp
    exceeds them), o_proj, and the MLP (gate_up_proj merged and down_proj; a GELU MLP's two;
    a MoE layer's router, whole on every rank, and its fused w13 and w2 of all experts,
    FusedMoE), then the output layer's slice (untied).  The vectors (norms, biases) are left
    out: they pack into the allocator's 2 MiB small-pool segments.  None for multi-head latent
    attention, whose projections are not laid out here.  A MoE layer's dense or shared MLP is
    what its parameters leave after the attention, router and experts (none in Qwen3-MoE or
    Mixtral)."""
    if shape.latent_dim or not shape.layers:
        return None
    h, hd, t = shape.hidden, shape.head_dim, tp
    kv = max(1, shape.kv_heads // t)
    attention = [h * (shape.heads // t * hd + kv * (hd + shape.value_dim)),
                 shape.heads // t * shape.value_dim * h]
    per_layer = shape.layer_params // shape.layers
    mlp: list[int] = []
    if shape.experts:
        e, f = shape.experts, shape.expert_ffn
        mlp = [e * h, e * 2 * (f // t) * h, e * h * (f // t)]
        whole_attention = h * (shape.heads * hd + shape.kv_heads * (hd + shape.value_dim)) + \
            shape.heads * shape.value_dim * h
        dense = per_layer - whole_attention - e * h
        if dense > h:  # a shared or dense MLP: gate_up (2 / 3) and down (1 / 3), gated
            mlp += [dense * 2 // 3 // t, dense // 3 // t] if shape.gated else \
                [dense // 2 // t, dense // 2 // t]
    else:
        f = shape.ffn // t
        mlp = [2 * f * h, h * f] if shape.gated else [f * h, h * f]
    vocab = -(-shape.vocab // 64) * 64 // t * h  # padded to 64 (DEFAULT_VOCAB_PADDING_SIZE)
    values = [vocab] + (attention + mlp) * shape.layers + ([vocab] if shape.head_params else [])
    return [int(v * bytes_per_value) for v in values]
