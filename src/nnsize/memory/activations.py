"""Activations: what autograd saves for backward (an estimate, said so in the plan).

For layer specs, each layer kind says what it saves (Kind.saves, or Kind.saved() for a whole
block); the output of one layer and the input of the next are one tensor, counted once
(spec_activation_bytes).

For language models (activations()), what a training step keeps as PyTorch and transformers
run it.  Measured, not derived: every term below is a tensor autograd saves in transformers' Llama,
Mistral, Qwen and Mixtral layers (tests/memory/test_activations.py measures them with
saved_tensors_hooks and a TorchDispatchMode tracking live storages).  Per token, a = bytes
of an activation (4 fp32, 2 bf16 / fp16 and under autocast), h hidden, i intermediate,
q / o / k / v the widths of the query, attention output, key and value projections:

RMSNorm (two a layer, one at the end): its fp32 copy of the input (4 h), the normalized
    input and its output (2 a h); under autocast the normalized input stays fp32 (4 h) and
    each projection that reads the output saves its own bf16 cast (2 h each: q, k, v; gate, up;
    the router; lm_head); one fp32 rsqrt (4 bytes)
attention, SDPA (flash / memory-efficient / the CPU kernel): q, k, v, the output (a (q + k +
    v + o)) and an fp32 log-sum-exp per head (4 heads)
attention, eager: q, k and v repeated to every head (repeat_kv), the output, and the
    probabilities: fp32 softmax output plus their cast to a (4 + a, or 4 in fp32) x heads x
    keys, keys = the whole context (the mask does not shrink the matrix)
gated MLP: gate and up outputs, the activation, their product: 4 a i
MoE (transformers' grouped experts): per routed copy (k a token) the gathered input and the
    expert's output (2 a h) and 4 a i_expert; routing: E fp32 router probabilities, and per
    routed copy its weight, index and the sort's permutations (40 bytes), and 4 bytes; a shared
    expert (Qwen2-MoE, DeepSeek): a dense MLP (4 a i_shared) and its output (a h).
    Under autocast the grouped experts run in fp32 (torch._grouped_mm is not on autocast's
    lists, measured on the CPU): their tensors are 4 bytes.
loss: transformers upcasts the logits to fp32 for the cross-entropy; log_softmax keeps its
    fp32 output (4 V).  In the backward the gradients of the fp32 logits and of the
    log-probabilities exist together: 8 V per token, transient.
autocast weight copies: torch.autocast caches a bf16 copy of every weight a linear layer
    reads (attention, dense MLPs, routers, lm_head; not the grouped experts) for the whole
    step: 2 bytes each; with checkpointing a layer's copies are not kept but made again when it
    is recomputed: the head's and one layer's.

LoRA (PEFT's adapters over a frozen base; tests/memory/test_lora.py measures them): a frozen linear
layer saves no activation (its input is needed only for its weight's gradient), and a frozen
norm's weight does not keep the normalized values; what is saved is what the adapters' and the
inputs' gradients need.  Per token and layer, c = the adapters' input bytes (a; 2 under
autocast, where each adapter reads its own bf16 cast of its input), r the rank:
    each RMSNorm: its fp32 input and rsqrt (4 h + 4); its output once if an adapter reads it
        (under autocast: 2 h for each adapter reading it)
    attention: as above (SDPA's q, k, v, output and log-sum-exp); an adapted o_proj reads
        SDPA's saved output (nothing more; under autocast its own cast, 2 o)
    gated MLP: the gate's output, the activation and up's output (3 a i); the product once if
        down_proj is adapted (under autocast: 2 i)
    every adapter: B's input, c r
    the first layer: its input needs no gradient, so its input norm keeps only the adapters'
        inputs (nothing until the first adapted module)
    the head: the final norm (4 h + 4) and the fp32 log-probabilities (4 V); lm_head frozen.
    MoE layers (frozen experts): the norm, the routing as in full fine-tuning, per routed copy
        the gate and up outputs, the activation and the expert's output (k (3 i + h) at the
        experts' precision; not the gathered input), a shared expert's 3 s + h + 1
    lora_dropout > 0 (PEFT's default is 0): each adapter keeps its own dropped input (c per
        value, in place of the shared input) and, where it needs a gradient, the mask
        (DROPOUT_MASK: CUDA's bool, 1 byte)
    QLoRA after prepare_model_for_kbit_training (fp32_base): the fp32 embedding makes the
        residual stream fp32 and bitsandbytes' Linear4bit returns its input's dtype, so the
        frozen MLP's gate, activation and up outputs are fp32 (3 x 4 i); measured with
        bitsandbytes 0.50.2 on the CPU

Activation checkpointing (transformers' per-layer checkpoint): each layer's input (h at the
residual stream's precision) is kept; the peak during backward is the larger of the loss's
(the head's saved tensors and the logits' gradients) and one layer recomputed with its
saved tensors and the gradients flowing through it (about a (2 i + h) per token; routed:
the larger of that and 4 k h at the experts' precision + a h, the routed copies' gradients).
Over LoRA's frozen base (dense MLPs; measured on the CPU with PEFT, tests/memory/test_lora.py,
where a vocabulary of 64 makes the recompute the step's peak) the larger of two moments beyond
the layer's saved tensors, s the residual stream's bytes:
    the MLP's backward: the layer output's gradient and three gradients as wide as the MLP
        (s h + 3 a i); with down_proj adapted, less what its adapter kept (freed by then)
    down_proj adapted: its adapter's forward, the recompute's last step, with all the layer
        saves alive: the output's gradient and its copy scaled for lora_B, the residual, the
        MLP's input and down_proj's frozen output (5 s h), the product (a i, unless it is the
        adapter's kept input) and under autocast PEFT's fp32 cast of the product (4 i) and,
        with dropout, the fp32 dropped copy the bf16 matmul reads (4 i; CUDA's dropout makes
        it as the CPU's).  The tiny Llama's all-linear under autocast, dropout 0.1, CPU noise,
        per token: saved 10,776, beside them 2 x 256 + 3 x 256 + 688 + 2 x 4 x 344 = 4,720;
        with the layer inputs 4,098,048 B against 4,185,352 measured (the rest: autocast's
        bf16 copies of the adapters' weights made again, 69,888, and the rotary tables)
"""

