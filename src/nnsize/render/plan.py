"""The planner's results as text: each line's name and arithmetic, the notes, fit, compute."""

from __future__ import annotations

from fractions import Fraction
from typing import TYPE_CHECKING

from ..memory.eager import BY_CONFIG, MEASURED
from ..memory.lines import (
    AccelerateTerms,
    ActivationsTerms,
    AutocastTerms,
    BaseWeightsTerms,
    CompressedCacheNote,
    CompressedPart,
    CrossAttentionNote,
    DecoderActivationsTerms,
    DecoderWorkspaceTerms,
    DropoutMaskNote,
    DsaIndexerNote,
    EncoderDecoderCacheTerms,
    EncoderDecoderNote,
    EngineNote,
    FamilyEagerNote,
    GgufFileNote,
    GgufWeightsTerms,
    GradientsTerms,
    ImagesNote,
    KvPerTokenNote,
    KvTerms,
    LayerDtypesNote,
    LayoutNote,
    LlamaCppSlotsNote,
    LoraTerms,
    LossBackwardTerms,
    MasterWeightsTerms,
    MlaExpandedNote,
    MlaLatentNote,
    ModelContextNote,
    NotPlannedNote,
    OptimizerTerms,
    PastPositionsNote,
    RepricedNote,
    SlidingWindowNote,
    StoredWeightsTerms,
    TracedBackwardTerms,
    TracedTerms,
    TrainingSetupNote,
    UnreachedNote,
    WeightsTerms,
    WorkspaceTerms,
)
from ..memory.vllm_kv import STATE_BLOCKS
from .numbers import human, n
from .parallel import layout_note, rank_line
from .table import table

if TYPE_CHECKING:
    from ..gpus import GPU
    from ..memory import Compute, Fit, Line, Note, Plan
    from ..memory.engines import Engine
    from ..memory.lines import LineTerms, NoteTerms, ToolTerms
    from ..memory.serving import Serving
    from ..memory.vllm_kv import Groups
    from ..precision import Precision
    from ..speed import Speed
    from ..speed.split import Split


def bits_value(b: int | Fraction) -> str:
    """'16', '4.5': exact bits per value, shortened where not whole."""
    return f"{b}" if not isinstance(b, Fraction) or b.denominator == 1 else f"{float(b):.4g}"


def bits(p: Precision) -> str:
    """'16 bits', '4.5 bits' (exact bits per value, shortened where not whole)."""
    return f"{bits_value(p.bits_per_value)} bits"


def _per(gpus: int) -> str:
    return f", / {gpus} GPUs" if gpus > 1 else ""


_RUN = {"autocast": "torch.autocast({p}) over fp32 weights", "fp32": "fp32",
        "bf16": "pure bf16", "fp16": "pure fp16"}


def _run(mode: str, master: bool, precision: str, base: str = "") -> str:
    """How a training step is computed, in words (base: LoRA's frozen base, at its dtype)."""
    if base and mode == "autocast":  # PEFT's default: the adapters fp32, the base as stored
        return f"torch.autocast({precision}) over a frozen {base} base and fp32 adapters"
    if master:
        return f"{precision} weights with fp32 master weights"
    return _RUN[mode].format(p=precision)


def title(p: Plan) -> str:
    s = p.setup
    if not s.train:
        engine = f", {s.engine_name}" if s.engine_name != "transformers" else ""
        return (f"{p.source}: inference at {p.mode or p.precision.name}, batch {s.batch:,}, "
                f"context {s.context:,}{engine}")
    base = ("nf4" if s.qlora else p.precision.name) if s.lora_rank or s.qlora else ""
    return (f"{p.source}: training, {_run(p.mode, p.mixed, p.precision.name, base)}"
            + f", {s.optimizer}, batch {s.batch:,}, context {s.context:,}"
            + (f", per GPU of {s.gpus} ({s.sharding})" if s.sharding != "none" else ""))


def _weights(t: WeightsTerms) -> str:
    how = f"{t.values:,} x {bits(t.precision)}"
    if t.quant_state:  # bitsandbytes' per-tensor codes and block rounding
        how += f" + {t.quant_state:,} B of bitsandbytes' codes and offsets"
    if "scales not counted" in t.precision.description:  # int8, int4: bare integers
        how += (f" (bare {t.precision.name}: group scales not counted; gptq-int4-gN, "
                f"awq-int4, nf4, int8-channel count theirs)")
    if t.kept:
        what = f"what {t.method} leaves unquantized" if t.method else ", ".join(t.kept_roles)
        how += f" + {t.kept:,} kept at {t.keep.name} ({bits(t.keep)}: {what})"
    for name, count in t.own:
        how += f" + {count:,} at {name} (the layers' own dtype argument)"
    if t.fp32:  # what the engine's loader keeps in float32 (memory.fp32_modules)
        how += f" + {t.fp32:,} x 32 bits ({t.fp32_why})"
    if t.rank_share is not None:  # one rank of a parallel layout
        how = f"({how}) x this rank's share {t.rank_share:.4g}"
    return how + _per(t.gpus)


_OPTIMIZER = {
    "sgd": "plain SGD keeps no state",
    "sgd-momentum": "{params:,} momentum values x {state_bits} bits",
    "lion": "{params:,} momentum values x {state_bits} bits",
    "adam": "{params:,} x 2 moments x {state_bits} bits + {tensors:,} steps x 4 B",
    "adamw": "{params:,} x 2 moments x {state_bits} bits + {tensors:,} steps x 4 B",
    "adam-8bit": "{params:,} x 2 moments x 8 bits + an fp32 absmax per 2,048",
    "adafactor": "factored second moments: a row and a column vector per matrix",
}


def optimizer_how(t: OptimizerTerms) -> str:
    return _OPTIMIZER[t.optimizer].format(params=t.params, state_bits=t.state_bits,
                                          tensors=t.tensors)


def _kv_name(t: KvTerms) -> str:
    return ("SSM state" if not t.groups else "KV cache and SSM state" if t.state else
            "KV cache") + f" ({t.precision.name})"


