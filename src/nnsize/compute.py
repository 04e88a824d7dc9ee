"""Compute of a language model: multiply-accumulates per token, over a prompt, per new token.

Below the analyses (a count's own figure: `nnsize <model>` and its --json give the MACs a token),
so that a count reaches it without loading the memory planner; memory.compute re-exports it."""

from __future__ import annotations

from .errors import NnsizeError
from .model import ONCE_AN_INPUT, Report
from .records import record


@record
class Compute:
    linear_macs: int  # per token: every matmul with a weight (active experts only)
    attention_macs_prefill: int  # QK^T and AV over a prompt of `context`, all of it
    attention_macs_decode: int  # for one new token after `context` tokens
    context: int
    # per token: a state-space model's scan, 2 MACs per state element (the update dA h + dB x
    # and the read-out C h); its discretization (exp, softplus), gates and norms not counted
    scan_macs: int = 0
    # once a sequence, not a token: the cross-attention layers' k and v projections of its
    # images' vision tokens (Llama 3.2 Vision's; cached, so no new token computes them again)
    image_macs: int = 0

    @property
    def prefill_flops(self) -> int:
        return 2 * ((self.linear_macs + self.scan_macs) * self.context +
                    self.attention_macs_prefill + self.image_macs)

    @property
    def decode_flops(self) -> int:
        return 2 * (self.linear_macs + self.scan_macs + self.attention_macs_decode)

    @property
    def training_flops_per_token(self) -> int:
        """Forward and backward (twice the forward: gradients of inputs and of weights)."""
        return 3 * self.prefill_flops // self.context


def image_context(report: Report, context: int, images: int) -> int:
    """The context with images in it: context + images x the model's tokens per image
    (LLaVA-1.5: 2,048 + 2 x 576 = 3,200)."""
    if images == 0:
        return context
    if images < 0:
        raise NnsizeError(f"images must be 0 or more, got {images}")
    d = report.decoder
    if d is None or not d.image_tokens:
        raise NnsizeError(f"images: {report.source} has no fixed number of tokens per image "
                          f"(nnsize knows it for LLaVA, Gemma 3 and Mistral 3; Qwen2-VL's "
                          f"depends on the image's size): give the tokens in the context")
    return context + images * d.image_tokens