from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

from ..errors import NnsizeError
from ..model import Report, numel
from ..precision import Precision
from .bits import to_bytes

if TYPE_CHECKING:
    from ..model import AttentionLayer, Decoder
    from .lines import ActivationsTerms

ATTENTION = ("sdpa", "eager")
# bytes a value of a dropout's saved mask: CUDA's fused dropout keeps a 1-byte mask (uint8 in
# fused_dropout, https://github.com/pytorch/pytorch/blob/029ba61d9efa5d46ffc36bb00d7ec72eead79415/
# aten/src/ATen/native/cuda/Dropout.cu#L101; bool in native_dropout), from the source: no GPU
# measured it.  None: the CPU's dropout (input x noise, measured with torch 2.13 in
# tests/memory/test_lora.py) keeps its noise at the input's dtype, PEFT's fp32 cast under autocast
# (tests/memory/test_lora.py plans with None); the plan's DropoutMaskNote says which
DROPOUT_MASK: int | None = 1
MODES = ("fp32", "bf16", "fp16", "autocast")  # how the activations are computed


@dataclass(frozen=True)
class Activations:
    """Bytes a training step keeps, by part; tokens = batch x context."""

    layers: int  # what the decoder layers save for backward (no checkpointing)
    head: int  # the final norm's and the loss's saved tensors
    logits_grad: int  # transient in the loss's backward
    layer_inputs: int  # each layer's input (what checkpointing keeps)
    recompute: int  # one layer recomputed during backward, and its gradients' workspace
    checkpointing: bool

    @property
    def saved(self) -> int:
        """What autograd holds at the end of the forward pass."""
        if self.checkpointing:
            return self.layer_inputs + self.head
        return self.layers + self.head

    @property
    def peak(self) -> int:
        """The most alive at once during backward, gradients of the weights apart."""
        if self.checkpointing:
            return self.layer_inputs + max(self.head + self.logits_grad, self.recompute)
        return self.saved + self.logits_grad