def _kv(t: KvTerms) -> str:
    parts = [f"{layers} layers x {tokens:,} tokens x {per:,}" for layers, tokens, per in
             t.groups] + [_compressed(c) for c in t.compressed]
    # a state at the cache's own precision (no StateMixer splits it) reads as more values of it
    own = not t.state_parts or all(p.precision == t.precision for p in t.state_parts)
    if t.shared:  # llama.cpp's unified cache: one stream; a state is still one a sequence
        how = f"one cache the {t.shared:,} sequences share ({' + '.join(parts)})"
        if t.state and own:
            how += f" + {t.shared:,} x {t.state:,} state values"
        how += f" values x {bits(t.precision)}"
        if t.state and not own:
            how += f" + {t.shared:,} x ({_state(t)})"
    elif t.state and not own:  # each part of the state at the dtype the engine keeps it
        cache = f"({' + '.join(parts)}) values x {bits(t.precision)} + " if parts else ""
        how = f"{t.batch:,} x ({cache}{_state(t)})"
    else:
        if t.state:  # a state-space model's fixed state, a sequence
            parts.append(f"{t.state:,} state values")
        how = f"{t.batch:,} x ({' + '.join(parts)}) values x {bits(t.precision)}"
    carried = [c for c in t.compressed if c.carried and c.carry_float32]
    if carried:  # a compressing layer's carried gates, in float32 whatever the cache's dtype
        how += f" + {t.batch:,} x (" + " + ".join(
            f"{c.layers} layers x {c.carried:,} carried x {c.carry_float32:,}"
            for c in carried) + ") values x 32 bits"
    if t.block_tokens:
        how += f" (whole blocks of {t.block_tokens} tokens)"
    if t.rank_values is not None:  # one rank of a parallel layout: its layers and KV heads
        how += f" x {t.rank_values:,} / {t.values or 0:,} on this rank"
    if t.peak:  # a compressing cache held more on the way to the context than at it
        how = (f"the most it holds on the way to {t.context:,} tokens, at {t.peak:,} (its "
               f"groups' pending tokens not yet folded into entries): {how}")
    return how


def _compressed(c: CompressedPart) -> str:
    """'21 layers x (2,048 entries x 640 + 0 pending x 2,560 + 4 carried x 640)'"""
    return (f"{c.layers} layers x ({c.entries:,} entries x {c.entry:,} + {c.pending:,} "
            f"pending x {c.pending_values:,}" +
            (f" + {c.carried:,} carried x {c.carry:,}" if c.carried and c.carry else "") + ")")


def _state(t: KvTerms) -> str:
    """'48 layers x 40,960 conv values x 16 bits + 48 layers x 786,432 SSM values x 32 bits'"""
    return " + ".join(f"{p.layers} layers x {p.values:,} {p.name} values x {bits(p.precision)}"
                      for p in t.state_parts)


def _decoder_activations_name(t: DecoderActivationsTerms) -> str:
    return ("activations (checkpointed: layer inputs, then the peak in backward)"
            if t.checkpointing else "activations (saved for backward)")


def _decoder_activations(t: DecoderActivationsTerms) -> str:
    if t.checkpointing:
        return (f"{t.tokens:,} tokens: each layer's input ({t.layer_inputs:,} B) + the "
                f"larger of the loss's backward and one layer recomputed" + _per(t.gpus))
    return (f"{t.tokens:,} tokens x {t.layers} layers as transformers saves them "
            f"({t.mode}, {t.attention}) + the final norm and the loss's fp32 "
            f"log-probabilities" + _per(t.gpus))


def _decoder_workspace(t: DecoderWorkspaceTerms) -> str:
    if t.phase:  # llama.cpp: the larger of its layer phase (with the KQ masks) and output phase
        layer = f"{t.tokens:,} x (3 x {t.intermediate:,} + 4 x {t.hidden:,}) x 4 B"
        if t.scores:
            layer = (f"max({layer}, (scores {t.tokens:,} x {t.heads} heads x {t.keys:,} keys "
                     f"+ 4 x {t.tokens:,} x {t.hidden:,}) x 4 B)")
        copies = "(4 + 2)" if t.mask_value_bytes == 6 else str(t.mask_value_bytes)
        rows = f" x {t.mask_tokens:,} tokens" + \
            (f" x {t.mask_streams} streams" if t.mask_streams > 1 else "") + f" x {copies} B"
        return (f"the larger of a layer {layer} + KQ mask {t.keys:,} keys" + rows +
                (f" + SWA layers' KQ mask {t.swa_keys:,} keys" + rows if t.swa_keys else "") +
                f" and the output {t.rows:,} x {t.vocab:,} fp32 logits + {t.tokens:,} x "
                f"{t.hidden:,} x 4 B")
    more = "".join(f" + {what} " + " x ".join(f"{f:,}" for f in factors[:-1]) +
                   f" x {factors[-1]} B" for what, factors in t.mlp_terms)
    how = (f"{t.tokens:,} tokens x (3 x {t.intermediate:,} + 4 x {t.hidden:,}) x "
           f"{t.act_bytes} B" + more)
    if t.scores:  # transformers' eager attention: its step or the MLP's, the larger
        more = f" + {t.compressed:,} compressed" if t.compressed else ""
        keys = f"({t.keys:,}{more} + {t.sink} sink) keys" if t.sink else \
            f"({t.keys:,}{more}) keys" if more else f"{t.keys:,} keys"
        attention = f"scores {t.tokens:,} x {t.heads} heads x {keys} x {t.score_bytes} B"
        if t.kv_copies:
            seqs = f"{t.sequences:,} x " if t.sequences > 1 else ""
            attention += (f" + K and V repeated to every head (repeat_kv) {seqs}{t.keys:,} "
                          f"keys x {t.heads} heads x {t.kv_repeat // t.heads:,} x "
                          f"{t.act_bytes} B")
        for what, factors in t.family_terms:
            attention += (f" + {what} " + " x ".join(f"{f:,}" for f in factors[:-1]) +
                          f" x {factors[-1]} B")
        mlp = f"{t.tokens:,} x 3 x {t.intermediate:,} x {t.act_bytes} B" + more
        how = (f"{t.tokens:,} tokens x 4 x {t.hidden:,} x {t.act_bytes} B + the larger of the "
               f"MLP's {mlp} and the attention's {attention}")
    if t.masks:
        how += (f" + {t.masks} mask{'s' if t.masks > 1 else ''} {t.tokens:,} x {t.keys:,} x "
                f"{t.act_bytes} B")
    return how + f" + {t.rows:,} x {t.vocab:,} fp32 logits"