def compute(report: Report, context: int, images: int = 0, window: int | None = None
            ) -> Compute:
    """Multiply-accumulates of a language model, per token and over a prompt.

    Linear: the active parameters of every weight matrix except the embedding lookup (the head
    does multiply); a state-space layer's depthwise convolution counts its kernel (I x k MACs a
    token) there too.  Scan: 2 x the SSM state elements (Decoder.scan_values) a token.
    MiniMax's lightning attention: its state as a scan (k^T v in, q read out: 2 x heads x
    head_dim^2 a token), and over a prompt each block's scores within itself, heads x 2 x
    head_dim x block^2 a layer and block (the last block as long as is left).
    Attention, causal: position t attends to t keys (or a sliding window's),
    q.k and a.v: heads x (key_dim + value_dim) MACs per key; a prompt of s tokens sums t = 1..s,
    about half of the full s x s (the causal factor).  A cross-attention layer (Llama 3.2
    Vision's) attends to the vision tokens of the sequence's images instead, every one from
    every position: images x cross_tokens keys a token (none for text alone); its k and v
    projections read those vision tokens, not the text's, so they are left out of the linear
    MACs a token and counted once a sequence: images x cross_tokens x hidden x kv_heads x
    (key_dim + value_dim) a layer (image_macs).  The rows of a vision tower (the component
    "vision"; an audio tower's, "audio") run once an image, not a token: left out too.
    window: the keys a sliding-window layer's kernel computes over, in place of its window
    (llama.cpp's CUDA kernels: every cell of its SWA cache, speed.inference.kernel_window);
    beyond the context, a global layer's.
    """
    d = report.decoder
    if d is None:
        refused = report.stored.get("planner_refused")  # built by transformers: see fallback
        raise NnsizeError(f"cannot count its compute: {refused}" if refused else
                          "compute per token is for language models counted from a config")
    if report.convention == "checkpoint":  # a GGUF's decoder: its KV cache, not its compute
        raise NnsizeError(f"{report.source}: compute is counted from a config (a preset, a "
                          f"config.json or a Hub repo), not from a checkpoint's tensors")
    if context < 1:
        raise NnsizeError("context must be at least 1")
    if d.state_values and not d.scan_values:
        raise NnsizeError(f"{report.source}: compute of its state-space layers (their scan) is "
                          f"not modelled")
    if not d.layers and not d.scan_values:
        raise NnsizeError(f"{report.source}: no attention or state-space layers to compute")
    if any(layer.compress_ratio for layer, _ in d.layers.counts()):
        raise NnsizeError(f"{report.source}: its compressed attention (DeepSeek-V4's CSA and "
                          f"HCA) attends to its window and to entries its compressors make "
                          f"(on CSA layers those its indexer picks), which nnsize's attention "
                          f"compute does not model")
    if any(layer.index_dim for layer, _ in d.layers.counts()):
        raise NnsizeError(f"{report.source}: its sparse attention (DSA) attends to the "
                          f"index_topk keys its indexer picks, after the indexer scores every "
                          f"key, which nnsize's attention compute does not model")
    linear = 0
    for row in report.rows:
        if row.type == "embedding" or row.type in ONCE_AN_INPUT:  # towers: once an input
            continue
        weights = sum(t.numel for t in row.tensors
                      if not t.buffer and len(t.shape) >= 2 and t.role in ("weight", "embedding"))
        if row.type == "head" and weights == 0:  # tied head: it multiplies all the same
            weights = d.vocab * d.hidden
        # the active share, exactly: weights x active / params, rounded down
        linear += weights * row.active // row.params if row.params and row.active != row.params \
            else weights
    prefill = decode = image = 0
    for layer, n in d.layers.counts():  # each distinct layer once, n layers like it
        per_key = n * layer.heads * (layer.key_dim + layer.value_dim)
        if layer.cross_tokens is not None:  # not causal: the image's tokens, from every token
            prefill += context * images * layer.cross_tokens * per_key
            decode += images * layer.cross_tokens * per_key
            # k_proj, v_proj: hidden -> kv_heads x head_dim each, no bias, fed the projected
            # vision tokens (transformers 5.25.0: src/transformers/models/mllama/
            # modeling_mllama.py, MllamaTextCrossAttention.__init__ and forward)
            kv = n * d.hidden * layer.kv_heads * (layer.key_dim + layer.value_dim)
            linear -= kv
            image += images * layer.cross_tokens * kv
            continue
        w = window if layer.window and window else layer.window
        if w and w < context:  # sum(min(t, w) for t in 1..context), in closed form
            keys = w * (w + 1) // 2 + (context - w) * w
        else:
            keys = context * (context + 1) // 2
        prefill += keys * per_key
        decode += min(context + 1, w or context + 1) * per_key
    m = d.mixer
    if m is not None and m.kind == "lightning" and m.block:
        # MiniMax's lightning attention runs a prompt in blocks of m.block tokens, each
        # block's queries scored against its own keys whole (Q K^T, cb x cb x head_dim, the
        # decay a mask), those scores times its values (as many), beside the state that
        # scan_macs counts; a new token reads the state alone
        # (MiniMaxLightningAttention.forward, transformers v5.25.0)
        whole, rest = divmod(context, m.block)
        prefill += m.layers * m.heads * 2 * m.head_dim * (whole * m.block ** 2 + rest ** 2)
    return Compute(linear, prefill, decode, context, 2 * d.scan_values, image)


def token_macs(report: Report) -> int | None:
    """A language model's MACs for one token with nothing before it (every weight matrix it
    multiplies, active experts only, plus its attention to itself): the figure its count
    reports, where a network's is one forward pass of its input.  None: not a language model
    nnsize computes (its own count, report.macs, stands)."""
    if report.decoder is None:
        return None
    try:
        return compute(report, 1).prefill_flops // 2
    except NnsizeError:
        return None


def layer_count(report: Report) -> int:
    """The model's layers: a language model's decoder layers, else the count's last position."""
    if report.decoder is not None and len(report.decoder.layers):
        return len(report.decoder.layers) + report.decoder.bare_layers
    return report.rows[-1].last_position + 1 if report.rows else 0