@dataclass(frozen=True)
class Lora:
    """LoRA adapters in each decoder layer, by what they read: attention_in (q, k, v and fused
    qkv: the input norm's output), attention_out (o_proj: the attention's output), mlp_in (gate,
    up: the post-attention norm's output), mlp_out (down_proj: the gated product)."""

    rank: int
    attention_in: int = 0
    attention_out: int = 0
    mlp_in: int = 0
    mlp_out: int = 0
    dropout: bool = False  # lora_dropout > 0: each adapter keeps its dropped input and a mask
    fp32_base: bool = False  # QLoRA as prepare_model_for_kbit_training leaves it: fp32 norms,
    # embeddings and head, so the residual stream and the frozen layers' outputs are fp32

    @property
    def modules(self) -> int:
        return self.attention_in + self.attention_out + self.mlp_in + self.mlp_out


def _lora_layer(d: Decoder, layer: AttentionLayer, mode: str, attention: str, context: int,
                lora: Lora, first: bool) -> tuple[int, int]:
    """(bytes one layer saves per token over a frozen base with LoRA adapters, of which the MLP's
    part); first: the first layer, whose input needs no gradient."""
    a, autocast, h = _act_bytes(mode), mode == "autocast", d.hidden
    c = 2 if autocast else a  # what an adapter's input is kept in
    base = 4 if lora.fp32_base else a  # the frozen layers' outputs (Linear4bit: the input's)

    def reads(n: int, width: int, kept: bool = False, grad: bool = True) -> int:
        """The input of n adapters reading one tensor: each its own bf16 cast under autocast,
        else the tensor once (nothing when something else keeps it already).  With dropout
        each adapter keeps its own dropped input (c) and, where the tensor needs a gradient,
        the dropout's mask (DROPOUT_MASK)."""
        if lora.dropout:
            mask = (DROPOUT_MASK or (4 if autocast else a)) if grad else 0
            return n * (c + mask) * width
        if autocast:
            return 2 * n * width
        return 0 if kept or not n else a * width

    # which adapters' inputs need a gradient: in the first layer only what an adapter upstream
    # makes (its input does not)
    grad_o = not first or bool(lora.attention_in)
    grad_mlp = grad_o or bool(lora.attention_out)
    grad_down = grad_mlp or bool(lora.mlp_in)
    norm = 4 * h + 4  # fp32 input and rsqrt; the frozen weight keeps no normalized values
    o = layer.heads * layer.value_dim
    attn = _attention(layer, a, attention, context)
    mlp = norm + reads(lora.mlp_in, h, grad=grad_mlp) + 3 * base * d.intermediate + \
        reads(lora.mlp_out, d.intermediate, grad=grad_down)
    total = reads(lora.attention_in, h, grad=not first) + \
        reads(lora.attention_out, o, kept=True, grad=grad_o) + c * lora.rank * lora.modules + mlp
    if first and not lora.attention_in:  # nothing upstream of o_proj needs a gradient
        attn = 0
        if not lora.attention_out:  # nor the post-attention norm's input
            mlp -= norm
            total -= norm
            if not lora.mlp_in:  # the gate's and up's outputs neither
                total -= 3 * base * d.intermediate
                mlp -= 3 * base * d.intermediate
    return total + attn + (0 if first else norm), mlp