def _share(how: str, rank_share: float | None) -> str:
    """A whole model's weights, and the part one rank of a parallel layout holds."""
    return how if rank_share is None else f"({how}) x this rank's share {rank_share:.4g}"


def _gguf(t: GgufWeightsTerms) -> str:
    return "llama.cpp's per-tensor types: " + ", ".join(f"{count} x {kind}" for kind, count, _
                                                        in t.types)


def _activations(t: ActivationsTerms) -> str:
    if t.checkpointing:
        return (f"{t.batch:,} x each layer's input ({t.values:,} values) x "
                f"{bits(t.precision)}")
    return f"{t.batch:,} x the tensors {t.layers:,} layers save for backward"


def _traced(t: TracedTerms) -> str:
    how = [f"one step of {t.what} traced on fake tensors ({t.mode}"]
    if t.attention:
        how.append(f"{t.attention} attention")
    how.append(t.loss or "no loss: the sum of its output")
    largest = max(t.parts, key=lambda x: x[1]) if t.parts else None
    text = ", ".join(how) + ")"
    if t.carried:
        points = t.carried
        text += (f", at {', '.join(f'{x:,}' for x in points[:-1])} and {points[-1]:,} tokens "
                 f"and carried to {t.context:,}: the bytes are a quadratic in the context "
                 f"there, to the byte")
    if largest and not t.checkpointing:
        text += f"; the most from one part: {largest[0] or 'the loss'} {largest[1]:,} B"
    return text + _per(t.gpus)


def _encoder_decoder_cache(t: EncoderDecoderCacheTerms) -> str:
    return (f"{t.batch:,} x {t.layers:,} decoder layers x ({t.self_values:,} x "
            f"{t.context:,} decoder tokens + {t.cross_values:,} x {t.encoder_tokens:,} "
            f"encoder tokens) x {bits(t.precision)}")


def _autocast(t: AutocastTerms) -> str:
    return (f"({t.outside:,} outside the layers + one layer's {t.one_layer:,}, recomputed) "
            f"x 2 B" if t.one_layer else f"{t.params:,} linear weights x 2 B") + _per(t.gpus)


def _line(t: LineTerms) -> tuple[str, str]:
    """A line's (name, arithmetic), by the type of its terms (subclasses first)."""
    match t:
        case BaseWeightsTerms():
            return f"base weights, frozen ({t.precision.name})", _weights(t)
        case WeightsTerms():
            return "weights", _weights(t)
        case LoraTerms():
            return (f"LoRA adapters (rank {t.rank}, {t.precision.name})",
                    f"{t.params:,} = rank {t.rank} x (in + out) per targeted linear")
        case GradientsTerms():
            return "gradients", f"{t.params:,} trainable x {bits(t.precision)}" + _per(t.gpus)
        case MasterWeightsTerms():
            return "master weights (fp32)", f"{t.params:,} x 32 bits" + _per(t.gpus)
        case OptimizerTerms():
            return f"optimizer states ({t.optimizer})", optimizer_how(t) + _per(t.gpus)
        case KvTerms():
            return _kv_name(t), _kv(t)
        case DecoderWorkspaceTerms():
            return "activation workspace", _decoder_workspace(t)
        case EncoderDecoderCacheTerms():
            return (f"KV cache: self- and cross-attention ({t.precision.name})",
                    _encoder_decoder_cache(t))
        case GgufWeightsTerms():
            return f"weights (GGUF {t.ftype})", _share(_gguf(t), t.rank_share)
        case StoredWeightsTerms():
            return ("weights (as published)" if t.how else "weights (as stored)"), _share(
                (f"{t.how}: " if t.how else "the file's bytes: ") + ", ".join(
                    f"{elements:,} x {dtype} = {size:,} B" for dtype, elements, size in t.dtypes),
                t.rank_share)
        case AutocastTerms():
            return f"autocast weight copies ({t.precision.name})", _autocast(t)
        case LossBackwardTerms():
            return ("loss backward (fp32 logits gradients)",
                    f"{t.tokens:,} tokens x {t.vocab:,} x 8 B, transient" + _per(t.gpus))
        case DecoderActivationsTerms():
            return _decoder_activations_name(t), _decoder_activations(t)
        case WorkspaceTerms():
            return "activation workspace", (
                f"{t.batch:,} x the largest layer's input and output ({t.values:,} values) x "
                f"{bits(t.precision)}")
        case ActivationsTerms():
            return "activations" + (" (checkpointed)" if t.checkpointing else ""), \
                _activations(t)
        case TracedBackwardTerms():
            return "backward (its peak beyond the saved tensors)", (
                f"the step's peak {t.peak:,} B - saved {t.saved:,} B, transient" +
                _per(t.gpus))
        case TracedTerms():
            return ("activations (checkpointed: the step's peak)" if t.checkpointing else
                    "activations (saved for backward)"), _traced(t)
    return rank_line(t)


def line_name(line: Line) -> str:
    return _line(line.terms)[0]


def line_how(line: Line) -> str:
    return _line(line.terms)[1]


def _past_positions(t: PastPositionsNote) -> str:
    if t.source == "learned positions":
        return (f"The model has {t.positions:,} learned positions: it cannot read a context of "
                f"{t.context:,} tokens (planned as asked).")
    return (f"The model reads at most {t.positions:,} tokens ({t.source}): a context of "
            f"{t.context:,} is past it (planned as asked).")


def _encoder_decoder(t: EncoderDecoderNote) -> str:
    return (f"Encoder-decoder: cross-attention caches {t.encoder_tokens:,} encoder tokens in "
            f"every decoder layer (" + ("as asked" if t.asked else
                                        "the encoder's fixed length" if t.fixed else
                                        "as long as the context; the encoder length sets it") +
            "); one forward pass's workspace is not estimated for encoder-decoders")


