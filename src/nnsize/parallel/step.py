"""One training step's time under a layout, term by term.

    compute      micro-batches x the rank's FLOPs (model FLOPs / (tp x cp x pp), plus what
                 recomputation repeats: full, one more forward, 4/3; selective, the attention
                 scores' forward) / (peak x the kernels' share of it)
    elementwise  micro-batches x the bytes the rank's memory-bound passes read and write (layer
                 norms, the activation, dropout, residual adds; with eager attention the
                 scores' softmax and dropout) / the card's bandwidth: elementwise_bytes() has the
                 bytes a pass; 0 where the card's bandwidth is not known
    bubble       (pp - 1) / (m x vp) x (compute + elementwise) (Narayanan et al. 2021, sec. 2.2)
    tp           per layer and micro-batch 2 all-reduces forward and 2 backward (Megatron's f
                 and g; with sequence parallelism an all-gather and a reduce-scatter each, the
                 same bytes), of s x b x h 16-bit values; full recomputation adds the forward's
                 2; on the critical path (Megatron does not overlap them)
    pp           a send forward and one backward of s x b x h 16-bit values per micro-batch and
                 virtual stage
    dp           the gradients' reduce-scatter and the weights' all-gather (an all-reduce's
                 bytes) over dp x cp ranks, the gradients at the layout's grad_dtype (fp32: 4 B
                 a parameter), the weights 16-bit; ZeRO-3 / FSDP gather the weights again for
                 the backward; overlapped with the last micro-batch's backward, the rest exposed
                 (ZeRO-3 / FSDP: with its forward and backward, as FSDP prefetches the next
                 unit's gather while one computes: Zhao et al. 2023, sec. 3.3,
                 https://arxiv.org/abs/2304.11277)
    ep           4 all-to-alls a MoE layer and micro-batch (dispatch and combine, forward and
                 backward) of s x b x k x h 16-bit values
    cp           ring attention's key and value exchange, overlapped with the attention it
                 feeds (counted, not added)

A group crosses the network when it does not fit in a node: tp when tp > GPUs a node, cp when
tp x cp is, dp and ep when their ranks span nodes, pp whenever there is more than one node.
Across nodes a ring collective (tp's and dp's) runs at the network bandwidth of all the
group's ranks in a node together (NCCL spreads its rings over the node's NICs), up to the
node's links; sends and all-to-alls at one GPU's share (ring() in step()).
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from fractions import Fraction

from .interconnect import Interconnect, Links
from .layout import Layout, stage_layers
from .rank import params
from .shape import Shape

EFFICIENCY = 0.6  # share of peak a layer's kernels reach: an assumption, stated; --efficiency
ACT = 2  # bytes of a 16-bit activation or gradient


@dataclass(frozen=True)
class Step:
    layout: Layout
    compute_s: float
    elementwise_s: float  # the memory-bound passes at the card's bandwidth
    bubble_s: float
    tp_s: float
    pp_s: float
    dp_s: float  # exposed
    ep_s: float
    cp_s: float  # overlapped, not added
    model_flops: int  # a step, all GPUs: what MFU counts
    peak_flops: int  # one GPU
    tokens: int  # a step, all GPUs
    links: tuple[str, ...]  # the links each group crosses: tp, pp, dp, ep
    bandwidth: int = 0  # the card's, bytes a second, for the memory-bound passes; 0: not timed

    @property
    def seconds(self) -> float:
        return self.compute_s + self.elementwise_s + self.bubble_s + self.tp_s + self.pp_s + \
            self.dp_s + self.ep_s

    @property
    def mfu(self) -> float:
        return self.model_flops / (self.seconds * self.layout.gpus * self.peak_flops)

    @property
    def tflops_per_gpu(self) -> float:
        return self.model_flops / self.seconds / self.layout.gpus / 1e12

    @property
    def tokens_per_s_per_gpu(self) -> float:
        return self.tokens / self.seconds / self.layout.gpus

    def terms(self) -> dict[str, float]:
        return {"compute": self.compute_s, "elementwise": self.elementwise_s,
                "bubble": self.bubble_s, "tp": self.tp_s,
                "pp": self.pp_s, "dp": self.dp_s, "ep": self.ep_s}


def _crosses(span: int, layout: Layout) -> bool:
    """Does a group whose ranks span `span` consecutive GPUs leave its node?"""
    return layout.node_count > 1 and span > layout.gpus_per_node


def elementwise_bytes(shape: Shape, layout: Layout, seq: int) -> int:
    """Bytes one rank's memory-bound passes read and write for one micro-batch, forward and
    backward, over its stage's layers.  A token and layer, 16-bit values (2 B), dropout masks
    1 B, h hidden, f the MLP's width (k experts' for MoE), a heads, s the sequence:

    forward    two layer norms: read x 2h, write 2h                        2 x 4h   =  8h
               two residual adds, dropout fused (Megatron's bias_dropout_add): read the
               branch 2h and the stream 2h, write 2h, the mask h           2 x 7h   = 14h
                                                                  (no dropout: 2 x 6h = 12h)
               GELU: read 2f, write 2f = 4f; SwiGLU: read gate and up 4f, write 2f = 6f
               eager attention: softmax read 2as, write 2as; its dropout read 2as, write
               2as and the mask as                                                    9as
                                                                        (no dropout:  4as)
    backward   each pass reads its output's gradient and what it kept, writes its input's:
               layer norms 2 x (2h + 2h + 2h) = 12h; the residual gradients' sums
               2 x (2h + 2h + 2h) = 12h; dropout 2 x (2h + h + 2h) = 10h; GELU 2f + 2f + 2f
               = 6f; SwiGLU 2f + 4f + 4f = 10f; softmax 2as + 2as + 2as = 6as, its dropout
               2as + as + 2as = 5as
    GPT's layer (f = 4h, dropout): forward 22h + 16h + 9as = 38h + 9as, backward 34h + 24h +
    11as = 58h + 11as, 96h + 20as a token in all (h = 2,304, a = 24, s = 2,048: 221,184 +
    983,040 = 1,204,224 B).  Full recomputation repeats the forward, selective the eager
    attention's (9as).  Flash attention fuses the softmax into its kernel: no as terms.  The
    norms and residual adds run on every tensor-parallel rank (split by tp with sequence
    parallelism); the activation and the softmax on the rank's f / tp and a / tp."""
    h, a, t = shape.hidden, shape.heads, layout.tp
    f = shape.expert_ffn * shape.experts_per_token if shape.experts else shape.ffn
    drop = shape.dropout
    norms_fwd = 8 * h + (14 if drop else 12) * h
    norms_bwd = 12 * h + 12 * h + (10 * h if drop else 0)
    act_fwd, act_bwd = (6 * f, 10 * f) if shape.gated else (4 * f, 6 * f)
    soft_fwd, soft_bwd = (9 * a * seq, 11 * a * seq) if drop else (4 * a * seq, 6 * a * seq)
    if layout.attention != "eager":
        soft_fwd = soft_bwd = 0
    unsplit_fwd, split_fwd = norms_fwd, act_fwd + soft_fwd
    per_token = Fraction(norms_fwd + norms_bwd, t if layout.sp else 1) + \
        Fraction(act_fwd + act_bwd + soft_fwd + soft_bwd, t)
    if layout.recompute in ("full", "selective-op"):  # op-level: every pass but the kept ops
        per_token += Fraction(unsplit_fwd, t if layout.sp else 1) + Fraction(split_fwd, t)
    elif layout.recompute == "selective":
        per_token += Fraction(soft_fwd, t)
    tokens = seq // layout.cp * layout.micro_batch
    return int(per_token * tokens * stage_layers(shape, layout))


def step(shape: Shape, layout: Layout, seq: int, peak_flops: int, links: Links,
         efficiency: float = EFFICIENCY, attention_peak_flops: int = 0,
         bandwidth: int = 0) -> Step:
    """bandwidth: the card's memory bandwidth, bytes a second, for the memory-bound passes
    (0: not known, not counted).  attention_peak_flops: where the attention scores' matmuls
    run at another peak than the linear layers (FP8 training: Transformer Engine runs the
    linear layers in FP8, the fused attention in BF16); 0: the same peak."""
    t = layout
    m = t.micro_batches
    tokens_mb = t.micro_batch * seq
    flops_token = shape.model_flops_per_token(seq)
    rank_flops = flops_token * tokens_mb / (t.tp * t.cp * t.pp)
    layers = stage_layers(shape, t)
    # the attention's forward on the rank: its heads / tp, its seq / cp queries against all
    # seq keys (a context-parallel rank attends over the whole sequence), 4 FLOPs a query,
    # key and head dimension (QK^T and AV)
    attention_fwd = 4 * t.micro_batch * seq * seq * shape.heads * shape.head_dim * \
        layers / (t.tp * t.cp)
    attention = 12 * shape.layers * shape.heads * shape.head_dim * seq * tokens_mb / \
        (t.tp * t.cp * t.pp)  # QK^T and AV, forward and backward: in rank_flops
    if t.recompute == "full":
        rank_flops *= 4 / 3
        attention *= 4 / 3
    elif t.recompute == "selective":
        rank_flops += attention_fwd
        attention += attention_fwd
    elif t.recompute == "selective-op":
        # torchtitan's op-level selective checkpointing recomputes every second mm of a block
        # (wk, wo, w3: rank.py _op_kept), 2 FLOPs a weight a token, and not the attention
        kv = shape.kv_heads * shape.head_dim
        f = shape.expert_ffn * shape.experts_per_token if shape.experts else shape.ffn
        rank_flops += 2 * tokens_mb * shape.hidden * (kv + shape.hidden + f) * layers / \
            (t.tp * t.cp)
    if attention_peak_flops:
        compute = m * ((rank_flops - attention) / peak_flops +
                       attention / attention_peak_flops) / efficiency
    else:
        compute = m * rank_flops / (peak_flops * efficiency)
    elementwise = m * elementwise_bytes(shape, t, seq) / bandwidth if bandwidth else 0.0
    bubble = t.bubble * (compute + elementwise)

    def link(cross: bool) -> Interconnect:
        return links.network if cross else links.node

    def ring(cross: bool, stride: int) -> Interconnect:
        """The link of a ring collective (all-reduce, all-gather, reduce-scatter) over a group
        whose ranks are stride GPUs apart.  Across nodes NCCL runs one ring a channel, the
        channels spread over the node's NICs, so the group's bus bandwidth is the network
        bandwidth of all its ranks in a node together, up to the node's own links: 8 A100s
        a node with 4 HDR NICs measured 84.8-96 GB/s of all-reduce bus bandwidth over 3
        nodes against 4 x 200 Gb/s = 100 GB/s (NVIDIA/nccl-tests#119), 86 GB/s over 2
        nodes, 24 GB/s with one NIC (NVIDIA/nccl#1048).  Point-to-point sends and all-to-alls
        stay at one GPU's share."""
        if not cross:
            return links.node
        per_node = max(1, t.gpus_per_node // stride)
        return replace(links.network, bandwidth=min(per_node * links.network.bandwidth,
                                                    max(links.node.bandwidth,
                                                        links.network.bandwidth)))

    msg = seq // t.cp * t.micro_batch * shape.hidden * ACT
    tp_link = ring(_crosses(t.tp, t), 1)
    # full and op-level recomputation rerun the forward's all-reduces (all-gathers with sp)
    collectives = 6 if t.recompute in ("full", "selective-op") else 4
    tp_s = m * layers * collectives * tp_link.all_reduce(msg, t.tp)
    pp_link = link(t.node_count > 1)
    # the interleaved schedule overlaps its sends with compute (Megatron-LM's
    # overlap_p2p_comm, on by default with virtual stages): only the pipeline's fill and
    # drain wait on theirs; 1F1B waits on every send
    sends = 2 * (t.pp - 1) if t.vp > 1 else 2 * m * t.vp
    pp_s = sends * pp_link.send(msg) if t.pp > 1 else 0.0
    dp_link = ring(_crosses(t.tp * t.cp * t.dp, t), t.tp)  # the dp x cp ranks: tp apart
    p = params(shape, t, "first" if t.pp > 1 else "only")
    group = t.dp * t.cp
    # the gradients' reduction at their dtype (Layout.reduce_bytes): an all-reduce of them
    # (DDP), or a reduce-scatter of them and an all-gather of the 16-bit weights (ZeRO, FSDP),
    # a ring's (g - 1) / g of each, an all-reduce of their mean: 2 B a parameter in 16 bits
    grad = t.reduce_bytes if not (t.zero or t.fsdp) else Fraction(t.reduce_bytes + ACT, 2)
    dense = (p.total - p.experts) * ACT
    dp_total = dp_link.all_reduce(int((p.total - p.experts) * grad), group) + \
        dp_link.all_reduce(int(p.experts * grad), max(1, group // t.ep))
    window = 2 / 3 * (compute + elementwise) / m  # the last micro-batch's backward
    if t.fsdp or t.zero == 3:
        dp_total += dp_link.gather(dense, group)
        # FSDP prefetches the next unit's gather in forward and backward
        window = (compute + elementwise) / m
    dp_s = max(0.0, dp_total - window)
    ep_s = 0.0
    if t.ep > 1 and shape.experts:
        ep_link = link(_crosses(t.tp * t.cp * t.ep, t))
        a2a = seq // t.cp * t.micro_batch * shape.experts_per_token * shape.hidden * ACT
        ep_s = m * layers * 4 * ep_link.gather(a2a, t.ep)
    cp_s = 0.0
    if t.cp > 1:
        kv = seq // t.cp * t.micro_batch * shape.kv_heads * (shape.head_dim + shape.value_dim) * \
            ACT // min(t.tp, shape.kv_heads)
        cp_s = m * layers * 3 * (t.cp - 1) * link(_crosses(t.tp * t.cp, t)).send(kv)
    tokens = m * t.dp * tokens_mb
    return Step(t, compute, elementwise, bubble, tp_s, pp_s, dp_s, ep_s, cp_s, flops_token * tokens,
                peak_flops, tokens, (tp_link.name, pp_link.name, dp_link.name), bandwidth)