def _lora_workspace(d: Decoder, mode: str, residual: int, lora: Lora) -> int:
    """What a recomputed layer of a dense model holds at its peak beyond what it saves, per
    token, over a frozen base (measured, tests/memory/test_lora.py): the larger of two moments.
    The MLP's backward: the layer output's gradient (residual h) and three gradients as wide as
    the MLP (3 base i: the product's, the activation's and up's; with down_proj adapted, the
    frozen path's and the adapter's part of the product's and their sum, when down_proj's
    adapter has freed what it keeps).  With down_proj adapted, its adapter's forward, the
    recompute's last step, where everything the layer saves is alive: the output's gradient
    and its copy scaled for lora_B (2 residual h), the residual, the MLP's input and
    down_proj's frozen output (3 residual h; an fp32 stream's residual is the post-attention
    norm's kept fp32 input, counted once), the product (base i; nothing more when it is the
    adapter's kept input: no autocast, no dropout) and under autocast PEFT's fp32 cast of it
    (4 i; none where it is fp32 already) and, with dropout, the fp32 dropped copy the bf16
    matmul reads (4 i; CUDA's dropout makes it as the CPU's does)."""
    a, autocast, h, i = _act_bytes(mode), mode == "autocast", d.hidden, d.intermediate
    base = 4 if lora.fp32_base else a
    backward = residual * h + 3 * base * i
    if not lora.mlp_out:
        return backward
    c = 2 if autocast else a
    mask = (DROPOUT_MASK or (4 if autocast else a)) if lora.dropout else 0
    kept = (c + mask) * i + c * lora.rank  # down_proj's adapter: its input (and mask), B's
    product = base * i if autocast or lora.dropout else 0
    fp32 = 4 * i * ((autocast and base != 4) + (autocast and lora.dropout))
    stream = 4 if residual == 4 else 5  # an fp32 residual is the post-attention norm's input
    return max(backward - kept, stream * residual * h + product + fp32)


def _act_bytes(mode: str) -> int:
    if mode not in MODES:
        raise NnsizeError(f"unknown activation mode {mode!r}; one of {', '.join(MODES)}")
    return 4 if mode == "fp32" else 2


def _norm(h: int, a: int, autocast: bool, readers: int) -> int:
    """One RMSNorm's saved bytes per token, readers = projections reading its output."""
    if autocast:
        return 8 * h + readers * 2 * h + 4
    return 4 * h + 2 * a * h + 4


def _attention(layer: AttentionLayer, a: int, attention: str, keys: int) -> int:
    heads, dk, dv = layer.heads, layer.key_dim, layer.value_dim
    q, o = heads * dk, heads * dv
    if attention == "sdpa":
        k, v = layer.kv_heads * dk, layer.kv_heads * dv
        return a * (q + k + v + o) + 4 * heads
    if attention == "eager":
        probs = 4 + (a if a != 4 else 0)
        return a * (q + heads * (dk + dv) + o) + probs * heads * keys
    raise NnsizeError(f"unknown attention {attention!r}; one of {', '.join(ATTENTION)}")


def layer_bytes(d: Decoder, layer: AttentionLayer, mode: str, attention: str, context: int,
                experts: int = 0, moe: bool | None = None, shared: int = 0,
                lora: Lora | None = None, first: bool = False) -> int:
    """Bytes one decoder layer saves per token; moe: its MLP is routed (default: the model's),
    shared: a shared expert's intermediate size (Qwen2-MoE, DeepSeek); lora: adapters over a
    frozen base (first: the model's first layer)."""
    a, autocast, h = _act_bytes(mode), mode == "autocast", d.hidden
    moe = d.experts_per_token > 0 if moe is None else moe
    if lora is not None:
        total, mlp = _lora_layer(d, layer, mode, attention, context, lora, first)
        if moe:
            if lora.mlp_in or lora.mlp_out:
                raise NnsizeError("the activations of LoRA adapters on a mixture of experts' "
                                  "MLP (a shared expert's gate_proj, up_proj, down_proj) are "
                                  "not modelled; adapt the attention (q_proj,k_proj,v_proj,"
                                  "o_proj)")
            # frozen experts (measured, tests/memory/test_lora.py): the norm's fp32 input and rsqrt;
            # the routing as full fine-tuning keeps it; per routed copy the gate and up outputs
            # and the activation (3 i) and the expert's output, kept for the routing weight's
            # gradient (h), at the experts' precision; not the gathered input (frozen
            # weights); a shared expert: its gate, up and activation (3 s), its output (h) and
            # the sigmoid gate (1).  Nothing when nothing upstream needs a gradient.
            # the experts run at their weights' dtype: LoRA's 16-bit base (a) even under
            # autocast (grouped_mm is not on its lists); QLoRA's prepare_model_for_kbit_training
            # casts the unquantized fused experts to fp32
            k, i, e = d.experts_per_token, d.expert_intermediate, 4 if lora.fp32_base else a
            frozen = 4 * h + 4 + 4 * experts + 40 * k + 4 + e * k * (3 * i + h) + \
                (a * (3 * shared + h + 1) if shared else 0)
            upstream = not first or lora.attention_in or lora.attention_out
            total += (frozen if upstream else 0) - mlp
        return total
    total = _norm(h, a, autocast, 3) + _attention(layer, a, attention, context)
    if moe:
        # autocast leaves grouped_mm in fp32: the experts' tensors stay 4 bytes, and only the
        # router (and a shared expert's gate, up and gate) reads a bf16 cast of the norm's output
        k, i, e = d.experts_per_token, d.expert_intermediate, 4 if autocast else a
        total += _norm(h, a, autocast, 4 if shared else 1) + e * (2 * k * h + 4 * k * i) + \
            4 * experts + 40 * k + 4
        if shared:  # a dense MLP beside the experts, and its output kept for the gate's product
            total += a * (4 * shared + h)
    else:
        total += _norm(h, a, autocast, 2) + 4 * a * d.intermediate
    return total