def _gguf_file(t: GgufFileNote) -> str:
    return (f"GGUF file: the weights line is the tensor data of its {t.tensors:,} tensors (as "
            f"llama.cpp loads them); the file also holds its header and metadata, the tokenizer "
            f"among them (a few MB)"
            + (f", and {t.padding:,} bytes of 32-byte alignment padding" if t.padding else "")
            + ", not counted here"
            + (f". The vision tower and projector ({t.mmproj_params:,} values in "
               f"{t.mmproj_tensors:,} tensors) are not in this file: llama.cpp's converter "
               f"writes them to a separate mmproj GGUF (convert_hf_to_gguf.py --mmproj), loaded "
               f"beside it for images" if t.mmproj_tensors else ""))


def _training_setup(t: TrainingSetupNote) -> str:
    return (f"Assumed: {_run(t.mode, t.master, t.precision.name, t.base)} (mixed precision), "
            + _attention(t) + "activation checkpointing "
            f"{'on' if t.checkpointing else 'off'}: each a setting of its own")


def _cross_attention(t: CrossAttentionNote) -> str:
    layers = f"KV cache: {t.layers} of {t.of} layers cross-attend to the sequence's images"
    if not t.images:
        return layers + " and, with none (--images 0), cache nothing: text alone skips them"
    per = t.tiles * t.tile_tokens
    return (f"{layers}: {t.images:,} image{'s' if t.images > 1 else ''} a sequence "
            f"({'as asked' if t.asked else 'assumed; --images 0 plans text alone'}) x "
            f"{t.tiles} tiles (the config's max_num_tiles: transformers' processor pads every "
            f"image to them) x {t.tile_tokens:,} vision tokens ({t.tile_tokens - 1:,} patches "
            f"+ a class token) = {t.images * per:,} tokens each such layer caches once a "
            f"request, whatever the context")


def note_words(t: NoteTerms) -> str:
    """A note in words, by the type of its terms."""
    match t:
        case LayoutNote():
            return layout_note(t)
        case KvPerTokenNote():
            return (f"KV cache per token (every {'self-attention ' if t.self_only else ''}"
                    f"layer): {t.bytes:,} bytes at {t.precision.name}")
        case MlaLatentNote():
            return ("KV cache: multi-head latent attention, the compressed latent per token (as "
                    "serving engines keep it, and transformers since "
                    "huggingface/transformers#47761); "
                    "expanded keys and values, as transformers kept them before it and llama.cpp "
                    "before April 2025, would take "
                    f"{t.expanded_bytes:,} bytes")
        case MlaExpandedNote():
            return ("KV cache: multi-head latent attention, expanded keys and values (as "
                    "transformers kept them before huggingface/transformers#47761, and llama.cpp "
                    "before April 2025); the latent "
                    "setting gives the compressed cache")
        case CompressedCacheNote():
            return (f"KV cache: {t.layers} of {t.of} layers compress it (DeepSeek-V4's CSA and "
                    f"HCA, as transformers keeps them): beside the last {t.window - 1:,} "
                    f"tokens, one entry every {' or '.join(str(r) for r in t.ratios)} tokens, "
                    f"the tokens of the group not yet closed, and the last closed group "
                    f"carried; the cache at {t.context:,} tokens itself, {t.per_token:,} "
                    f"bytes a token")
        case DsaIndexerNote():
            return (f"KV cache: sparse attention (DSA): each of the {t.layers:,} layers also "
                    f"keeps its indexer's key, {t.values:,} values a token, as transformers' "
                    f"DynamicIndexedLayer does")
        case ModelContextNote():
            return (f"Context {t.context:,}: {t.model}'s {t.source}. No context was asked: the "
                    f"default {t.default:,} stops at the model's own longest.")
        case PastPositionsNote():
            return _past_positions(t)
        case DropoutMaskNote(mask_bytes=None):
            return ("LoRA dropout: each adapter's mask is counted as the CPU keeps it, the "
                    "dropout's noise at its input's dtype")
        case DropoutMaskNote():
            return (f"LoRA dropout: each adapter's mask is counted at {t.mask_bytes} byte a "
                    f"value, the bool mask of CUDA's fused dropout (from PyTorch's source, not "
                    f"measured on a GPU); on the CPU, dropout keeps its noise at the input's "
                    f"dtype instead (measured: 2 bytes a value in bf16, 4 in fp32 and under "
                    f"autocast)")
        case SlidingWindowNote() if t.masked and not t.windowed:
            return (f"KV cache: {t.masked} of {t.layers} layers attend through a sliding "
                    f"window, but transformers' cache keeps every token on them")
        case SlidingWindowNote() if t.llama_cpp_cells and t.swa_full:
            return (f"KV cache: {t.windowed} of {t.layers} layers attend through a sliding "
                    f"window; under llama.cpp's --swa-full their cache is full-size, "
                    f"{t.llama_cpp_cells:,} cells a stream as on the other layers, not the "
                    f"window and n_ubatch ({t.ubatch:,})")
        case SlidingWindowNote() if t.llama_cpp_cells and t.sequences > 1:
            return (f"KV cache: {t.windowed} of {t.layers} layers attend through a sliding "
                    f"window; llama.cpp's unified SWA cache keeps the window of each of the "
                    f"{t.sequences:,} sequences and n_ubatch ({t.ubatch:,}) cells, at most the "
                    f"full cache's, padded to 256: {t.llama_cpp_cells:,} cells they share")
        case SlidingWindowNote() if t.llama_cpp_cells:
            return (f"KV cache: {t.windowed} of {t.layers} layers attend through a sliding "
                    f"window; llama.cpp's SWA cache keeps the window and n_ubatch "
                    f"({t.ubatch:,}) cells, at most the context, padded to 256: "
                    f"{t.llama_cpp_cells:,} cells a sequence")
        case FamilyEagerNote():
            return _family_eager(t)
        case LlamaCppSlotsNote() if t.unified:
            return (f"KV cache: llama-server's unified cache (its default: --parallel auto, 4 "
                    f"slots with kv_unified = true, ggml-org/llama.cpp#16736): the "
                    f"{t.sequences:,} sequences share one cache of {t.sequences:,} x "
                    f"{t.context:,} = {t.n_ctx:,} cells (-c {t.n_ctx} -np {t.sequences} -kvu), "
                    f"each free to take more than its share (the KV sharing setting: split for "
                    f"a cache a sequence)")
        case LlamaCppSlotsNote():
            return (f"KV cache: a cache of {t.context:,} cells for each of the "
                    f"{t.sequences:,} sequences (split: -c {t.n_ctx} -np {t.sequences}, as "
                    f"llama-server divides -c by an explicit --parallel without -kvu, or "
                    f"--no-kv-unified; the KV sharing setting: unified for llama-server's "
                    f"default, one cache they share)")
        case SlidingWindowNote():
            return (f"KV cache: {t.windowed} of {t.layers} layers attend through a sliding "
                    f"window and keep window - 1 past tokens")
        case CrossAttentionNote():
            return _cross_attention(t)
        case EncoderDecoderNote():
            return _encoder_decoder(t)
        case ImagesNote():
            return (f"Images: {t.images:,} x {t.tokens:,} tokens each join the {t.text:,} text "
                    f"tokens: a context of {t.context:,} for the KV cache and compute (the "
                    f"vision tower's own work is not in them)")
        case UnreachedNote():
            return (f"Not trained: {t.params:,} parameters in layers the forward never calls "
                    f"(no token uses them): in the weights, but with no gradient, optimizer "
                    f"state or autocast copy (their grad stays None)")
        case EngineNote():
            return "Engine: " + engine_text(t.engine) + " (the engine and chunk settings)"
        case NotPlannedNote():
            return (f"Not planned: the {t.format} file holds tensors, not the architecture that "
                    f"runs them, so the KV cache and the activation workspace cannot be given "
                    f"(a config.json beside it, or its directory or Hub repo, gives them); fit "
                    f"gives no batch or context answers for it")
        case RepricedNote():
            return (f"Weights at {t.dtype}, not as stored: its publisher stores it quantized "
                    f"({t.method}, its quantization_config); an inference plan without a dtype "
                    f"plans it as published")
        case LayerDtypesNote():
            return (f"Layer dtype arguments ({', '.join(t.dtypes)}) are not applied to a "
                    f"training plan: every parameter, gradient and optimizer state is counted "
                    f"at the training precision (the precision and mixed-precision settings); "
                    f"inference plans keep those layers in their own dtype")
        case GgufFileNote():
            return _gguf_file(t)
    return _training_setup(t)


def _family_eager(t: FamilyEagerNote) -> str:
    """Why the workspace holds eager attention's scores, and what a score holds."""
    why = f": {t.reason}" if t.reason else ""
    if t.unplanned:
        return (f"Attention: transformers runs {t.family} with eager attention{why} (its model "
                f"class sets _supports_sdpa = False); its scores are not heads x prompt x "
                f"prompt ({t.unplanned}) and the workspace does not count them")
    form = MEASURED.get(t.family)
    if form == "fp32":
        held = (f"{t.score_bytes} B a score: its scores kept in fp32 at every dtype, their copy "
                f"with the sink concatenated and its fp32 softmax (4 + 4 + 4 B, a column more)")
    elif form == "sinks upcast":
        held = (f"{t.score_bytes} B a score: its scores with the sink concatenated cast to fp32 "
                f"and their fp32 softmax, beside the {8 * t.act_bytes}-bit scores and the "
                f"softmax's cast back (4 + 4 + 2 + 2 B at 16 bits over keys, 4 + 4 + 4 at fp32, "
                f"a column more)")
        if t.family == "deepseek_v4":
            held += (" (its sinks, kept in fp32, promote the logits), over the prompt's keys "
                     "and the entries its compressing layers concatenate after them, the "
                     "prompt // their compress ratio")
        elif t.family == "hy_v4":
            held += (" (its sinks, kept in fp32, promote the logits), over every prompt key: "
                     "its indexer's picks are a mask")
    elif form == "model dtype":
        held = (f"{t.score_bytes} B a score: its softmax in the model dtype beside the scores "
                f"with the sink concatenated, less their row max (2 x {t.act_bytes} B, a column "
                f"more)")
    elif t.sink:
        held = (f"{t.score_bytes} B a score: its softmax in the model dtype beside the scores and "
                f"their copies with the sink concatenated (3 x {t.act_bytes} B, a column more)")
    elif t.act_bytes == 4:
        held = "8 B a score: the fp32 scores and their softmax"
    elif t.score_bytes == 8:
        held = ("8 B a score: the fp16 scores, their fp32 softmax (on a GPU aten's softmax reads "
                "fp16 without a copy) and its fp16 cast (2 + 4 + 2)")
    else:
        held = (f"{t.score_bytes} B a score: the {8 * t.act_bytes}-bit scores, the fp32 copy "
                f"softmax(dtype=float32) makes of them and its fp32 result "
                f"({t.act_bytes} + 4 + 4)")
    by = "its config class's default" if t.family in BY_CONFIG else \
        "its model class sets _supports_sdpa = False"
    return (f"Attention: transformers runs {t.family} with eager attention{why} ({by}), so a "
            f"prefill holds one layer's scores, "
            f"{held}" + ("" if t.measured else f", the peak of llama's eager_attention_forward, "
                                                 f"{t.family}'s own not measured") +
            ", a float mask for each layer type (full, sliding window: eager attention "
            "holds a windowed layer's scores as wide as a full one's), and where a layer has "
            "fewer KV heads than heads (more than one), the keys and values repeat_kv copies "
            "to every head")


def _attention(t: TrainingSetupNote) -> str:
    if not t.attention:
        return ""
    if t.attention == "default":
        return "the attention transformers picks for the family, "
    return t.attention + " attention" + (" (transformers' default for the family)" if
                                         t.family_default else "") + ", "