def activations(d: Decoder, batch: int, context: int, mode: str = "autocast",
                attention: str = "sdpa", checkpointing: bool = False,
                experts: int = 0, moe_layers: int | None = None,
                shared: int = 0, extras: Extras | None = None,
                lora: Lora | None = None) -> Activations:
    """The training step's activations of a decoder, batch x context tokens.  moe_layers: how
    many layers route to experts (DeepSeek's first layers are dense; default all, for a MoE
    model); shared: the shared experts' intermediate size; extras: Gemma's and Qwen3's;
    lora: LoRA adapters over a frozen base."""
    g = extras or Extras()
    if not d.layers or d.state_values:
        raise NnsizeError("training activations of a model with state-space layers are not "
                          "modelled; plan inference")
    tokens = batch * context
    a = _act_bytes(mode)
    # autocast keeps the residual stream fp32; LoRA's frozen base keeps it 16-bit
    residual = 2 if mode in ("bf16", "fp16") or (lora and mode == "autocast") else 4
    if lora is not None and lora.fp32_base:  # prepare_model_for_kbit_training's fp32 embedding
        residual = 4
    n = len(d.layers)
    routed = (n if d.experts_per_token else 0) if moe_layers is None else moe_layers
    # each distinct layer once, as a dense layer and as a routed one (the last `routed` layers):
    # a model of 10^15 layers costs what one of a few does
    total = largest = 0
    first = lora is not None  # the first layer's input needs no gradient (LoRA)
    for layer, dense, moe in d.layers.split_counts(n - routed):
        for count, routes in ((dense, False), (moe, True)):
            if count:
                each = layer_bytes(d, layer, mode, attention, context, experts, routes, shared,
                                   lora) \
                    + g.layer_bytes(_act_bytes(mode), layer, context, attention, d.hidden)
                total += count * each
                largest = max(largest, each)
                if first:  # the first layer again, less what it does not keep
                    total += layer_bytes(d, layer, mode, attention, context, experts, routes,
                                         shared, lora, True) - \
                        layer_bytes(d, layer, mode, attention, context, experts, routes, shared,
                                    lora)
                    first = False
    head = (4 * d.hidden + 4 if lora is not None else _norm(d.hidden, a, mode == "autocast", 1)) \
        + 4 * d.vocab + (a * d.vocab if g.final_softcap else 0)
    inner = d.expert_intermediate * d.experts_per_token or d.intermediate
    # the recomputed layer's workspace beyond its saved tensors: the MLP's forward (gate and up
    # products, a (2 inner + h)) or, routed, the backward's gradients of the k routed copies of
    # each token (index, clone, zeros, index_put: 4 k h at the experts' precision, fp32 under
    # autocast) with the output's gradient; whichever is larger is the peak (measured on the
    # CPU: Mixtral's wide experts peak in the forward, Qwen2-MoE's narrow ones in the backward)
    workspace = (4 if lora is not None and lora.fp32_base else a) * (2 * inner + d.hidden)
    if lora is not None and not routed:
        workspace = _lora_workspace(d, mode, residual, lora)
    if routed and d.experts_per_token:
        e = 4 if mode == "autocast" else a
        if lora is not None:  # the experts at the frozen base's dtype (layer_bytes)
            e = 4 if lora.fp32_base else a
        workspace = max(workspace, e * 4 * d.experts_per_token * d.hidden + a * d.hidden)
    return Activations(
        layers=tokens * total,
        head=tokens * head,
        logits_grad=tokens * 8 * d.vocab,
        layer_inputs=tokens * len(d.layers) * residual * d.hidden,
        recompute=tokens * (largest + workspace),
        checkpointing=checkpointing)