def engine_text(e: Engine) -> str:
    """An engine profile in words: how it prefills, its share of the GPU, its cache."""
    from ..engines import NO_ALLOCATION

    if not e.profiled:
        return NO_ALLOCATION.format(e.name)
    named = f"{e.name} ({e.defaults})" if e.defaults else e.name
    parts = [f"{named}: " + (f"prefill in chunks of {e.chunk:,} tokens" if e.chunk else
                              "the whole prompt in one pass")]
    if e.memory_fraction != 1:
        parts.append(f"{float(e.memory_fraction):g} of the GPU")
    if e.block_tokens > 1:
        parts.append(f"KV cache in blocks of {e.block_tokens} tokens")
    if e.kv_default:
        parts.append(f"an {e.kv_default} KV cache by default")
    if not e.flash_attention:
        parts.append("attention scores materialized (no flash attention)")
    if e.swa_full:
        parts.append("a full-size SWA cache (--swa-full)")
    if e.kq_mask != "f16" and e.flash_attention:
        parts.append("an f32 KQ mask beside its f16 cast (builds before #23764)")
    return ", ".join(parts)


def note_text(note: Note) -> str:
    return note_words(note.terms)


def tool_why(terms: ToolTerms) -> str:
    """Why another tool's figure differs: what it assumes."""
    if isinstance(terms, AccelerateTerms):
        p = terms.precision.name
        return (f"accelerate's estimate-memory counts training with Adam as 4 x the model at {p} "
                f"(weights, gradients, two moments, all at {p}), with no master weights or "
                f"activations")
    return (f"DeepSpeed's ZeRO-3 estimator counts 18 bytes a parameter over {terms.gpus} GPUs "
            f"(fp16 weights and gradients, fp32 master and two moments, and its buffers) and 4 "
            f"bytes a parameter of the largest module, gathered whole ({terms.module}: "
            f"{terms.largest:,}), without activations")


def plan_text(plan: Plan, as_tool: tuple[int, ToolTerms] | None = None) -> str:
    rows = [[line_name(line), n(line.bytes), human(line.bytes, True), human(line.bytes, False),
             ("" if line.exact else "~ ") + line_how(line)] for line in plan.lines]
    rows.append(["total (the sum of the lines)", n(plan.total), human(plan.total, True),
                 human(plan.total, False), ""])
    out = [title(plan), "", table(["", "Bytes", "Binary", "Decimal", "How (~ an estimate)"],
                                  rows, [False, True, True, True, False])]
    out += ["", *map(note_text, plan.notes)] if plan.notes else []
    if as_tool:
        size, terms = as_tool
        out += ["", f"Under {terms.TOOL}'s assumptions: {n(size)} bytes = "
                    f"{human(size, True)}. {tool_why(terms)}."]
    return "\n".join(out)


def _usable_why(gpu: GPU) -> str:
    """Why the usable memory is what it is (gpus.GPU.usable), in words."""
    if getattr(gpu, "unified", False):
        if getattr(gpu, "metal_bytes", None):  # a log of this memory shows Metal's figure
            return (f"= macOS's GPU limit on unified memory, Metal's recommendedMaxWorkingSetSize "
                    f"as a log of this memory shows it ({gpu.metal_source.split(' ')[0]}; sysctl "
                    f"iogpu.wired_limit_mb raises it)")
        share = "3/4" if gpu.usable == gpu.bytes * 3 // 4 else "2/3"
        return (f"= {share} of it, macOS's GPU limit on unified memory (Metal's "
                f"recommendedMaxWorkingSetSize before macOS 26: 3/4 above 36 GiB, 2/3 at or "
                f"below; macOS 26 gives more; sysctl iogpu.wired_limit_mb raises it)")
    if gpu.reported != gpu.bytes:  # the total CUDA reports, less than the vendor's figure
        return (f"= {human(gpu.reported, True)} as CUDA reports it, less 1 GiB for the CUDA "
                f"context and the allocator")
    return "after 1 GiB for the CUDA context and the allocator"


def engine_refusal(engine: Serving | None) -> str:
    """Why a serving engine would not start with the cache its share leaves ("": it starts,
    or no engine's own figures)."""
    capacity = engine.capacity if engine is not None else None
    return capacity.refusal if capacity is not None else ""


def fit_verdict(result: Fit, gpu: GPU, engine: Serving | None = None) -> str:
    """One sentence: does the plan fit on the GPU (and does its serving engine start with the
    cache left), and what it needs."""
    refusal = engine_refusal(engine)
    verdict = f"does not fit ({refusal})" if refusal else \
        "fits" if result.fits else "does not fit"
    return (f"On {gpu.name} ({n(gpu.bytes)} bytes = {human(gpu.bytes, True)}; usable "
            f"{human(result.usable, True)} " + (
                _usable_why(gpu) if result.usable == gpu.usable else _share_why(result, gpu)) +
            f"): {verdict}, {human(result.plan.total, True)} needed.")


def _share_why(result: Fit, gpu: GPU) -> str:
    """How a serving engine's share gave the usable bytes (memory.fit.engine_share), with the
    numbers its KV cache line uses."""
    from ..memory.serving import engine_share

    share = engine_share(result.plan.setup, gpu.reported, gpu.name)
    reported = getattr(gpu, "reported", gpu.bytes)
    of = f"the {human(reported, True)} CUDA reports" if reported != gpu.bytes else "it"
    if share is None or share.usable != result.usable:  # an engine's share given otherwise
        return ("as the engine's share (vLLM's gpu_memory_utilization, SGLang's "
                f"mem_fraction_static) of {of}")
    fraction = f"{float(share.fraction):g}"
    if share.engine != "sglang":
        return f"= {fraction} of {of}, vLLM's gpu_memory_utilization"
    dist = (f" - distributed start {human(share.distributed, True)}"
            if share.distributed else "")
    return (f"= {fraction}, SGLang's mem_fraction_static, of the memory free after its start: "
            f"{human(reported, True)} as CUDA reports it - CUDA context "
            f"{human(share.context, True)}{dist} (estimates) = {human(share.free, True)}")