@dataclass(frozen=True)
class Extras:
    """What Gemma 2 / 3 and Qwen3 layers save beyond a Llama layer (measured,
    tests/memory/test_activations.py):

    post_norms      norms after attention and after the MLP (sandwich norms: 4 a layer, not 2):
                    Gemma's RMSNorm computes in fp32 and keeps its fp32 input and the normalized
                    values (8 h) and an rsqrt (4)
    softcap         attention logits soft-capped (Gemma 2: cap x tanh(scores / cap)): eager
                    attention keeps the tanh's output, a x heads x keys
    final_softcap   the logits soft-capped too: the tanh's output, a x vocab
    qk_norms        an RMSNorm on each head's query and key (Qwen3, Gemma 3): its fp32 input
                    and normalized values (Gemma's norm: 8 bytes a value; Llama's: 4 + a) and
                    an rsqrt per head"""

    post_norms: int = 0
    softcap: bool = False
    final_softcap: bool = False
    qk_norms: bool = False

    def layer_bytes(self, a: int, layer: AttentionLayer, keys: int, attention: str,
                    h: int) -> int:
        """Per token and layer."""
        tanh = a * layer.heads * keys if self.softcap and attention == "eager" else 0
        qk = 0
        if self.qk_norms:
            values = (layer.heads + layer.kv_heads) * layer.key_dim
            qk = (8 if self.post_norms else 4 + a) * values + 4 * (layer.heads + layer.kv_heads)
        return self.post_norms * (8 * h + 4) + tanh + qk


def autocast_weight_copies(linear_weights: int) -> int:
    """torch.autocast's cached bf16 copies of the weights matmuls read: 2 bytes each."""
    return 2 * linear_weights


def spec_activation_bytes(report: Report, batch: int, act: Precision,
                          checkpointing: bool = False) -> tuple[int, ActivationsTerms]:
    """What autograd keeps for one step of a layer spec: each layer's saved tensors, the output
    of one layer and the input of the next counted once (they are one tensor).  Checkpointed
    (every layer its own segment), only each layer's input is kept."""
    from .lines import ActivationsTerms
    if checkpointing:
        values = sum(numel(r.input_shape) * r.repeat for r in report.rows)
        return to_bytes(batch * values, act.bits_per_value), \
            ActivationsTerms(batch, True, act, values=values)
    total_bits: Fraction | int = 0
    layers = 0
    previous_output = None  # the tensor the previous layer made (and maybe saved)
    for row in report.rows:
        if row.saved is not None:
            values, fp32 = row.saved
            total_bits += (values * act.bits_per_value + fp32 * 32) * row.repeat
            previous_output, layers = None, layers + row.repeat
            continue
        saves = row.saves
        if saves is None:
            raise NnsizeError(f"activation memory of a {row.type} layer is not modelled yet")
        if saves.view:  # the same storage under another shape
            if previous_output is row.input_shape:
                previous_output = row.output_shape
            layers += row.repeat
            continue
        total_bits += numel(row.output_shape) * saves.mask_bits * row.repeat
        if saves.channel_stats:
            total_bits += saves.channel_stats * row.output_shape[0] * 32 * row.repeat
        if saves.row_stats:
            total_bits += saves.row_stats * numel(row.input_shape[:-1]) * 32 * row.repeat
        if saves.input and previous_output is not row.input_shape:
            total_bits += numel(row.input_shape) * act.bits_per_value * row.repeat
        previous_output = None
        if saves.output:
            total_bits += numel(row.output_shape) * act.bits_per_value * row.repeat
            previous_output = row.output_shape
        layers += row.repeat
    total = to_bytes(batch * Fraction(total_bits).__ceil__(), 1)
    return total, ActivationsTerms(batch, False, act, layers=layers)