def fit_lines(result: Fit) -> list[tuple[str, str]]:
    """The limits the fit found, as the CLI and the page both show them."""
    lines = [] if result.largest_batch is None else \
        [("Largest batch at this context", _or(result.largest_batch, "none fits"))]
    if result.longest_context is not None:
        cap, source = result.positions, result.positions_from
        reached = bool(cap) and result.longest_context == cap
        lines.append(("Longest context at this batch", _or(result.longest_context, "none fits")
                      + (f" (all of its {n(cap)} learned positions)"
                         if reached and source == "learned positions" else
                         f" (the model's maximum: {source}; beyond it with --beyond-context)"
                         if reached else "")))
    lines.append(("Fewest such GPUs that hold it", _or(result.fewest_gpus, "more than 4,096")
                  + (" (sharded with FSDP / ZeRO-3; any count, not powers of two)"
                     if result.plan.setup.train else
                     " (the plan split evenly over them: nnsize's tensor x pipeline layouts "
                     "do not describe its layers)" if result.evenly else
                     " (tensor x pipeline parallel: tp dividing the attention and KV heads, "
                     "pp the layers)")))
    if result.kv_cache_tokens is not None:
        lines.append((KV_ROOM, f"{n(result.kv_cache_tokens)} "
                      f"tokens ({result.max_concurrency or 0:.2f} sequences of this context)"))
    return lines


KV_ROOM = "KV cache the rest holds, a replica"


def split_line(o: Split) -> tuple[str, str]:
    """fit's line for decode at llama.cpp's -ngl split (a speed.Speed's offload)."""
    if not o.cpu_bytes:
        return ("llama.cpp decode at that -ngl", (
            f"{o.tokens_per_s:,.1f} tokens/s expected, the whole model on the GPU (nnsize "
            f"speed --engine llama.cpp shows the arithmetic)"))
    return ("llama.cpp decode at that -ngl", (
        f"{o.tokens_per_s:,.1f} tokens/s expected ({human(o.gpu_bytes, True)} read on the GPU "
        f"in {o.gpu_s + o.overhead_s:.3g} s, {human(o.cpu_bytes, True)} in RAM at "
        f"{o.cpu_bandwidth / 1e9:,.1f} GB/s in {o.cpu_s:.3g} s; nnsize speed --ngl "
        f"{o.ngl} shows the arithmetic)"))


def fit_text(result: Fit, gpu: GPU, engine: Serving | None = None,
             at_split: Speed | None = None) -> str:
    own = engine is not None and engine.capacity is not None  # the engine's own KV figure
    out = [plan_text(result.plan), "", fit_verdict(result, gpu, engine),
           *(f"{label}: {value}" for label, value in fit_lines(result)
             if not (own and label == KV_ROOM)),
           *(f"{label}: {value}" for label, value in serving_lines(engine)),
           *(f"{label}: {value}" for label, value in
             ([split_line(at_split.offload)]
              if at_split is not None and at_split.offload is not None else [])), "",
           "Precisions: " + ", ".join(f"{name} {human(b, True)} {'fits' if ok else 'no'}"
                                      for name, b, ok in result.precisions)]
    return "\n".join(out)


def _rounded(tensors: int, extra: int | None) -> str:
    """SGLang's load as mem_get_info sees it: the tensors and the caching allocator's
    rounding of their segments (memory.allocator)."""
    if not extra:
        return ""
    return (f" (tensors {human(tensors, True)} + {human(extra, True)} of "
            f"segments PyTorch's caching allocator rounds up)")


def serving_lines(engine: Serving | None) -> list[tuple[str, str]]:
    """The engine's own start-up figures (memory.serving.Serving), as (label, value) lines."""
    out: list[tuple[str, str]] = []
    c = engine.capacity if engine is not None else None
    if c is not None:
        name = {"vllm": "vLLM", "sglang": "SGLang"}[c.engine]
        share = f"{float(c.fraction):g}"
        rank = (f", on one of {n(c.terms['tp'])} tensor-parallel ranks"
                if c.terms.get("tp", 1) > 1 else "")
        tokens = n(c.terms["max_num_batched_tokens"]) if c.engine == "vllm" else ""
        # the profile's peak is its larger phase (memory.serving): the forward pass, or the
        # sampler beside the forward pass's hidden states
        peak = (f"hidden states of {tokens} tokens {human(c.activations, True)} + sampler over "
                f"{n(c.terms['rows'])} rows x {n(c.terms['vocab'])} logits "
                f"{human(c.sampler, True)}; the forward pass's "
                f"{human(c.terms['forward_bytes'], True)} is freed by then" if c.sampler else
                f"forward pass of {tokens} tokens{rank} {human(c.activations, True)}, above "
                f"the sampler's {human(c.terms.get('sampler_run_bytes', 0), True)}"
                if c.engine == "vllm" else "")
        other = (f" - profile run {human(c.activations + c.sampler, True)} ({peak}) - outside "
                 f"torch {human(c.overhead, True)} (an estimate)" if c.engine == "vllm" else
                 f" - CUDA context at load {human(c.overhead, True)} (an estimate)")
        if c.engine == "vllm":
            text = (f"{n(c.kv_cache_tokens)} tokens (its log: GPU KV cache size); "
                    f"{human(c.total, True)} as the runtime reports it x {share} = "
                    f"{human(c.budget, True)} - weights {human(c.weights, True)}{other} = "
                    f"{human(max(c.kv_bytes, 0), True)} at {n(c.per_token)} bytes a token"
                    " (not counted: the CUDA graphs' memory, which vLLM 0.20 and later measure "
                    "on the card at start-up and take off too; this is its figure with "
                    "VLLM_MEMORY_PROFILER_ESTIMATE_CUDAGRAPHS=0 or --enforce-eager)")
            if c.groups is not None:
                text = f"{text}{_groups(c.groups)}"
            if c.terms.get("state_layers") and (c.groups is None or
                                                c.groups.alignment is None):
                text = (f"{text}; not modelled: how vLLM keeps the state of the "
                        f"{n(c.terms['state_layers'])} state-space layers (it pads each to the "
                        f"attention page), counted here as attention layers' tokens only")
        else:  # SGLang's share is of the memory free after its distributed start
            dist = (f" - distributed start {human(c.terms['distributed'], True)}"
                    if c.terms.get("distributed") else "")
            text = (f"{n(c.kv_cache_tokens)} tokens (its log: max_total_num_tokens); "
                    f"({human(c.total, True)} as the runtime reports it - CUDA context "
                    f"{human(c.terms['context'], True)}{dist} (estimates) = "
                    f"{human(c.terms['free'], True)} free) x {share} = "
                    f"{human(c.budget, True)} - weights {human(c.weights, True)}"
                    f"{_rounded(c.terms['tensor_bytes'], c.terms.get('allocator_rounding'))} = "
                    f"{human(max(c.kv_bytes, 0), True)} at {n(c.per_token)} bytes a token")
        out.append((f"{name} KV cache", text))
        out.append(("Maximum concurrency", (
            f"{c.max_concurrency:.2f}x for {n(c.max_model_len)} tokens per request")))
    o = engine.offload if engine is not None else None
    if engine is not None and engine.offload_refused:
        out.append(("llama.cpp -ngl", f"not given: {engine.offload_refused}"))
    if o is not None:
        where = "all layers and the output" if o.gpu_layers > o.layers else \
            f"{o.gpu_layers} of {o.layers} layers"
        # with every layer on the GPU what stays in RAM is the token embeddings (llama.cpp
        # keeps tok_embd on the CPU: a row lookup a token)
        ram = "the token embeddings" if o.gpu_layers > o.layers else "weights and cache"
        out.append(("llama.cpp -ngl", (
            f"{o.gpu_layers} ({where} on the GPU: {human(o.gpu_bytes, True)} with the "
            f"compute buffer {human(o.compute, True)}; {human(o.cpu_bytes, True)} of {ram} "
            f"in RAM)")))
    return out


def _groups(g: Groups) -> str:
    """How vLLM's KV cache manager cut a hybrid model's cache (memory.vllm_kv)."""
    kinds: dict[tuple[int | None, int, int], list[int]] = {}
    for group in g.groups:
        kinds.setdefault((group.spec.window, group.spec.token_bytes, group.spec.state),
                         []).append(group.layers)
    parts = ", ".join(
        (f"{n(sum(layers))} state layers of {n(s)} B a request" if s else
         f"{n(sum(layers))} {'full-attention' if w is None else f'sliding-window ({n(w)})'} "
         f"layers at {n(b)} B a token") + f" in {len(layers)} groups"
        for (w, b, s), layers in kinds.items())
    pad = f", {n(g.padding)} padding layers" if g.padding else ""
    a = g.alignment
    every = g.mamba_cache_mode == "all"
    rule = "" if a is None else (
        f"{n(a.block_tokens)} tokens, the Mamba chunk's smallest multiple that holds "
        f"cdiv({n(a.state)} B, {n(a.token_bytes)} B) tokens" if every else
        f"16 x cdiv({n(a.state)} B, 16 x {n(a.token_bytes)} B) = {n(a.block_tokens)} tokens")
    aligned = "" if a is None else (
        f"; the attention block raised to hold a state: {rule} (its log: Setting attention "
        f"block size), the state padded to {n(a.page)} B ({a.padding_percent:.2f}%)")
    blocks = STATE_BLOCKS.get(g.mamba_cache_mode, 0)
    state = "" if a is None else (
        f", a state group cdiv({n(g.max_model_len)}, {n(a.block_tokens)}) blocks: "
        f"mamba_cache_mode all, a state a block of the request (--mamba-cache-mode all)"
        if every else
        f", a state group {blocks} block{'s' if blocks > 1 else ''}: mamba_cache_mode "
        f"{g.mamba_cache_mode}, " + ("prefix caching off, as vllm serve left it for "
                                      "hybrid models before 0.28.0" if g.mamba_cache_mode ==
                                      "none" else "prefix caching on, vllm serve's default "
                                      "from 0.28.0") +
        (" (all was asked: vLLM runs this model's class, which keeps no state a block, in "
         "align)" if g.fell_back else ""))
    c = g.caching
    padded = "values padded to the keys' width, " if c is not None and c.values_as_keys else ""
    model = "" if c is None else (
        f"; as vLLM's model of the family caches them, not as transformers' (the lines above): "
        f"{padded}windows "
        f"{n(c.window_less)} token{'s' if c.window_less != 1 else ''} shorter ({c.source})")
    return (f"; not a token over every layer: vLLM groups the layers by kind ({parts}), "
            f"{len(g.groups)} groups of {n(g.group_size)} layers{pad}; blocks = "
            f"{n(max(g.kv_bytes, 0))} B // {n(g.page)} B a page // {n(g.group_size)} = "
            f"{n(g.blocks)}, tokens = {n(g.blocks)} // {len(g.groups)} groups x "
            f"{n(min(x.block_tokens for x in g.groups))} = {n(g.tokens)}; a request of "
            f"{n(g.max_model_len)} tokens takes {n(g.request_blocks)} blocks (a window's "
            f"group only its window and one chunk of {n(g.chunk)} tokens{state}){aligned}"
            f"{model}")


def _or(count: int, otherwise: str) -> str:
    return n(count) if count else otherwise


def compute_text(source: str, c: Compute) -> str:
    return "\n".join([
        f"{source}: compute (1 multiply-accumulate = 2 FLOPs)",
        f"  per token, linear layers (active experts only): {n(c.linear_macs)} MACs",
        *([f"  per token, the state-space scan: {n(c.scan_macs)} MACs (2 per SSM state "
           f"element: update and read-out; exp, softplus, gates and norms not counted)"]
          if c.scan_macs else []),
        *([f"  once a sequence, its images' vision tokens through the cross-attention layers' "
           f"k and v projections: {n(c.image_macs)} MACs (in the prefill)"]
          if c.image_macs else []),
        f"  prefill of {n(c.context)} tokens: {n(c.prefill_flops)} FLOPs, attention's QK^T and "
        f"AV included ({n(c.attention_macs_prefill)} MACs; causal: position t attends to t "
        f"keys, about half the full {n(c.context)} x {n(c.context)})",
        f"  decoding one token after {n(c.context)}: {n(c.decode_flops)} FLOPs",
        f"  training: {n(c.training_flops_per_token)} FLOPs per token (3 x the forward: "
        f"the backward computes gradients of inputs and of weights)"])


def dtype_table(catalogue: list[Precision]) -> str:
    return table(["Precision", "Bits per value", "What"],
                 [[c.name, f"{float(c.bits_per_value):.4g}", c.description]
                  for c in catalogue], [False, True, False])
